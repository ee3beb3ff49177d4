"""Statistics tables computed from the final annotated frame in one aggregation.

``stage_summary`` is tidy: one row per (stage, outcome[, reason]) with
``outcome`` in ``in``, ``removed``, ``modified``, ``out``. Conservation holds by
construction (``in = out + Σ removed`` per stage) and is re-checked against the
written files by the job. When the frame has a ``token_count`` column (the ``tokens``
stage), ``stage_summary`` gains a ``tokens`` column: summed per row like ``characters``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow import frame
from winnow.stage import Stage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

STAGE_SUMMARY_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("stage_index", T.IntegerType(), False),
        T.StructField("stage", T.StringType(), False),
        T.StructField("outcome", T.StringType(), False),
        T.StructField("reason", T.StringType(), True),
        T.StructField("documents", T.LongType(), False),
        T.StructField("characters", T.LongType(), False),
        T.StructField("wall_seconds", T.DoubleType(), True),
        T.StructField("cpu_seconds", T.DoubleType(), True),
    ]
)
#: The column ``stage_summary`` gains when the frame counts tokens (``token_count``).
TOKEN_COUNT = "token_count"
TOKENS_FIELD = T.StructField("tokens", T.LongType(), True)


@dataclass
class Counts:
    """Outcome counts of a run, from the aggregation (small: one row per reason)."""

    records: int
    kept: int
    kept_chars: int
    removed: int
    quarantined: int
    by_reason: dict[str, int]
    groups: list[dict]
    #: Whether the frame had a ``token_count`` column (groups then carry ``tokens``).
    has_tokens: bool = False


def aggregate(df: DataFrame, stages: list[Stage]) -> Counts:
    """One pass over the frame: documents, characters and modifications per reason."""
    modifying = [s for s in stages if getattr(s, "modifies_text", lambda: False)()
                 and s.mode != "off" and f"{s.name}_modified" in df.columns]
    aggs = [F.count(F.lit(1)).alias("documents"),
            F.coalesce(F.sum("input_chars"), F.lit(0)).alias("characters"),
            F.coalesce(F.sum(F.length("text")), F.lit(0)).alias("final_characters")]
    has_tokens = TOKEN_COUNT in df.columns
    if has_tokens:
        aggs.append(F.coalesce(F.sum(F.col(TOKEN_COUNT).cast("long")), F.lit(0)).alias("tokens"))
    aggs += [F.sum(F.col(f"{s.name}_modified").cast("long")).alias(f"mod__{s.name}")
             for s in modifying]
    # Stages that cut spans (RewriteStage) also say how many characters they cut.
    aggs += [F.sum(F.when(F.col(f"{s.name}_modified"), F.col(f"{s.name}_chars_removed")))
             .alias(f"cut__{s.name}")
             for s in modifying if f"{s.name}_chars_removed" in df.columns]
    rows = [r.asDict() for r in df.groupBy("stage", "reason").agg(*aggs).collect()]
    kept = [r for r in rows if r["reason"] is None]
    by_reason: dict[str, int] = {}
    for r in rows:  # one reason may come from several stages (duplicate_of_published)
        if r["reason"] is not None:
            by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["documents"]
    quarantined = sum(r["documents"] for r in rows if r["stage"] == frame.INPUT_STAGE)
    removed = sum(r["documents"] for r in rows if r["reason"] is not None) - quarantined
    return Counts(
        records=sum(r["documents"] for r in rows),
        kept=sum(r["documents"] for r in kept),
        kept_chars=sum(r["final_characters"] for r in kept),
        removed=removed,
        quarantined=quarantined,
        by_reason=by_reason,
        groups=rows,
        has_tokens=has_tokens,
    )


def stage_summary_rows(
    counts: Counts, stages: list[Stage], run_id: str, wall: dict[str, float],
    cpu: dict[str, float],
) -> list[tuple]:
    """Tidy per-stage funnel rows: in, removed by reason, modified, out.

    Each row is a ``STAGE_SUMMARY_SCHEMA`` tuple plus ``tokens`` last (None unless the
    frame counted tokens, see :func:`stage_summary_frame`)."""
    order = [frame.INPUT_STAGE] + [s.name for s in stages if s.mode != "off"]
    by_stage: dict[str, list[dict]] = {}
    for g in counts.groups:
        if g["reason"] is not None:
            by_stage.setdefault(g["stage"], []).append(g)
    rows: list[tuple] = []
    docs_in = counts.records
    chars_in = sum(g["characters"] for g in counts.groups)
    tokens = counts.has_tokens
    tokens_in = sum(g["tokens"] for g in counts.groups) if tokens else None
    for i, name in enumerate(order):
        w = next((v for k, v in wall.items() if name in k.split(" + ")), None)
        c = cpu.get(name)
        rows.append((run_id, i, name, "in", None, docs_in, chars_in, w, c, tokens_in))
        for g in sorted(by_stage.get(name, []), key=lambda g: g["reason"]):
            rows.append((run_id, i, name, "removed", g["reason"], g["documents"],
                         g["characters"], None, None, g["tokens"] if tokens else None))
            docs_in -= g["documents"]
            chars_in -= g["characters"]
            if tokens:
                tokens_in -= g["tokens"]
        mod_key = f"mod__{name}"
        if counts.groups and mod_key in counts.groups[0]:
            # Documents still kept when this stage ran: kept ones and those removed later.
            later = set(order[i:])
            still = [g for g in counts.groups
                     if g["reason"] is None or (g["stage"] in later and g["stage"] != name)]
            mod = sum(g[mod_key] or 0 for g in still)
            cut = sum(g.get(f"cut__{name}") or 0 for g in still)  # characters cut
            rows.append((run_id, i, name, "modified", None, mod, cut, None, None,
                         0 if tokens else None))
        rows.append((run_id, i, name, "out", None, docs_in, chars_in, None, None, tokens_in))
    return rows


def stage_summary_frame(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    """``stats/stage_summary`` from :func:`stage_summary_rows`: with a ``tokens`` column
    (last) when the frame counted tokens (the rows' last field is set), else without."""
    n = len(STAGE_SUMMARY_SCHEMA.fields)
    if any(len(r) > n and r[n] is not None for r in rows):
        schema = T.StructType([*STAGE_SUMMARY_SCHEMA.fields, TOKENS_FIELD])
        return frame.local_frame(spark, rows, schema)
    return frame.local_frame(spark, [r[:n] for r in rows], STAGE_SUMMARY_SCHEMA)


def format_summary(rows: list[tuple]) -> str:
    """The end-of-run table printed on the terminal."""
    lines = [f"{'stage':<22} {'in':>10} {'removed':>10} {'out':>10}   top reasons"]
    current: dict[str, dict] = {}
    for _, i, stage, outcome, reason, docs, *_ in rows:
        entry = current.setdefault(stage, {"i": i, "in": 0, "out": 0, "reasons": []})
        if outcome in ("in", "out"):
            entry[outcome] = docs
        elif outcome == "removed":
            entry["reasons"].append((docs, reason))
    for stage, e in sorted(current.items(), key=lambda kv: kv[1]["i"]):
        removed = e["in"] - e["out"]
        top = ", ".join(f"{r} {d:,}" for d, r in sorted(e["reasons"], reverse=True)[:3])
        lines.append(f"{stage:<22} {e['in']:>10,} {removed:>10,} {e['out']:>10,}   {top}")
    return "\n".join(lines)


QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
HIST_BINS = 20
TOP_DOMAINS = 1000
EXAMPLES_PER_REASON = 5
SNIPPET_CHARS = 400

SIGNALS_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("signal", T.StringType(), False),
        T.StructField("subset", T.StringType(), False),
        T.StructField("documents", T.LongType(), False),
        T.StructField("mean", T.DoubleType(), True),
        T.StructField("min", T.DoubleType(), True),
        T.StructField("max", T.DoubleType(), True),
        *[T.StructField(f"p{int(q * 100):02d}", T.DoubleType(), True) for q in QUANTILES],
        T.StructField("hist_edges", T.ArrayType(T.DoubleType()), True),
        T.StructField("hist_counts", T.ArrayType(T.LongType()), True),
    ]
)


def signal_columns(df: DataFrame, stages: list[Stage]) -> list[str]:
    """Numeric and boolean signal columns of the frame, in stage order."""
    from winnow.stage import SignalStage

    numeric = (T.NumericType, T.BooleanType)
    types = {f.name: f.dataType for f in df.schema.fields}
    names = ["input_chars"]
    for s in stages:
        if isinstance(s, SignalStage) and s.mode != "off":
            names += [f.name for f in s.output_fields()]
    seen: list[str] = []
    for n in names:
        if n in types and isinstance(types[n], numeric) and n not in seen:
            seen.append(n)
    return seen


#: Spark's quantile summaries (relative rank error 1/accuracy) only merge entries once
#: a group has more than about accuracy / 2 values; below that the quantiles are
#: exact, so they do not depend on how the rows were partitioned. Above it they are
#: within 0.01% of the rank.
QUANTILE_ACCURACY = 10_000


def signals_table(df: DataFrame, stages: list[Stage], run_id: str) -> list[tuple]:
    """Quantiles, mean and a fixed 20-bin histogram per signal, kept vs removed.

    Two aggregations over the persisted frame: summaries (which fix the bin edges
    from the global min/max), then all histograms at once over a melted frame.
    """
    cols = signal_columns(df, stages)
    docs = df.where(frame.is_document()).withColumn(
        "_subset", frame.outcome())
    if not cols:
        return []
    aggs = [F.count(F.lit(1)).alias("n")]
    for i, c in enumerate(cols):
        x = F.col(c).cast("double")
        aggs += [F.avg(x).alias(f"mean{i}"), F.min(x).alias(f"min{i}"), F.max(x).alias(f"max{i}"),
                 F.count(x).alias(f"n{i}"),
                 F.percentile_approx(x, list(QUANTILES), QUANTILE_ACCURACY).alias(f"q{i}")]
    summary = {r["_subset"]: r for r in docs.groupBy("_subset").agg(*aggs).collect()}
    edges: dict[int, list[float]] = {}
    for i, _ in enumerate(cols):
        lows = [r[f"min{i}"] for r in summary.values() if r[f"min{i}"] is not None]
        highs = [r[f"max{i}"] for r in summary.values() if r[f"max{i}"] is not None]
        if lows:
            lo, hi = min(lows), max(highs)
            hi = hi if hi > lo else lo + 1.0
            edges[i] = [lo + (hi - lo) * k / HIST_BINS for k in range(HIST_BINS + 1)]
    hist: dict[tuple[str, int], list[int]] = {}
    if edges:  # some signal has a value (an empty F.array() cannot be exploded)
        hist = _histograms(docs, cols, edges)
    rows = []
    for subset, r in sorted(summary.items()):
        for i, c in enumerate(cols):
            q = r[f"q{i}"] or [None] * len(QUANTILES)
            rows.append((
                run_id, c, subset, r[f"n{i}"], r[f"mean{i}"], r[f"min{i}"], r[f"max{i}"], *q,
                edges.get(i), hist.get((subset, i), [0] * HIST_BINS) if i in edges else None,
            ))
    return rows


def _histograms(docs: DataFrame, cols: list[str],
                edges: dict[int, list[float]]) -> dict[tuple[str, int], list[int]]:
    """All histograms in one aggregation over a melted frame."""
    melted = docs.select(
        "_subset",
        F.explode(F.array(*[
            F.struct(F.lit(i).alias("sig"), _bin_expr(F.col(c).cast("double"), edges[i])
                     .alias("bin"))
            for i, c in enumerate(cols) if i in edges
        ])).alias("m"),
    ).where(F.col("m.bin").isNotNull())
    hist: dict[tuple[str, int], list[int]] = {}
    for r in melted.groupBy("_subset", "m.sig", "m.bin").count().collect():
        hist.setdefault((r["_subset"], r["sig"]), [0] * HIST_BINS)[r["bin"]] = r["count"]
    return hist


def _bin_expr(x, edges: list[float]):
    lo, hi = edges[0], edges[-1]
    idx = F.floor((x - F.lit(lo)) / F.lit((hi - lo) / HIST_BINS)).cast("int")
    return F.when(x.isNull(), None).otherwise(
        F.greatest(F.lit(0), F.least(F.lit(HIST_BINS - 1), idx)))


#: Registered domain: the last two host labels, or three under common second-level
#: public suffixes (co.uk, com.au, ac.jp …); a heuristic without the full PSL.
_REGISTERED = r"([^.]+\.(?:(?:co|com|org|net|ac|gov|edu|ne|or|go)\.[a-z]{2}|[^.]+))$"


def domains_table(df: DataFrame, run_id: str) -> DataFrame:
    """Top registered domains by documents, with characters, kept vs removed."""
    host = F.lower(F.expr("try_parse_url(url, 'HOST')"))
    domain = F.regexp_extract(host, _REGISTERED, 1)
    kept = frame.is_kept()
    return (
        df.where(frame.is_document())
        .withColumn("domain", F.when(domain == "", None).otherwise(domain))
        .groupBy("domain")
        .agg(
            F.count(F.lit(1)).alias("documents"),
            F.sum("input_chars").alias("characters"),
            F.sum(kept.cast("long")).alias("kept_documents"),
            F.sum(F.when(kept, F.col("input_chars")).otherwise(0)).alias("kept_characters"),
        )
        .withColumn("removed_documents", F.col("documents") - F.col("kept_documents"))
        .withColumn("removed_characters", F.col("characters") - F.col("kept_characters"))
        .orderBy(F.desc("documents"), F.asc_nulls_last("domain"))
        .limit(TOP_DOMAINS)
        .select(F.lit(run_id).alias("run_id"), "*")
    )


def examples_table(df: DataFrame, run_id: str) -> DataFrame:
    """A few removed documents per reason (deterministic pseudo-random pick)."""
    from pyspark.sql import Window

    w = Window.partitionBy("reason").orderBy(F.xxhash64("id"), "id")
    text = F.coalesce(F.col("text"), F.col("raw_excerpt"), F.lit(""))
    return (
        df.where(frame.is_rejected())
        .withColumn("_n", F.row_number().over(w))
        .where(F.col("_n") <= EXAMPLES_PER_REASON)
        .select(
            F.lit(run_id).alias("run_id"), "reason", "stage", "id", "url", "duplicate_of",
            F.substring(text, 1, SNIPPET_CHARS).alias("snippet"),
        )
    )

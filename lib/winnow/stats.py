"""Statistics tables computed from the final annotated frame in one aggregation.

``stage_summary`` is tidy: one row per (stage, outcome[, reason]) with
``outcome`` in ``in``, ``removed``, ``modified``, ``out``. Conservation holds by
construction (``in = out + Σ removed`` per stage) and is re-checked against the
written files by the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

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


def aggregate(df: DataFrame, stages: list[Stage]) -> Counts:
    """One pass over the frame: documents, characters and modifications per reason."""
    modifying = [s for s in stages if getattr(s, "modifies_text", lambda: False)()
                 and s.mode != "off" and f"{s.name}_modified" in df.columns]
    aggs = [F.count(F.lit(1)).alias("documents"),
            F.coalesce(F.sum("input_chars"), F.lit(0)).alias("characters"),
            F.coalesce(F.sum(F.length("text")), F.lit(0)).alias("final_characters")]
    aggs += [F.sum(F.col(f"{s.name}_modified").cast("long")).alias(f"mod__{s.name}")
             for s in modifying]
    rows = [r.asDict() for r in df.groupBy("stage", "reason").agg(*aggs).collect()]
    kept = [r for r in rows if r["reason"] is None]
    quarantined = sum(r["documents"] for r in rows if r["stage"] == "input")
    removed = sum(r["documents"] for r in rows if r["reason"] is not None) - quarantined
    return Counts(
        records=sum(r["documents"] for r in rows),
        kept=sum(r["documents"] for r in kept),
        kept_chars=sum(r["final_characters"] for r in kept),
        removed=removed,
        quarantined=quarantined,
        by_reason={r["reason"]: r["documents"] for r in rows if r["reason"] is not None},
        groups=rows,
    )


def stage_summary_rows(
    counts: Counts, stages: list[Stage], run_id: str, wall: dict[str, float],
    cpu: dict[str, float],
) -> list[tuple]:
    """Tidy per-stage funnel rows: in, removed by reason, modified, out."""
    order = ["input"] + [s.name for s in stages if s.mode != "off"]
    by_stage: dict[str, list[dict]] = {}
    for g in counts.groups:
        if g["reason"] is not None:
            by_stage.setdefault(g["stage"], []).append(g)
    rows: list[tuple] = []
    docs_in = counts.records
    chars_in = sum(g["characters"] for g in counts.groups)
    for i, name in enumerate(order):
        w = next((v for k, v in wall.items() if name in k.split(" + ")), None)
        c = cpu.get(name)
        rows.append((run_id, i, name, "in", None, docs_in, chars_in, w, c))
        for g in sorted(by_stage.get(name, []), key=lambda g: g["reason"]):
            rows.append((run_id, i, name, "removed", g["reason"], g["documents"],
                         g["characters"], None, None))
            docs_in -= g["documents"]
            chars_in -= g["characters"]
        mod_key = f"mod__{name}"
        if counts.groups and mod_key in counts.groups[0]:
            # Documents still kept when this stage ran: kept ones and those removed later.
            later = set(order[i:])
            mod = sum(g[mod_key] or 0 for g in counts.groups
                      if g["reason"] is None or (g["stage"] in later and g["stage"] != name))
            rows.append((run_id, i, name, "modified", None, mod, 0, None, None))
        rows.append((run_id, i, name, "out", None, docs_in, chars_in, None, None))
    return rows


def stage_summary_frame(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    return spark.createDataFrame(rows, STAGE_SUMMARY_SCHEMA)


def format_summary(rows: list[tuple]) -> str:
    """The end-of-run table printed on the terminal."""
    lines = [f"{'stage':<22} {'in':>10} {'removed':>10} {'out':>10}   top reasons"]
    current: dict[str, dict] = {}
    for _, i, stage, outcome, reason, docs, _chars, _w, _c in rows:
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

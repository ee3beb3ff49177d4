"""``decontaminate``: documents sharing n-grams with evaluation benchmarks.

The n-grams of every benchmark item are hashed once per run on the driver
(``winnow.decontam.evals``); tokens are normalised exactly as the MinHash shingles
are. A table of fewer than ``join_threshold`` n-grams is broadcast and probed in the
fused Arrow pass by a numba kernel (``winnow.text.ngrams.probe``); a larger one is
joined with the documents' n-grams in Spark when the stage decides
(``method`` forces either). Signals: ``decontam_ngrams`` (matched n-gram positions),
``decontam_benchmarks`` (names hit, config order), ``decontam_matched`` (distinct
matched n-grams with their benchmark bits). Reason ``decontam:<benchmark>``: the
first benchmark, in config order, the document matches.

``max_corpus_count`` is GPT-3's rule (Brown et al. 2020, appendix C): an evaluation
n-gram found in more than that many corpus documents is a common phrase, not a
leak, and is ignored. It needs a corpus-wide count, so the stage then decides in
Spark after the fused pass.

``action: strip`` cuts ``strip_window`` characters around each match out of the
text (the windows of nearby matches merge into one cut); a document with more
than ``max_strips`` cuts is dropped instead and keeps its text.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from winnow import frame, worker
from winnow.errors import ConfigError
from winnow.stage import (
    FilePath,
    Range,
    Rule,
    RunContext,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    register,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from winnow.decontam.evals import EvalTable

ACTIONS = ("drop", "strip", "annotate")
METHODS = ("auto", "broadcast", "join")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Items listed per benchmark in ``stats/contamination``.
TOP_ITEMS = 20
#: Documents the join path may reject (it names them in its rules).
MAX_JOIN_REJECTS = 200_000
#: Common n-grams ``max_corpus_count`` may exclude (they are named in the rules).
MAX_COMMON = 100_000


@dataclass
class DecontaminateParams(StageParams):
    benchmarks: dict[str, FilePath] = field(default_factory=dict)
    fields: list[str] = field(default_factory=lambda: ["text"])
    ngram: int = bounded(Range(1, 64), 13)
    action: str = "drop"
    strip_window: int = bounded(Range(0, 1_000_000), 200)
    max_strips: int = bounded(Range(0, 1_000_000), 10)
    max_corpus_count: int | None = bounded(Range(1, 10**12), None)
    method: str = "auto"
    join_threshold: int = bounded(Range(1, 10**12), 10_000_000)


@register
class Decontaminate(SignalStage):
    """Drop, strip or annotate documents that contain benchmark n-grams."""

    name = "decontaminate"
    family = "decontam"
    Params = DecontaminateParams

    def __init__(self, params: StageParams, index: int = 0):
        super().__init__(params, index)
        self._table: EvalTable | None = None
        self._probe: tuple[np.ndarray, np.ndarray] | None = None
        self._bcast: Any = None
        self._join: bool | None = None
        self.common: np.ndarray | None = None   # what decide() excluded (max_corpus_count)
        self.hits: DataFrame | None = None      # the join path's matches

    # -- config ---------------------------------------------------------------------
    def validate(self) -> None:
        from winnow.decontam.evals import MAX_BENCHMARKS, EvalError, benchmark_files

        p = self.params
        if p.action not in ACTIONS:
            raise ConfigError(f"action: must be one of {', '.join(ACTIONS)}, got {p.action!r}")
        if p.method not in METHODS:
            raise ConfigError(f"method: must be one of {', '.join(METHODS)}, got {p.method!r}")
        if not p.benchmarks:
            raise ConfigError("benchmarks: name at least one benchmark (name: file)")
        if len(p.benchmarks) > MAX_BENCHMARKS:
            raise ConfigError(f"benchmarks: at most {MAX_BENCHMARKS}")
        for name, path in p.benchmarks.items():
            if not _NAME.match(name):
                raise ConfigError(f"benchmarks.{name[:40]}: a name is 1-64 letters, digits, "
                                  "'.', '_' or '-'")
            if "://" not in path:
                try:
                    benchmark_files(path)
                except EvalError as exc:
                    raise ConfigError(f"benchmarks.{name}: {exc}") from None
        if not p.fields:
            raise ConfigError("fields: name at least one field of the benchmark items")
        if p.action == "strip" and (p.max_corpus_count is not None or p.method == "join"):
            raise ConfigError("action: strip rewrites text in the fused pass, so it needs "
                              "method broadcast and no max_corpus_count")

    def content_digest(self) -> str:
        """SHA-256 of the benchmark files, part of the config hash (nightly mode)."""
        from winnow.decontam.evals import digest

        return digest(dict(self.params.benchmarks))

    # -- the evaluation table (driver) -------------------------------------------------
    @property
    def table(self) -> EvalTable:
        if self._table is None:
            from winnow.decontam.evals import EvalTable

            p = self.params
            self._table = EvalTable.build(dict(p.benchmarks), list(p.fields), p.ngram)
        return self._table

    def uses_join(self) -> bool:
        if self._join is None:
            p = self.params
            self._join = (p.method == "join" if p.method != "auto"
                          else len(self.table) >= p.join_threshold)
        return self._join

    def __getstate__(self) -> dict:
        """Ship the probe table to executors as a Spark broadcast, not in every task."""
        self.uses_join()  # decided on the driver, shipped with the stage
        state = self.__dict__.copy()
        state["_table"] = None
        state["hits"] = None
        from pyspark import SparkContext

        sc = SparkContext._active_spark_context
        if sc is not None and not self.uses_join():
            if self._bcast is None:
                self._bcast = (uuid.uuid4().hex, sc.broadcast(self.table.probe_table()))
            state["_bcast"] = self._bcast
            state["_probe"] = None
        return state

    def _probe_table(self) -> tuple[np.ndarray, np.ndarray]:
        if self._probe is None:
            if self._bcast is not None:
                key, bcast = self._bcast
                self._probe = worker.cached(("decontam", key), lambda: bcast.value)
            else:
                self._probe = self.table.probe_table()
        return self._probe

    # -- signals ---------------------------------------------------------------------
    def output_fields(self) -> list[pa.Field]:
        from winnow.decontam.match import MATCHED_TYPE

        fields = [pa.field("decontam_ngrams", pa.int64()),
                  pa.field("decontam_benchmarks", pa.list_(pa.string())),
                  pa.field("decontam_matched", MATCHED_TYPE)]
        if self.params.action == "strip":
            fields += [pa.field("decontam_strips", pa.int64()),
                       pa.field("decontaminate_modified", pa.bool_()),
                       pa.field("decontaminate_chars_removed", pa.int64())]
        return fields

    def modifies_text(self) -> bool:
        return self.params.action == "strip"

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        from winnow.decontam.match import MATCHED_TYPE, benchmark_names, matched_column
        from winnow.text.ngrams import probe

        n = len(batch)
        if self.uses_join():  # decided by the Spark join after the pass
            return {"decontam_ngrams": pa.nulls(n, pa.int64()),
                    "decontam_benchmarks": pa.nulls(n, pa.list_(pa.string())),
                    "decontam_matched": pa.nulls(n, MATCHED_TYPE)}
        keys, vals = self._probe_table()
        texts = batch.texts
        m = probe(pa.array(texts, pa.string()), self.params.ngram, keys, vals)
        out: dict[str, Any] = {
            "decontam_ngrams": pa.array(m.counts, pa.int64()),
            "decontam_benchmarks": benchmark_names(m.masks, list(self.params.benchmarks)),
            "decontam_matched": matched_column(m, n),
        }
        if self.params.action == "strip":
            out.update(self._strip(batch, m))
        return out

    def _strip(self, batch: TextBatch, m) -> dict[str, Any]:
        p = self.params
        texts = list(batch.texts)
        strips = np.zeros(len(texts), np.int64)
        removed = np.zeros(len(texts), np.int64)
        for d in np.flatnonzero(m.counts):
            lo, hi = int(m.offsets[d]), int(m.offsets[d + 1])
            cuts = _merge(m.starts[lo:hi] - p.strip_window, m.ends[lo:hi] + p.strip_window,
                          len(texts[d]))
            strips[d] = len(cuts)
            if len(cuts) > p.max_strips:
                continue  # dropped by the rule, text kept as it was
            t = texts[d]
            pieces, pos = [], 0
            for a, b in cuts:
                pieces.append(t[pos:a])
                pos = b
            pieces.append(t[pos:])
            texts[d] = "".join(pieces)
            removed[d] = len(t) - len(texts[d])
        batch.replace_texts(texts)
        return {"decontam_strips": pa.array(strips),
                "decontaminate_modified": pa.array(removed > 0),
                "decontaminate_chars_removed": pa.array(removed)}

    # -- decisions -------------------------------------------------------------------
    def _bench_rules(self, predicate: str) -> list[Rule]:
        return [Rule(name, predicate.format(name=name, bit=1 << b))
                for b, name in enumerate(self.params.benchmarks)]

    def rules(self) -> list[Rule]:
        p = self.params
        if p.action == "annotate":
            return []
        if p.action == "strip":
            return self._bench_rules(f"decontam_strips > {p.max_strips} AND "
                                     "array_contains(decontam_benchmarks, '{name}')")
        return self._bench_rules("array_contains(decontam_benchmarks, '{name}')")

    def corpus_wide(self) -> bool:
        p = self.params
        return p.action == "drop" and (p.max_corpus_count is not None or self.uses_join())

    def matches(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        """(id, decontam_ngrams, decontam_matched) of every matched document."""
        from pyspark.sql import functions as F

        from winnow.decontam.match import join_matches

        if self.uses_join():
            if self.hits is None:
                self.hits = join_matches(ctx.spark, df, self.table).persist()
            return self.hits
        return df.where(frame.is_document() & (F.col("decontam_ngrams") > 0)).select(
            "id", "decontam_ngrams", "decontam_matched")

    def _common(self, hits: DataFrame) -> np.ndarray:
        """GPT-3's rule: evaluation n-grams in more than ``max_corpus_count`` documents."""
        from pyspark.sql import functions as F

        limit = self.params.max_corpus_count
        if limit is None:
            return np.zeros(0, np.int64)
        common = (hits.select(F.explode("decontam_matched.hash").alias("hash"))
                  .groupBy("hash").count().where(F.col("count") > limit)
                  .select("hash").limit(MAX_COMMON + 1).collect())
        if len(common) > MAX_COMMON:
            raise ConfigError(f"max_corpus_count: more than {MAX_COMMON:,} evaluation n-grams "
                              "are common in this corpus; raise max_corpus_count")
        return np.array(sorted(r[0] for r in common), np.int64)

    def decide(self, df: DataFrame, ctx: RunContext) -> list[Rule]:
        from pyspark.sql import functions as F

        hits = self.matches(df, ctx)
        self.common = self._common(hits)
        exclude = (f"NOT array_contains(array({', '.join(f'{h}L' for h in self.common)}), x.hash)"
                   if len(self.common) else "true")
        if not self.uses_join():
            return self._bench_rules("exists(decontam_matched, x -> (x.mask & {bit}L) != 0 "
                                     f"AND {exclude})")
        # Join path: the signals are not in the frame; the rules name the documents.
        first = None
        for b, name in enumerate(self.params.benchmarks):
            hit = F.expr(f"exists(decontam_matched, x -> (x.mask & {1 << b}L) != 0 "
                         f"AND {exclude})")
            first = F.when(hit, F.lit(name)) if first is None else first.when(hit, F.lit(name))
        kept_ids = df.where(frame.is_kept()).select("id")
        rows = (hits.join(kept_ids, "id").withColumn("_b", first).where(F.col("_b").isNotNull())
                .select("id", "_b").limit(MAX_JOIN_REJECTS + 1).collect())
        if len(rows) > MAX_JOIN_REJECTS:
            raise ConfigError(f"method: join found more than {MAX_JOIN_REJECTS:,} contaminated "
                              "documents; use method: broadcast")
        by_bench: dict[str, list[str]] = {}
        for r in rows:
            by_bench.setdefault(r["_b"], []).append(r["id"])
        rules = []
        for name in self.params.benchmarks:
            ids = sorted(by_bench.get(name, []))
            if ids:
                quoted = ", ".join("'" + i.replace("\\", "\\\\").replace("'", "\\'") + "'"
                                   for i in ids)
                rules.append(Rule(name, f"id IN ({quoted})"))
        return rules

    # -- statistics ------------------------------------------------------------------
    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        from winnow.decontam.stats import contamination_table

        ctx = RunContext(df.sparkSession, run_id)
        return {"contamination": contamination_table(self, self.matches(df, ctx), run_id)}


def _merge(starts: np.ndarray, ends: np.ndarray, length: int) -> list[tuple[int, int]]:
    """Sorted, merged [start, end) windows clipped to the text."""
    order = np.argsort(starts, kind="stable")
    out: list[list[int]] = []
    for a, b in zip(starts[order].tolist(), ends[order].tolist(), strict=True):
        a, b = max(a, 0), min(b, length)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]

"""``sample_weight``: how often ``winnow mix`` should draw each kept document.

Policies (``policy``):

* ``rehydrate`` — FineWeb-2's "rehydration" (Penedo et al. 2025, FineWeb2): MinHash
  dedup keeps one document per duplicate cluster and records the cluster's size;
  the kept document is then upsampled by a weight looked up from that size in a
  bucket table (``buckets``: smallest cluster size of a bucket -> weight). The
  default table has the shape of FineWeb-2's example (weights grow with the
  cluster size, the largest clusters, mostly boilerplate and spam, fall back to 1);
  FineWeb-2 tunes it per language from the filter rates of each size bucket, so
  treat it as a starting point.
* ``softdedup`` — SoftDedup (He et al. 2024): instead of deleting common data, weight
  each document by the inverse of a commonness estimate, ``commonness ** -power``,
  normalised so the mean weight of the kept documents is 1. The default estimate
  is the MinHash cluster size; run ``minhash_dedup`` with ``mode: annotate`` so the
  copies stay and share their cluster's weight (any numeric column, e.g. an n-gram
  frequency signal, may be named instead).
* anything else is a Spark SQL expression over the columns of the frame, e.g.
  ``quality_score * 2`` or ``CASE WHEN lang = 'de' THEN 2.0 ELSE 1.0 END``.

The cluster size is ``dup_cluster_size`` (``minhash_dedup``) when present, else
``exact_copies`` (``exact_dedup``), else this stage counts the kept documents
sharing an exact text (MD5, as ``exact_dedup``) as a corpus-wide step. Only kept
documents get a weight (removed rows: null). A weight must be finite and >= 0: a
rule that gives anything else fails the run with one line naming a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow import frame
from winnow.config import rule_columns
from winnow.errors import ConfigError, WinnowError
from winnow.stage import FrameStage, Range, RunContext, StageParams, bounded, register

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

POLICIES = ("rehydrate", "softdedup")
#: Smallest cluster size of each bucket -> weight (the shape of FineWeb-2's example).
DEFAULT_BUCKETS = {"1": 1.0, "2": 2.0, "3": 3.0, "5": 5.0, "101": 8.0, "1001": 1.0}
SIZE_COLUMNS = ("dup_cluster_size", "exact_copies")


@dataclass
class SampleWeightParams(StageParams):
    policy: str = "rehydrate"
    buckets: dict[str, float] = bounded(Range(0.0, 1e6), factory=lambda: dict(DEFAULT_BUCKETS))
    #: softdedup: the commonness column (default: the cluster size).
    commonness: str = ""
    power: float = bounded(Range(0.0, 10.0), 1.0)
    #: Divide by the mean over kept documents (always done for softdedup).
    normalize: bool = False


@register
class SampleWeight(FrameStage):
    """Column ``sample_weight`` on kept documents, from a policy or a SQL expression."""

    name = "sample_weight"
    Params = SampleWeightParams
    params: SampleWeightParams

    def validate(self) -> None:
        p = self.params
        if not p.policy.strip():
            raise ConfigError("policy: rehydrate, softdedup or a Spark SQL expression")
        if p.policy == "rehydrate":
            self.table()

    def table(self) -> dict[int, float]:
        """The bucket table: smallest cluster size of each bucket -> weight."""
        table = {}
        for key, weight in self.params.buckets.items():
            try:
                size = int(key)
            except ValueError:
                size = 0
            if size < 1:
                raise ConfigError(f"buckets.{key}: keys are cluster sizes (integers >= 1)")
            table[size] = float(weight)
        if 1 not in table:
            raise ConfigError("buckets: needs a bucket starting at cluster size 1")
        return table

    def output_columns(self) -> list[str]:
        return ["sample_weight"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        if "sample_weight" in df.columns:
            raise ConfigError(f"stages[{self.index}]: column 'sample_weight' already exists")
        p = self.params
        kept = frame.is_kept()
        df, size, extra = self._cluster_size(df) if p.policy in POLICIES else (df, None, [])
        if p.policy == "rehydrate":
            weight = bucket_weight(size, self.table())
        elif p.policy == "softdedup":
            source = F.col(p.commonness) if p.commonness else size
            if p.commonness and p.commonness not in df.columns:
                raise ConfigError(f"stages[{self.index}].commonness: no column "
                                  f"{p.commonness!r} in the frame")
            weight = F.pow(F.greatest(source.cast("double"), F.lit(1.0)), -p.power)
        else:
            missing = [c for c in rule_columns(p.policy) if c not in df.columns]
            if missing:
                raise ConfigError(f"stages[{self.index}].policy: unknown column "
                                  f"{missing[0]!r} in {p.policy!r}")
            weight = F.expr(p.policy).cast("double")
        out = df.withColumn("sample_weight", F.when(kept, weight))
        self._check(out)
        if p.normalize or p.policy == "softdedup":
            mean = out.where(kept).agg(F.avg("sample_weight")).first()[0]
            if mean:
                out = out.withColumn("sample_weight", F.col("sample_weight") / F.lit(mean))
        return out.drop(*extra)

    def _cluster_size(self, df: DataFrame) -> tuple[DataFrame, Column, list[str]]:
        """The duplicate-cluster size of each kept document, and helper columns to drop."""
        for name in SIZE_COLUMNS:
            if name in df.columns:
                return df, F.coalesce(F.col(name), F.lit(1)), []
        hashed = df.withColumn("_sw_hash", F.md5(F.col("text")))
        sizes = hashed.where(frame.is_kept()).groupBy("_sw_hash").agg(
            F.count(F.lit(1)).alias("_sw_size"))
        out = hashed.join(sizes, "_sw_hash", "left")
        return out, F.coalesce(F.col("_sw_size"), F.lit(1)), ["_sw_hash", "_sw_size"]

    def _check(self, df: DataFrame) -> None:
        """Fail with one line when a kept document's weight is null, NaN, infinite or < 0."""
        w = F.col("sample_weight")
        bad = frame.is_kept() & (w.isNull() | F.isnan(w) | (w < 0)
                                 | (F.abs(w) == F.lit(float("inf"))))
        row = df.where(bad).agg(F.count(F.lit(1)), F.min("id")).first()
        if row[0]:
            raise WinnowError(f"sample_weight: policy {self.params.policy!r} gives no finite "
                              f"weight >= 0 for {row[0]:,} kept document(s), e.g. id {row[1]}")

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``sample_weights``: kept documents and their weight sum per distinct weight."""
        return {"sample_weights": df.where(frame.is_kept()).groupBy(
            F.round("sample_weight", 6).alias("sample_weight")).agg(
            F.count(F.lit(1)).alias("documents")).orderBy("sample_weight").select(
            F.lit(run_id).alias("run_id"), "sample_weight", "documents")}


def bucket_weight(size: Column, table: dict[int, float]) -> Column:
    """The weight of the bucket holding ``size``: the largest lower bound <= size."""
    bounds = sorted(table, reverse=True)
    expr = None
    for b in bounds:
        cond = size >= F.lit(b)
        expr = F.when(cond, F.lit(float(table[b]))) if expr is None else expr.when(
            cond, F.lit(float(table[b])))
    return expr.otherwise(F.lit(float(table[min(bounds)])))

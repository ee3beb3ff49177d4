"""``exact_dedup``: remove documents whose normalised text is identical to another's.

The key is the 128-bit MD5 of the text (computed natively in Spark). The survivor
of each group is the document with the smallest ``id``, so the choice is
deterministic and independent of partitioning. Only documents still kept take
part; each removed copy carries ``duplicate_of`` = the survivor's id. In nightly
mode a copy of an already published document is removed with
``dedup:duplicate_of_published`` (published documents are never touched).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow import frame
from winnow.stage import FrameStage, RunContext, register

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@register
class ExactDedup(FrameStage):
    name = "exact_dedup"
    family = "dedup"
    index_names = ("exact",)

    def output_columns(self) -> list[str]:
        return ["text_hash", "exact_copies"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        hashed = df.withColumn("text_hash", F.md5(F.col("text")))
        filtering = self.mode == "filter"
        state = ctx.state
        published = state.index("exact") if state is not None else None
        if published is not None and filtering:
            first = published.groupBy("text_hash").agg(F.min("id").alias("_published"))
            hashed = hashed.join(first, "text_hash", "left")
            hit = frame.is_kept() & F.col("_published").isNotNull()
            hashed = self.reject(hashed, hit, "duplicate_of_published",
                                 F.col("_published")).drop("_published")
        groups = (
            hashed.where(frame.is_kept())
            .groupBy("text_hash")
            .agg(F.min("id").alias("_survivor"), F.count(F.lit(1)).alias("exact_copies"))
        )
        out = hashed.join(groups, "text_hash", "left")
        if not filtering:
            return out.drop("_survivor")
        is_copy = frame.is_kept() & (F.col("_survivor") != F.col("id"))
        return self.reject(out, is_copy, "exact_duplicate", F.col("_survivor")).drop(
            "_survivor")

    def index_tables(self, df: DataFrame) -> dict[str, DataFrame]:
        return {"exact": df.where(frame.is_kept()).select("text_hash", "id")}

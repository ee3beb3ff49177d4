"""``exact_dedup``: remove documents whose normalised text is identical to another's.

The key is the 128-bit MD5 of the text (computed natively in Spark). The survivor
of each group is the document with the smallest ``id``, so the choice is
deterministic and independent of partitioning. Only documents still kept take
part; each removed copy carries ``duplicate_of`` = the survivor's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.stage import FrameStage, RunContext, register

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@register
class ExactDedup(FrameStage):
    name = "exact_dedup"
    family = "dedup"

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        hashed = df.withColumn("text_hash", F.md5(F.col("text")))
        groups = (
            hashed.where(F.col("reason").isNull())
            .groupBy("text_hash")
            .agg(F.min("id").alias("_survivor"), F.count(F.lit(1)).alias("exact_copies"))
        )
        out = hashed.join(groups, "text_hash", "left")
        is_copy = F.col("reason").isNull() & (F.col("_survivor") != F.col("id"))
        if self.mode != "filter":
            return out.drop("_survivor")
        return (
            out.withColumn("duplicate_of", F.when(is_copy, F.col("_survivor")).otherwise(
                F.col("duplicate_of")))
            .withColumn("stage", F.when(is_copy, F.lit(self.name)).otherwise(F.col("stage")))
            .withColumn(
                "reason", F.when(is_copy, F.lit(self.reason("exact_duplicate"))).otherwise(
                    F.col("reason"))
            )
            .drop("_survivor")
        )

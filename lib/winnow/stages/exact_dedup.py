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
from winnow.checkpoint import broadcast_if_small, checkpointer
from winnow.stage import FrameStage, RunContext, register

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Notes (ids of copies and of their survivors; ~80 bytes a row) up to this many rows
#: are broadcast to the join with the corpus, so the documents are not shuffled.
BROADCAST_NOTES = 500_000


@register
class ExactDedup(FrameStage):
    name = "exact_dedup"
    family = "dedup"
    index_names = ("exact",)

    def output_columns(self) -> list[str]:
        return ["text_hash", "exact_copies"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        filtering = self.mode == "filter"
        state = ctx.state
        published = state.index("exact") if state is not None and filtering else None
        # The grouping runs on a narrow projection (id, hash, kept): the text is never
        # shuffled. Only rows whose outcome differs from "a kept document with a text
        # of its own" get a note, and the notes join back by id (broadcast when few,
        # as they are unless most of the corpus is duplicated).
        keyed = df.select("id", F.md5(F.col("text")).alias("text_hash"),
                          frame.is_kept().alias("_kept"))
        if published is not None:
            first = published.groupBy("text_hash").agg(F.min("id").alias("_published"))
            keyed = keyed.join(first, "text_hash", "left").withColumns({
                "_published": F.when(F.col("_kept"), F.col("_published")),
                "_kept": F.col("_kept") & F.col("_published").isNull(),
            })
        else:
            keyed = keyed.withColumn("_published", F.lit(None).cast("string"))
        groups = (
            keyed.where(F.col("_kept"))
            .groupBy("text_hash")
            .agg(F.min("id").alias("_survivor"), F.count(F.lit(1)).alias("exact_copies"))
        )
        singleton = F.col("_kept") & (F.col("exact_copies") == 1)
        notes = checkpointer(ctx)(
            keyed.join(groups, "text_hash", "left")
            .where(F.col("_published").isNotNull()
                   | (F.col("exact_copies").isNotNull() & ~singleton))
            .select("id", "_survivor", "exact_copies", "_published"))
        out = df.join(broadcast_if_small(notes, BROADCAST_NOTES), "id", "left")
        if published is not None:
            hit = frame.is_kept() & F.col("_published").isNotNull()
            out = self.reject(out, hit, "duplicate_of_published", F.col("_published"))
        out = out.withColumns({
            "text_hash": F.md5(F.col("text")),
            "exact_copies": F.coalesce("exact_copies", F.when(frame.is_kept(), F.lit(1))),
        })
        if filtering:
            is_copy = frame.is_kept() & (F.col("_survivor") != F.col("id"))
            out = self.reject(out, is_copy, "exact_duplicate", F.col("_survivor"))
        # The columns in the order they always had: the hash first, the count last.
        return out.select("text_hash", *df.columns, "exact_copies")

    def index_tables(self, df: DataFrame) -> dict[str, DataFrame]:
        return {"exact": df.where(frame.is_kept()).select("text_hash", "id")}

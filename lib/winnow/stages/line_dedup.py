"""``line_dedup``: remove lines or paragraphs repeated across documents (CCNet, Dolma).

Unlike Dolma's Bloom filter (the first copy *seen* wins, so the result depends on
file order) the decision is exact and deterministic: every kept document's units
(``winnow.subdedup.units``: normalised 64-bit hashes) go to a Spark ``groupBy``
that counts the documents holding each unit and finds its first owner (the
smallest id). A unit held by at least ``min_copies`` documents is repeated;
``keep: first`` leaves exactly one copy (the first in the owner), ``keep: none``
removes every copy (CCNet). Units shorter than ``min_chars`` are never removed.
The text is then rewritten by one Arrow pass (``RewriteStage``); a document that
would lose more than ``max_removed_fraction`` of its characters is removed with
``line_dedup:mostly_duplicate``.

Nightly mode: the units of published documents join the ``line_units`` index;
in a later run every copy of a published unit is removed (the published document
owns it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow import frame, worker
from winnow.checkpoint import checkpointer
from winnow.errors import ConfigError
from winnow.stage import FRACTION, Range, RewriteStage, RunContext, StageParams, bounded, register
from winnow.subdedup.units import UNITS, unit_rows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

KEEP = ("first", "none")
SAMPLE_CHARS = 200
UNIT_SCHEMA = T.StructType([
    T.StructField("id", T.StringType()),
    T.StructField("unit_hash", T.LongType()),
    T.StructField("start", T.IntegerType()),
    T.StructField("end", T.IntegerType()),
    T.StructField("first_in_doc", T.BooleanType()),
])


@dataclass
class LineDedupParams(StageParams):
    unit: str = "paragraph"  # line | paragraph
    min_copies: int = bounded(Range(2, 10**9), 2)
    keep: str = "first"  # first | none
    min_chars: int = bounded(Range(0, 10**6), 30)
    max_removed_fraction: float = bounded(FRACTION, 0.8)
    #: Rows of ``stats/repeated_units``.
    top_units: int = bounded(Range(0, 100_000), 50)


def unit_frame(df: DataFrame, unit: str, min_chars: int) -> DataFrame:
    """One row per unit (≥ ``min_chars``) of every row of ``df`` (``id``, ``text``)."""

    @worker.batch_function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for rb in batches:
            ids, hashes, starts, ends, firsts = [], [], [], [], []
            for doc_id, text in zip(rb.column("id").to_pylist(), rb.column("text").to_pylist(),
                                    strict=True):
                for h, s, e, first in unit_rows(text or "", unit, min_chars):
                    ids.append(doc_id)
                    hashes.append(h)
                    starts.append(s)
                    ends.append(e)
                    firsts.append(first)
            yield pa.RecordBatch.from_arrays(
                [pa.array(ids, pa.string()), pa.array(hashes, pa.int64()),
                 pa.array(starts, pa.int32()), pa.array(ends, pa.int32()),
                 pa.array(firsts, pa.bool_())],
                names=UNIT_SCHEMA.names)

    return df.select("id", "text").mapInArrow(run, UNIT_SCHEMA)


@register
class LineDedup(RewriteStage):
    name = "line_dedup"
    Params = LineDedupParams
    index_names = ("line_units",)
    params: LineDedupParams

    def validate(self) -> None:
        if self.params.unit not in UNITS:
            raise ConfigError(f"unit: must be one of {', '.join(UNITS)}")
        if self.params.keep not in KEEP:
            raise ConfigError(f"keep: must be one of {', '.join(KEEP)}")

    def drops(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        p = self.params
        checkpoint = checkpointer(ctx)
        units = checkpoint(unit_frame(df.where(frame.is_kept()), p.unit, p.min_chars))
        counts = units.groupBy("unit_hash").agg(
            F.sum(F.col("first_in_doc").cast("long")).alias("copies"),
            F.min("id").alias("owner"))
        published = self._published(ctx)
        if published is not None:
            # A published unit is owned by its published document: every copy here goes.
            counts = counts.join(published, "unit_hash", "full").select(
                "unit_hash",
                (F.coalesce("copies", F.lit(0)) + F.coalesce("_published_copies", F.lit(0)))
                .alias("copies"),
                F.coalesce("_published_owner", "owner").alias("owner"))
        repeated = checkpoint(counts.where(F.col("copies") >= p.min_copies))
        self._top = (checkpoint(self._top_units(repeated, units, df))
                     if p.top_units else None)
        marked = units.join(repeated, "unit_hash")
        if p.keep == "first":
            marked = marked.where((F.col("id") != F.col("owner")) | ~F.col("first_in_doc"))
        return marked.groupBy("id").agg(
            F.collect_list(F.struct("start", "end")).alias("spans"))

    def _published(self, ctx: RunContext) -> DataFrame | None:
        if ctx.state is None or self.mode != "filter":
            return None
        index = ctx.state.index("line_units")
        if index is None:
            return None
        return (index.where(F.col("unit") == self.params.unit).groupBy("unit_hash")
                .agg(F.min("id").alias("_published_owner"),
                     F.count(F.lit(1)).alias("_published_copies")))

    def index_tables(self, df: DataFrame) -> dict[str, DataFrame]:
        """Every distinct unit of every published (kept) document, after the rewrite."""
        units = unit_frame(df.where(frame.is_kept()), self.params.unit, self.params.min_chars)
        return {"line_units": units.where("first_in_doc").select(
            F.lit(self.params.unit).alias("unit"), "unit_hash", "id")}

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``repeated_units``: the most repeated units (hash, sample text, copies, domains)."""
        top = getattr(self, "_top", None)
        if top is None:
            return {}
        return {"repeated_units": top.select(F.lit(run_id).alias("run_id"), "*")
                .orderBy(F.desc("copies"), "unit_hash")}

    def _top_units(self, repeated: DataFrame, units: DataFrame, df: DataFrame) -> DataFrame:
        """The ``top_units`` most repeated units, with the owner's text of the first copy
        and the number of distinct hosts holding them (read before the rewrite)."""
        top = repeated.orderBy(F.desc("copies"), "unit_hash").limit(self.params.top_units)
        first = units.join(top.select("unit_hash", F.col("owner").alias("id")),
                           ["unit_hash", "id"]).where("first_in_doc")
        texts = df.select("id", "text", "url")
        sample = first.join(texts, "id").select(
            "unit_hash",
            F.regexp_replace(F.expr(f"substring(text, start + 1, least(end - start, "
                                    f"{SAMPLE_CHARS}))"), r"\s+$", "").alias("sample_text"))
        host = F.lower(F.expr("try_parse_url(url, 'HOST')"))
        domains = units.join(top.select("unit_hash"), "unit_hash").join(
            texts.select("id", "url"), "id").groupBy("unit_hash").agg(
            F.count_distinct(host).alias("domains"))
        return (top.join(sample, "unit_hash", "left").join(domains, "unit_hash", "left")
                .select("unit_hash", "sample_text", "copies",
                        F.coalesce("domains", F.lit(0)).alias("domains"),
                        F.col("owner").alias("kept_id")))

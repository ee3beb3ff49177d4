"""The Arrow pass of a ``RewriteStage``: cut the spans ``drops`` chose, in one scan.

The drop frame ``(id, spans)`` holds only the documents that lose something; it is
checkpointed and, when small, broadcast to the join with the corpus, so the texts
are not shuffled for it. Rows are never dropped (conservation holds).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from winnow import frame, worker
from winnow.checkpoint import broadcast_if_small, checkpointer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from winnow.stage import RewriteStage, RunContext

#: Drop rows (one per document that loses a span) up to this many are broadcast.
BROADCAST_DROPS = 500_000


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of half-open spans (empty ones left out)."""
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the (merged) spans; white space left at either end of the text
    by a cut that reached that end goes too."""
    parts = []
    pos = 0
    merged = merge([(max(0, s), min(len(text), e)) for s, e in spans])
    for s, e in merged:
        parts.append(text[pos:s])
        pos = e
    parts.append(text[pos:])
    out = "".join(parts)
    if merged and merged[-1][1] >= len(text):
        out = out.rstrip()
    if merged and merged[0][0] <= 0:
        out = out.lstrip()
    return out


def decide_text(text: str, spans: list[tuple[int, int]] | None,
                max_fraction: float) -> tuple[str, int, bool]:
    """``(new text, characters removed, mostly_duplicate)`` for one document."""
    if not spans or not text:
        return text, 0, False
    new = cut(text, spans)
    removed = len(text) - len(new)
    mostly = not new.strip() or removed > max_fraction * len(text)
    return new, removed, mostly


def apply_drops(stage: RewriteStage, df: DataFrame, drops: DataFrame,
                ctx: RunContext) -> DataFrame:
    """``df`` with the spans of ``drops`` cut from kept documents (see ``RewriteStage``)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import BooleanType, LongType, StructField, StructType

    modified, removed_col = stage.output_columns()
    for column in (modified, removed_col):
        if column in df.columns:
            raise ValueError(f"column {column!r} already exists")
    drops = checkpointer(ctx)(drops.select("id", F.col("spans").alias("_spans")))
    joined = df.join(broadcast_if_small(drops, BROADCAST_DROPS), "id", "left")
    in_schema = to_arrow_schema(joined.schema)
    names = [n for n in in_schema.names if n != "_spans"]
    extra = [pa.field(modified, pa.bool_()), pa.field(removed_col, pa.int64()),
             pa.field("_mostly", pa.bool_())]
    out_arrow = pa.schema([in_schema.field(n) for n in names] + extra)
    out_spark = StructType([joined.schema[n] for n in names] + [
        StructField(modified, BooleanType()), StructField(removed_col, LongType()),
        StructField("_mostly", BooleanType())])
    filtering = stage.mode == "filter"
    max_fraction = float(getattr(stage.params, "max_removed_fraction", 1.0))

    @worker.batch_function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for rb in batches:
            texts = rb.column("text").to_pylist()
            spans = rb.column("_spans").to_pylist()
            new_texts, mods, removed, mostly = [], [], [], []
            for text, sp in zip(texts, spans, strict=True):
                if sp is None or text is None:
                    new_texts.append(text)
                    mods.append(None if text is None else False)
                    removed.append(None if text is None else 0)
                    mostly.append(False)
                    continue
                new, n, most = decide_text(text, [(d["start"], d["end"]) for d in sp],
                                           max_fraction)
                keep_new = filtering and not most and n > 0
                new_texts.append(new if keep_new else text)
                mods.append(keep_new)
                removed.append(n)
                mostly.append(filtering and most)
            arrays = [pa.array(new_texts, pa.string()) if n == "text" else rb.column(n)
                      for n in names]
            arrays += [pa.array(mods, pa.bool_()), pa.array(removed, pa.int64()),
                       pa.array(mostly, pa.bool_())]
            yield pa.RecordBatch.from_arrays(arrays, schema=out_arrow)

    out = joined.mapInArrow(run, out_spark)
    hit = frame.is_kept() & F.col("_mostly")
    out = stage.reject(out, hit, "mostly_duplicate", F.lit(None).cast("string"))
    return out.drop("_mostly")

"""Finding benchmark n-grams in documents: per Arrow batch (broadcast) or by a Spark join.

Both paths compute, per document, the number of n-gram positions that match an
evaluation n-gram (``decontam_ngrams``) and the distinct matched n-grams with their
benchmark bits (``decontam_matched``); the rules and ``stats/contamination`` are
derived from those alone, so the two paths decide alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from winnow import frame
from winnow.decontam.evals import EvalTable
from winnow.text.ngrams import Matches, ngram_hashes

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: From this many distinct evaluation n-grams on, ``method: auto`` joins in Spark.
JOIN_THRESHOLD = 10_000_000

MATCHED_TYPE = pa.list_(pa.struct([pa.field("hash", pa.int64()), pa.field("mask", pa.int64())]))


def matched_column(m: Matches, n_docs: int) -> pa.Array:
    """``decontam_matched``: distinct (hash, mask) per document, sorted by hash."""
    per_doc = np.diff(m.offsets)
    docs = np.repeat(np.arange(n_docs, dtype=np.int64), per_doc)
    hashes = m.hashes.view(np.int64)
    order = np.lexsort((hashes, docs))
    docs, hashes, masks = docs[order], hashes[order], m.hash_masks[order]
    keep = np.ones(len(docs), bool)
    keep[1:] = (docs[1:] != docs[:-1]) | (hashes[1:] != hashes[:-1])
    docs, hashes, masks = docs[keep], hashes[keep], masks[keep]
    offsets = np.zeros(n_docs + 1, np.int32)
    np.cumsum(np.bincount(docs, minlength=n_docs), out=offsets[1:])
    values = pa.StructArray.from_arrays([pa.array(hashes, pa.int64()), pa.array(masks, pa.int64())],
                                        names=["hash", "mask"])
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def benchmark_names(masks: np.ndarray, names: list[str]) -> pa.Array:
    """``decontam_benchmarks``: the names whose bit is set, in config order."""
    out: list[list[str]] = [[] for _ in range(len(masks))]
    for d in np.flatnonzero(masks):  # contaminated documents only
        m = int(masks[d])
        out[d] = [n for b, n in enumerate(names) if m >> b & 1]
    return pa.array(out, pa.list_(pa.string()))


def eval_frame(spark: SparkSession, table: EvalTable) -> DataFrame:
    """The evaluation n-grams as a DataFrame (hash, mask), for the join path."""
    arrow = pa.table({"hash": pa.array(table.hashes.view(np.int64)),
                      "mask": pa.array(table.masks)})
    return spark.createDataFrame(arrow.to_pandas())


def doc_ngrams(df: DataFrame, ngram: int) -> DataFrame:
    """(id, hash) for every n-gram position of every document of ``df`` (id, text)."""
    from winnow import worker

    schema = "id string, hash long"

    @worker.batch_function
    def explode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for rb in batches:
            ids = rb.column(0)
            docs, hashes = ngram_hashes(rb.column(1), ngram)
            yield pa.RecordBatch.from_arrays(
                [ids.take(pa.array(docs)), pa.array(hashes.view(np.int64))],
                names=["id", "hash"])

    return df.select("id", "text").mapInArrow(explode, schema)


def join_matches(spark: SparkSession, df: DataFrame, table: EvalTable) -> DataFrame:
    """Per matched document: id, decontam_ngrams, decontam_matched (the join path)."""
    from pyspark.sql import functions as F

    docs = df.where(frame.is_document() & F.col("text").isNotNull())
    hits = doc_ngrams(docs, table.ngram).join(eval_frame(spark, table), "hash")
    return hits.groupBy("id").agg(
        F.count(F.lit(1)).alias("decontam_ngrams"),
        F.array_sort(F.collect_set(F.struct("hash", "mask"))).alias("decontam_matched"))

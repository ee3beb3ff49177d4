"""``substring_dedup``: remove token spans repeated across documents (Lee et al. ExactSubstr).

Lee et al. (2022, "Deduplicating Training Data Makes Language Models Better") remove
every span of ≥ 50 tokens that occurs elsewhere in the corpus, with a suffix array
on one machine. Here the same set is found distributed and deterministically
(``docs/subdocument_dedup.md``):

1. per document (one Arrow pass): winnowed fingerprints of k-grams of tokens, with
   ``k = min_tokens - window + 1``, so any run of ``min_tokens`` tokens two documents
   share gives both the same fingerprint (``winnow.subdedup.kernels``);
2. Spark groups fingerprints; those held by two or more documents are shared;
3. for the documents holding one, a second Arrow pass keys every window of
   ``min_tokens`` tokens that contains a shared fingerprint by a 128-bit hash of its
   exact tokens; Spark groups the keys: a window also held by a document with a
   smaller id is removed (the first occurrence, the smallest id, stays);
4. overlapping windows merge and the text is cut in one Arrow pass
   (``RewriteStage``); a document left with less than ``1 - max_removed_fraction``
   of its characters is removed with ``substring_dedup:mostly_duplicate``.

Tokens are ``winnow.text.words`` tokens (spaCy's English rules, the word count of
the heuristics), not GPT-2 BPE as in Lee et al.: 50 words is about 65 BPE tokens.
Repeats inside one document are left alone (that is ``gopher_repetition``'s job).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow import frame, worker
from winnow.checkpoint import broadcast_if_small, checkpointer
from winnow.errors import ConfigError
from winnow.stage import FRACTION, Range, RewriteStage, RunContext, StageParams, bounded, register
from winnow.subdedup.kernels import fingerprints, window_keys

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Documents with a shared fingerprint (one row each) up to this many are broadcast.
BROADCAST_CANDIDATES = 500_000

FINGERPRINT_SCHEMA = T.StructType([
    T.StructField("id", T.StringType()),
    T.StructField("fp", T.LongType()),
    T.StructField("pos", T.IntegerType()),
])
WINDOW_SCHEMA = T.StructType([
    T.StructField("id", T.StringType()),
    T.StructField("k1", T.LongType()),
    T.StructField("k2", T.LongType()),
    T.StructField("start", T.IntegerType()),
    T.StructField("end", T.IntegerType()),
])


@dataclass
class SubstringDedupParams(StageParams):
    #: Lee et al.'s threshold: spans of at least this many tokens are removed.
    min_tokens: int = bounded(Range(2, 10_000), 50)
    #: Winnowing window (fingerprints per token ≈ 2 / (window + 1)); k-grams of
    #: ``min_tokens - window + 1`` tokens.
    window: int = bounded(Range(1, 10_000), 25)
    max_removed_fraction: float = bounded(FRACTION, 0.8)


def fingerprint_frame(df: DataFrame, k: int, w: int) -> DataFrame:
    """Winnowed fingerprints ``(id, fp, pos)`` of every row of ``df`` (``id``, ``text``)."""

    @worker.batch_function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for rb in batches:
            texts = [t or "" for t in rb.column("text").to_pylist()]
            doc, fp, pos = fingerprints(texts, k, w)
            yield pa.RecordBatch.from_arrays(
                [rb.column("id").take(pa.array(doc, pa.int64())), pa.array(fp, pa.int64()),
                 pa.array(pos.astype(np.int32), pa.int32())],
                names=FINGERPRINT_SCHEMA.names)

    return df.select("id", "text").mapInArrow(run, FINGERPRINT_SCHEMA)


def window_frame(df: DataFrame, m: int, k: int) -> DataFrame:
    """Keys and character spans of the candidate windows of rows (``id``, ``text``, ``pos``)."""

    @worker.batch_function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for rb in batches:
            texts = [t or "" for t in rb.column("text").to_pylist()]
            positions = [sorted(set(p or ())) for p in rb.column("pos").to_pylist()]
            doc, k1, k2, cs, ce = window_keys(texts, positions, m, k)
            yield pa.RecordBatch.from_arrays(
                [rb.column("id").take(pa.array(doc, pa.int64())), pa.array(k1, pa.int64()),
                 pa.array(k2, pa.int64()), pa.array(cs.astype(np.int32), pa.int32()),
                 pa.array(ce.astype(np.int32), pa.int32())],
                names=WINDOW_SCHEMA.names)

    return df.select("id", "text", "pos").mapInArrow(run, WINDOW_SCHEMA)


@register
class SubstringDedup(RewriteStage):
    name = "substring_dedup"
    Params = SubstringDedupParams
    params: SubstringDedupParams

    def validate(self) -> None:
        if self.params.window > self.params.min_tokens:
            raise ConfigError(f"window: must be at most min_tokens "
                              f"({self.params.min_tokens}), got {self.params.window}")

    @property
    def k(self) -> int:
        return self.params.min_tokens - self.params.window + 1

    def drops(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        m, w, k = self.params.min_tokens, self.params.window, self.k
        checkpoint = checkpointer(ctx)
        kept = df.where(frame.is_kept()).select("id", "text")
        fps = checkpoint(fingerprint_frame(kept, k, w))
        shared = (fps.groupBy("fp").agg(F.min("id").alias("lo"), F.max("id").alias("hi"))
                  .where(F.col("lo") != F.col("hi")).select("fp"))
        candidates = checkpoint(fps.join(shared, "fp", "left_semi").groupBy("id")
                                .agg(F.collect_list("pos").alias("pos")))
        docs = kept.join(broadcast_if_small(candidates, BROADCAST_CANDIDATES), "id")
        windows = checkpoint(window_frame(docs, m, k))
        owners = windows.groupBy("k1", "k2").agg(F.min("id").alias("owner"),
                                                 F.max("id").alias("last"))
        repeated = owners.where(F.col("owner") != F.col("last"))
        return (windows.join(repeated, ["k1", "k2"]).where(F.col("id") != F.col("owner"))
                .groupBy("id").agg(F.collect_list(F.struct("start", "end")).alias("spans")))

"""``minhash_dedup``: remove near-duplicate documents with MinHash-LSH, across executors.

Signatures are computed per Arrow batch by a compiled kernel; buckets, verified
candidate edges and connected components are Spark SQL; nothing proportional to
the corpus reaches the driver. Only documents still kept take part. In each
component one survivor is kept by a configurable priority (ties: smallest id);
the others get ``dedup:near_duplicate`` and ``duplicate_of`` = the survivor.
Every document that went through LSH carries ``dup_cluster`` (the component's
smallest id) and ``dup_cluster_size``; removed rows too, for auditing.

Nightly mode (``--state``): each published document's signature and band keys go
to the ``minhash`` index. A later run first matches its documents against that
index (bucket → published root → signature verification) and removes matches with
``dedup:duplicate_of_published``, ``duplicate_of`` = the published document and
``dup_cluster`` = its cluster; published documents are never touched. Only the
remaining documents are then clustered among themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow import frame, worker
from winnow.checkpoint import broadcast_if_small, checkpointer
from winnow.errors import ConfigError
from winnow.minhash.candidates import (
    NODE,
    candidate_edges,
    published_matches,
    verified_edges,
)
from winnow.minhash.components import LOCAL_LIMIT, connected_components
from winnow.minhash.lsh import Banding, optimal_banding
from winnow.minhash.shingles import UNITS, fold_table
from winnow.minhash.signatures import Permutations, band_keys, signatures
from winnow.stage import FrameStage, Range, RunContext, StageParams, bounded, register

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: FineWeb's setting: 14 bands × 8 rows = 112 permutations over word 5-grams
#: (Penedo et al. 2024, "The FineWeb Datasets").
DEFAULT_BANDS = 14
DEFAULT_ROWS = 8
SNIPPET_CHARS = 200
#: Per-document notes (ids with an edge or a published match; ~100 bytes a row) up
#: to this many rows are broadcast to the join with the corpus, so the documents
#: and their text are not shuffled for it (at 100k documents: 206 MB of shuffle).
BROADCAST_NOTES = 500_000
#: Most permutations (bands × rows, or num_perm) a signature may have.
MAX_PERMUTATIONS = 1024


@dataclass
class MinhashParams(StageParams):
    ngram: int = bounded(Range(1, 100), 5)
    unit: str = "word"  # word | char (scripts without spaces: zh, ja, th)
    bands: int = bounded(Range(1, MAX_PERMUTATIONS), DEFAULT_BANDS)
    rows: int = bounded(Range(1, MAX_PERMUTATIONS), DEFAULT_ROWS)
    #: > 0: choose bands × rows for this Jaccard threshold among ``num_perm``
    #: permutations (minimal false positive + false negative area).
    threshold: float = bounded(Range(0.0, 1.0, lo_open=True, hi_open=True, zero=True), 0.0)
    num_perm: int = bounded(Range(2, MAX_PERMUTATIONS), 112)
    seed: int = bounded(Range(0, 2**63 - 1), 1)
    #: Drop candidate edges whose estimated Jaccard < threshold − verify_margin.
    verify: bool = True
    verify_margin: float = bounded(Range(0.0, 1.0, hi_open=True), 0.1)
    #: Survivor order: columns, '-' for descending; absent columns are skipped,
    #: the smallest id breaks remaining ties.
    priority: list[str] = field(
        default_factory=lambda: ["-quality_score", "-char_count", "-input_chars", "id"]
    )
    largest_clusters: int = bounded(Range(0, 100_000), 20)
    #: Connected components: once the edge set is this small, one task finishes it.
    components_local_limit: int = LOCAL_LIMIT


@register
class MinhashDedup(FrameStage):
    name = "minhash_dedup"
    family = "dedup"
    Params = MinhashParams
    index_names = ("minhash",)
    params: MinhashParams

    def validate(self) -> None:
        p = self.params
        if p.unit not in UNITS:
            raise ConfigError(f"unit: must be one of {', '.join(UNITS)}")
        if p.threshold:
            if (p.bands, p.rows) != (DEFAULT_BANDS, DEFAULT_ROWS):
                raise ConfigError("threshold: set either threshold or bands/rows, not both")
        elif p.bands * p.rows > MAX_PERMUTATIONS:
            raise ConfigError(f"bands: bands × rows must be at most {MAX_PERMUTATIONS} "
                              f"permutations, got {p.bands} × {p.rows}")
        for key in p.priority:
            if not key.lstrip("-"):
                raise ConfigError(f"priority: empty column name in {key!r}")

    @property
    def banding(self) -> Banding:
        p = self.params
        if p.threshold:
            return optimal_banding(p.threshold, p.num_perm)
        return Banding(p.bands, p.rows)

    @property
    def min_similarity(self) -> float:
        """Estimated Jaccard an edge needs to survive verification."""
        target = self.params.threshold or self.banding.threshold
        return max(0.0, target - self.params.verify_margin)

    def output_columns(self) -> list[str]:
        return ["dup_cluster", "dup_cluster_size"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        for column in self.output_columns():
            if column in df.columns:
                raise ValueError(f"column {column!r} already exists")
        checkpoint = checkpointer(ctx)
        priority = [key for key in self.params.priority if key.lstrip("-") in df.columns]
        cached = self.signature_frame(df, priority).persist(StorageLevel.MEMORY_AND_DISK)
        rows = cached
        published = self._published_index(ctx)
        matches = None
        if published is not None:
            # Copies of published documents leave before clustering among themselves.
            matches = checkpoint(published_matches(
                rows.where(F.col("signature").isNotNull()), published, self.min_similarity))
            rows = rows.join(matches.select("id"), "id", "left_anti")
        sigs, edges = candidate_edges(rows.where(F.col("signature").isNotNull()), checkpoint)
        # Only documents with an edge or without a shingle need a row here: the
        # join back stays small (often broadcast) however large the corpus.
        notes = rows.where(F.col("signature").isNull()).select(
            "id", F.lit(True).alias("_unshingled"), F.lit(None).cast("string").alias(
                "dup_cluster"), F.lit(None).cast("long").alias("dup_cluster_size"),
            F.lit(None).cast("string").alias("_survivor"))
        if edges is not None:  # no bucket of two: no verification, no components
            if self.params.verify:
                edges = verified_edges(edges, sigs, self.min_similarity, NODE)
            labels, _ = connected_components(edges, checkpoint,
                                             self.params.components_local_limit)
            notes = cluster_info(sigs, labels.withColumnRenamed("id", NODE), priority,
                                 NODE).unionByName(notes, allowMissingColumns=True)
        notes = checkpoint(notes)
        cached.unpersist()

        out = df.join(broadcast_if_small(notes, BROADCAST_NOTES), "id", "left")
        if matches is not None:
            out = out.join(broadcast_if_small(matches, BROADCAST_NOTES), "id", "left")
            hit = frame.is_kept() & F.col("_published").isNotNull()
            out = self.reject(out, hit, "duplicate_of_published", F.col("_published"))
            # The published document's cluster; its size is not recomputed across runs.
            out = out.withColumn("dup_cluster", F.coalesce("_published_cluster", "dup_cluster"))
        out = out.withColumn("_in_lsh", frame.is_kept() & F.col("_unshingled").isNull())
        out = out.withColumns({
            "dup_cluster": F.coalesce("dup_cluster", F.when(F.col("_in_lsh"), F.col("id"))),
            "dup_cluster_size": F.when(F.col("_in_lsh"),
                                       F.coalesce("dup_cluster_size", F.lit(1))),
        })
        if self.mode == "filter":
            is_dup = F.col("_in_lsh") & (F.col("id") != F.coalesce("_survivor", "id"))
            out = self.reject(out, is_dup, "near_duplicate", F.col("_survivor"))
        return out.drop("_unshingled", "_in_lsh", "_survivor", "_published",
                        "_published_cluster")

    @property
    def scheme(self) -> str:
        """What makes band keys and signatures comparable across runs."""
        p, b = self.params, self.banding
        return f"{p.unit}{p.ngram}:{b.bands}x{b.rows}:seed{p.seed}"

    def _published_index(self, ctx: RunContext) -> DataFrame | None:
        """The committed ``minhash`` index of the state (nightly mode), checked for scheme."""
        state = ctx.state
        if state is None or self.mode != "filter":
            return None
        index = state.index("minhash")
        if index is None:
            return None
        schemes = sorted(r[0] for r in index.select("scheme").distinct().collect())
        if schemes != [self.scheme]:
            raise ConfigError(
                f"minhash_dedup: the state's minhash index was built with "
                f"{', '.join(schemes)} but this config gives {self.scheme} "
                "(unit, ngram, bands x rows, seed); keep them, or start a new --state")
        return index

    def index_tables(self, df: DataFrame) -> dict[str, DataFrame]:
        """Signature, band keys and cluster of every published document that has a shingle.

        The signatures are recomputed from the kept texts (one kernel pass over
        the kept documents, much cheaper than holding them through the run).
        """
        kept = df.where(frame.is_kept())
        sigs = self.signature_frame(kept.select("id", "text", "reason"), []).where(
            F.col("signature").isNotNull())
        return {"minhash": sigs.join(kept.select("id", "dup_cluster"), "id").select(
            "id", F.coalesce("dup_cluster", "id").alias("dup_cluster"),
            F.lit(self.scheme).alias("scheme"), "signature", "band_keys")}

    def signature_frame(self, df: DataFrame, priority: list[str]) -> DataFrame:
        """Kept documents: id, signature, band keys (null without a shingle), priority columns.

        ``signature`` holds the low 32 bits of each MinHash value (enough to
        estimate Jaccard for verification); band keys hash the full 64 bits.
        """
        passed = list(dict.fromkeys(k.lstrip("-") for k in priority if k.lstrip("-") != "id"))
        kept = df.where(frame.is_kept()).select("id", "text", *passed)
        schema = T.StructType(
            [
                T.StructField("id", T.StringType()),
                T.StructField("signature", T.ArrayType(T.IntegerType(), False), True),
                T.StructField("band_keys", T.ArrayType(T.LongType(), False), True),
            ]
            + [kept.schema[c] for c in passed]
        )
        return kept.mapInArrow(self._batch_function(passed), schema)

    def _batch_function(
        self, passed: list[str]
    ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
        banding = self.banding
        perms = Permutations.from_seed(banding.num_perm, self.params.seed)
        ngram, unit = self.params.ngram, self.params.unit
        table = fold_table()  # built once on the driver, shipped with the closure

        @worker.batch_function
        def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for rb in batches:
                sigs, counts = signatures(rb.column("text"), perms, ngram, unit, table)
                keys = band_keys(sigs, banding.bands, banding.rows)
                missing = pa.array(counts == 0)
                yield pa.RecordBatch.from_arrays(
                    [rb.column("id"),
                     _list_array(sigs.astype(np.uint32).view(np.int32), missing),
                     _list_array(keys.view(np.int64), missing)]
                    + [rb.column(c) for c in passed],
                    names=["id", "signature", "band_keys", *passed],
                )

        return run

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``dup_clusters`` (size histogram) and ``dup_clusters_largest`` (with a sample)."""
        clustered = df.where(F.col("dup_cluster_size").isNotNull())
        histogram = (
            clustered.groupBy(F.col("dup_cluster_size").alias("cluster_size"))
            .agg(F.count(F.lit(1)).alias("documents"))
            .select(
                F.lit(run_id).alias("run_id"), "cluster_size",
                (F.col("documents") / F.col("cluster_size")).cast("long").alias("clusters"),
                "documents",
            )
            .orderBy("cluster_size")
        )
        top = (
            clustered.where(F.col("dup_cluster_size") > 1)
            .groupBy("dup_cluster", F.col("dup_cluster_size").alias("cluster_size"))
            .agg(F.min(F.when(frame.is_kept(), F.col("id"))).alias("kept_id"))
            .orderBy(F.desc("cluster_size"), "dup_cluster")
            .limit(self.params.largest_clusters)
        )
        samples = df.select(
            F.col("id").alias("dup_cluster"),
            F.substring("text", 1, SNIPPET_CHARS).alias("sample_snippet"),
        )
        largest = top.join(samples, "dup_cluster", "left").select(
            F.lit(run_id).alias("run_id"), "dup_cluster", "cluster_size", "kept_id",
            F.col("dup_cluster").alias("sample_id"), "sample_snippet",
        ).orderBy(F.desc("cluster_size"), "dup_cluster")
        return {"dup_clusters": histogram, "dup_clusters_largest": largest}


def _list_array(matrix: np.ndarray, missing: pa.BooleanArray) -> pa.ListArray:
    """A 2-D array as an Arrow list array of its rows, null where ``missing``."""
    n, width = matrix.shape
    offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(matrix.reshape(-1)), mask=missing)


def survivor_key(priority: list[str], schema: T.StructType) -> Column:
    """A struct whose minimum over a cluster is the survivor: priority keys, then id.

    Each key sorts non-null values first; '-' keys (numeric or boolean) sort descending.
    """
    fields: list[Column] = []
    for i, key in enumerate(k for k in priority if k.lstrip("-") != "id"):
        name = key.lstrip("-")
        value = F.col(name)
        if key.startswith("-"):
            dtype = schema[name].dataType
            if isinstance(dtype, T.BooleanType):
                value = value.cast("int")
            elif not isinstance(dtype, T.NumericType):
                raise ConfigError(f"priority: '-{name}' needs a numeric column, got {dtype}")
            value = -value
        fields += [F.col(name).isNull().alias(f"k{i}_null"), value.alias(f"k{i}")]
    return F.struct(*fields, F.col("id").alias("id"))


def cluster_info(sigs: DataFrame, labels: DataFrame, priority: list[str],
                 node: str = "id") -> DataFrame:
    """Per document with an edge: ``dup_cluster``, ``dup_cluster_size`` and ``_survivor``.

    ``labels`` holds ``(node, component)``; ``sigs`` supplies ``id`` and the priority
    columns. ``dup_cluster`` is the component's smallest id.
    """
    members = labels.join(sigs.drop("signature", "band_keys"), node)
    clusters = members.groupBy("component").agg(
        F.count(F.lit(1)).alias("dup_cluster_size"),
        F.min("id").alias("dup_cluster"),
        F.min(survivor_key(priority, members.schema)).getField("id").alias("_survivor"),
    )
    return members.select("id", "component").join(clusters, "component").select(
        "id", "dup_cluster", "dup_cluster_size", "_survivor")

"""Candidate pairs from LSH buckets, in Spark SQL: bands → buckets → star edges.

Every (band, key) bucket with k members yields k − 1 edges, each member to the
bucket's smallest id, instead of k² pairs; connected components restore the
transitive closure. Grouping is an aggregation and a join (never a
``collect_list``), so a bucket of millions of boilerplate pages streams through
a sort-merge join whose skewed partition AQE may split, instead of being
materialised in one executor's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.checkpoint import broadcast_if_small

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Buckets of three or more members up to which their join is broadcast (about
#: 40 bytes each): the driver holds at most this many rows, whatever the corpus.
BROADCAST_ROWS = 200_000


def band_rows(sigs: DataFrame) -> DataFrame:
    """One row per (document, band): ``id``, ``band``, ``key`` from ``band_keys``."""
    return sigs.select("id", F.posexplode("band_keys").alias("band", "key"))


def star_edges(
    bands: DataFrame, checkpoint: Callable[[DataFrame], DataFrame],
    broadcast_rows: int = BROADCAST_ROWS,
) -> DataFrame:
    """Distinct edges ``src`` → ``dst`` from each bucket member to the bucket's minimum id.

    A two-member bucket (most of them) yields its edge straight from the
    aggregation (max → min). Only members of larger buckets are found by joining
    the band rows back; when those buckets are few the join broadcasts them, so
    the band rows are not shuffled a second time.
    """
    buckets = checkpoint(
        bands.groupBy("band", "key")
        .agg(F.min("id").alias("root"), F.max("id").alias("top"),
             F.count(F.lit(1)).alias("members"))
        .where(F.col("members") > 1)
    )
    pairs = buckets.where(F.col("members") == 2).select(
        F.col("top").alias("src"), F.col("root").alias("dst"))
    large = broadcast_if_small(
        buckets.where(F.col("members") > 2).select("band", "key", "root"), broadcast_rows)
    members = (
        bands.join(large, ["band", "key"])
        .where(F.col("id") != F.col("root"))
        .select(F.col("id").alias("src"), F.col("root").alias("dst"))
    )
    return pairs.union(members).distinct()


def signature_agreement(left: str, right: str) -> F.Column:
    """Number of positions where two signature arrays hold the same value (in SQL)."""
    matches = F.zip_with(left, right, lambda x, y: (x == y).cast("int"))
    return F.aggregate(matches, F.lit(0), lambda acc, m: acc + m)


def verified_edges(edges: DataFrame, sigs: DataFrame, min_similarity: float) -> DataFrame:
    """Keep edges whose signature-estimated Jaccard is at least ``min_similarity``.

    The estimate is the fraction of agreeing MinHash values. Only signatures are
    joined to the edges, never the text. This stops chains of false-positive
    bucket collisions from merging unrelated documents.
    """
    sig = sigs.select("id", "signature")
    joined = edges.join(
        sig.withColumnsRenamed({"id": "src", "signature": "src_sig"}), "src"
    ).join(sig.withColumnsRenamed({"id": "dst", "signature": "dst_sig"}), "dst")
    needed = min_similarity * F.size("src_sig")
    return joined.where(signature_agreement("src_sig", "dst_sig") >= needed).select("src", "dst")


def published_matches(sigs: DataFrame, index: DataFrame, min_similarity: float) -> DataFrame:
    """Documents of ``sigs`` that near-duplicate a published document of ``index``.

    ``index`` holds ``id``, ``dup_cluster``, ``signature`` and ``band_keys`` of
    published documents. Each published bucket is reduced to its smallest id
    (its root) before the join, so a document meets at most one published
    candidate per band however large the published bucket; candidates are then
    verified on the full signatures. Returns ``id``, ``_published`` (the best
    match: most agreeing MinHash values, then the smallest id) and
    ``_published_cluster``.
    """
    roots = band_rows(index).groupBy("band", "key").agg(F.min("id").alias("_published"))
    candidates = band_rows(sigs).join(roots, ["band", "key"]).select(
        "id", "_published").distinct()
    published = index.select(
        F.col("id").alias("_published"), F.col("signature").alias("_pub_sig"),
        F.col("dup_cluster").alias("_published_cluster"))
    scored = (
        candidates.join(sigs.select("id", "signature"), "id")
        .join(published, "_published")
        .withColumn("_agree", signature_agreement("signature", "_pub_sig"))
        .where(F.col("_agree") >= min_similarity * F.size("signature"))
    )
    best = scored.groupBy("id").agg(F.min(F.struct(
        (-F.col("_agree")).alias("a"), F.col("_published").alias("p"),
        F.col("_published_cluster").alias("c"))).alias("_best"))
    return best.select("id", F.col("_best.p").alias("_published"),
                       F.col("_best.c").alias("_published_cluster"))

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


#: The column of a document's 64-bit surrogate (Spark's ``xxhash64`` of its id) that
#: buckets, edges and components run on: minimum and maximum of a long are a hash
#: aggregate, of a string a sort; shuffled rows are smaller too.
NODE = "_node"
#: The band of the identity rows (key = the surrogate) that reveal a collision.
IDENTITY_BAND = -1


def band_rows(sigs: DataFrame, node: str = "id") -> DataFrame:
    """One row per (document, band): ``node``, ``band``, ``key`` from ``band_keys``
    (and ``id`` when ``node`` is another column)."""
    carried = ["id", node] if node != "id" else ["id"]
    return sigs.select(*carried, F.posexplode("band_keys").alias("band", "key"))


def bucket_table(bands: DataFrame, node: str = "id") -> DataFrame:
    """Buckets of two or more members: ``band``, ``key``, smallest and largest ``node``
    (``root``, ``top``) and ``members``."""
    return (
        bands.groupBy("band", "key")
        .agg(F.min(node).alias("root"), F.max(node).alias("top"),
             F.count(F.lit(1)).alias("members"))
        .where(F.col("members") > 1)
    )


def star_edges(
    bands: DataFrame, checkpoint: Callable[[DataFrame], DataFrame],
    broadcast_rows: int = BROADCAST_ROWS, node: str = "id",
    buckets: DataFrame | None = None,
) -> DataFrame:
    """Distinct edges ``src`` → ``dst`` (``node`` values) from each bucket member to
    the member with the bucket's smallest id.

    A two-member bucket (most of them) yields its edge straight from the
    aggregation (max → min). Only members of larger buckets are found by joining
    the band rows back; when those buckets are few the join broadcasts them, so
    the band rows are not shuffled a second time. With a surrogate ``node`` the
    root of a larger bucket is still its smallest *id*, so which edges exist (and
    are verified) does not depend on the surrogate.
    """
    if buckets is None:
        buckets = checkpoint(bucket_table(bands, node))
    pairs = buckets.where(F.col("members") == 2).select(
        F.col("top").alias("src"), F.col("root").alias("dst"))
    large = buckets.where(F.col("members") > 2).select("band", "key", "root")
    if node == "id":
        members = bands.join(broadcast_if_small(large, broadcast_rows), ["band", "key"])
    else:
        members = bands.join(broadcast_if_small(large.drop("root"), broadcast_rows),
                             ["band", "key"])
        roots = members.groupBy("band", "key").agg(
            F.min(F.struct("id", node)).getField(node).alias("root"))
        members = members.join(roots, ["band", "key"])
    members = members.where(F.col(node) != F.col("root")).select(
        F.col(node).alias("src"), F.col("root").alias("dst"))
    return pairs.union(members).distinct()


def candidate_edges(
    sigs: DataFrame, checkpoint: Callable[[DataFrame], DataFrame],
    broadcast_rows: int = BROADCAST_ROWS,
    surrogate: Callable[[F.Column], F.Column] = F.xxhash64,
) -> tuple[DataFrame, DataFrame | None]:
    """``sigs`` with the surrogate column ``NODE``, and the star edges between
    surrogates (None when no bucket has two members: nothing to verify or cluster).

    The surrogate is ``xxhash64(id)`` (``surrogate``: a 64-bit function of the id).
    Each document also gets one identity row (band ``IDENTITY_BAND``, key = its
    surrogate) in the same aggregation, so two ids
    with one surrogate (odds about n² / 2⁶⁵: ~3 % at a billion documents) show up as
    a bucket there; then the surrogate is the id itself and the buckets are redone
    on strings: same edges, slower.
    """
    keyed = sigs.withColumn(NODE, surrogate(F.col("id")))
    identity = keyed.select("id", NODE, F.lit(IDENTITY_BAND).alias("band"),
                            F.col(NODE).alias("key"))
    buckets = checkpoint(bucket_table(band_rows(keyed, NODE).unionByName(identity), NODE))
    collided, found = buckets.agg(
        F.max((F.col("band") == IDENTITY_BAND).cast("int")),
        F.count(F.when(F.col("band") != IDENTITY_BAND, 1))).first()
    if collided:
        keyed = sigs.withColumn(NODE, F.col("id"))
        buckets = checkpoint(bucket_table(band_rows(keyed, NODE), NODE))
        found = buckets.count()
    else:
        buckets = buckets.where(F.col("band") != IDENTITY_BAND)
    if not found:
        return keyed, None
    return keyed, star_edges(band_rows(keyed, NODE), checkpoint, broadcast_rows, NODE,
                             buckets)


def signature_agreement(left: str, right: str) -> F.Column:
    """Number of positions where two signature arrays hold the same value (in SQL)."""
    matches = F.zip_with(left, right, lambda x, y: (x == y).cast("int"))
    return F.aggregate(matches, F.lit(0), lambda acc, m: acc + m)


def verified_edges(
    edges: DataFrame, sigs: DataFrame, min_similarity: float, node: str = "id",
) -> DataFrame:
    """Keep edges whose signature-estimated Jaccard is at least ``min_similarity``.

    The estimate is the fraction of agreeing MinHash values. Only signatures are
    joined to the edges, never the text. This stops chains of false-positive
    bucket collisions from merging unrelated documents.
    """
    sig = sigs.select(node, "signature")
    joined = edges.join(
        sig.withColumnsRenamed({node: "src", "signature": "src_sig"}), "src"
    ).join(sig.withColumnsRenamed({node: "dst", "signature": "dst_sig"}), "dst")
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

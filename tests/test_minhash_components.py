"""Buckets, star edges and connected components on a real local Spark session."""

from __future__ import annotations

import random

import pytest
from pyspark.sql import functions as F
from winnow.minhash.candidates import band_rows, star_edges, verified_edges
from winnow.minhash.components import connected_components
from winnow.stages.minhash_dedup import cluster_info

pytestmark = pytest.mark.spark


def _local(frame):
    return frame.localCheckpoint(eager=True)


def _union_find(edges):
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


@pytest.mark.parametrize("local_limit", [0, 10_000], ids=["star-rounds", "one-task"])
def test_components_match_union_find(spark, local_limit):
    """A long path with shuffled ids (slow for label propagation), a cycle, a clique,
    a star, duplicated and self edges: components and their min-id names are exact,
    both with large-star/small-star rounds and with the one-task finish."""
    rng = random.Random(4)
    ids = [f"n{i:04d}" for i in range(600)]
    rng.shuffle(ids)
    path = list(zip(ids[:24], ids[1:24], strict=False))
    cycle = list(zip(ids[300:340], ids[301:340] + [ids[300]], strict=True))
    clique = [(a, b) for a in ids[340:352] for b in ids[340:352] if a != b]
    star = [(ids[400], x) for x in ids[401:450]]
    extra = [(ids[500], ids[501]), (ids[501], ids[500]), (ids[502], ids[502]), (ids[503], ids[504])]
    edges = path + cycle + clique + star + extra
    rng.shuffle(edges)
    frame = spark.createDataFrame(edges, "src string, dst string").repartition(3)
    labels, rounds = connected_components(frame, _local, local_limit)
    got = dict(labels.collect())
    expected = {k: v for k, v in _union_find(edges).items() if k != ids[502]}
    assert got == expected
    assert len(set(got.values())) == 6
    assert (1 <= rounds < 30) if local_limit == 0 else rounds == 0


def test_no_edges_converges_at_once(spark):
    empty = spark.createDataFrame([], "src string, dst string")
    labels, rounds = connected_components(empty, _local, local_limit=0)
    assert labels.count() == 0 and rounds == 0


def test_giant_bucket_of_identical_signatures(spark):
    """100,000 documents with one signature (a boilerplate template) share every band
    bucket: k − 1 star edges, one component, no executor holds the bucket as a list."""
    n, bands = 100_000, 4
    giant = spark.range(n).select(
        F.format_string("g%06d", "id").alias("id"),
        F.array_repeat(F.lit(7), 112).alias("signature"),
        F.array_repeat(F.lit(123456789).cast("long"), bands).alias("band_keys"),
    )
    loners = spark.range(50).select(
        F.format_string("u%03d", "id").alias("id"),
        F.transform(F.array_repeat(F.col("id").cast("int"), 112),
                    lambda x, i: x * 1000 + i).alias("signature"),
        F.transform(F.array_repeat(F.col("id"), bands),
                    lambda x, i: x * 100 + i + 1).alias("band_keys"),
    )
    sigs = giant.union(loners)
    edges = star_edges(band_rows(sigs), _local, broadcast_rows=0)  # the sort-merge join path
    assert edges.count() == n - 1
    edges = verified_edges(edges, sigs, 0.7)
    labels, rounds = connected_components(edges, _local, local_limit=0)
    assert rounds == 0  # star edges of one bucket are already a star
    info = cluster_info(sigs, labels, []).cache()
    sizes = dict(info.groupBy("dup_cluster", "dup_cluster_size").count()
                 .select("dup_cluster", "count").collect())
    assert sizes == {"g000000": n}
    survivors = info.where(F.col("dup_cluster") == "g000000").select("_survivor").distinct()
    assert [r[0] for r in survivors.collect()] == ["g000000"]
    info.unpersist()


@pytest.mark.parametrize("weak", [False, True])
def test_surrogate_edges_are_the_string_edges(spark, weak):
    """Star edges on 64-bit surrogates name the same pairs as on string ids, also
    when the surrogates collide (a deliberately weak one: 3 values), which falls
    back to the ids themselves."""
    from winnow.minhash.candidates import NODE, candidate_edges

    rng = random.Random(11)
    rows = []
    for i in range(300):
        group = rng.randrange(40)
        keys = [group * 10 + b if rng.random() < 0.6 else 10_000 + i * 10 + b
                for b in range(4)]
        rows.append((f"d{rng.randrange(10**6):06d}-{i}", [group] * 8, keys))
    sigs = spark.createDataFrame(rows, "id string, signature array<int>, band_keys array<bigint>")
    # Edges are undirected (verification and components orient them themselves).
    strings = {frozenset(r) for r in star_edges(band_rows(sigs), _local).collect()}
    surrogate = (lambda c: F.xxhash64(c) % 3) if weak else F.xxhash64
    keyed, edges = candidate_edges(sigs, _local, surrogate=surrogate)
    to_id = dict(keyed.select(NODE, "id").collect())
    assert len(to_id) == 300
    # Collisions (weak) make the surrogate the id itself.
    assert keyed.schema[NODE].dataType.simpleString() == ("string" if weak else "bigint")
    ours = {frozenset((to_id[s], to_id[d])) for s, d in edges.collect()}
    assert len(strings) > 100 and ours == strings

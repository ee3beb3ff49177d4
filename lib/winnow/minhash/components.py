"""Connected components of the candidate-edge graph, in Spark executors.

Alternates the large-star and small-star operations of Kiveris et al., "Connected
Components in MapReduce and Beyond" (SoCC 2014), which converge in O(log² n)
rounds to a forest of stars, each centred on the smallest id of its component.
Edges are kept oriented child → parent (``u > v``). The loop stops when the
graph is a star forest (checked by an aggregation, not by a round count), and
checkpoints every round so the lineage does not grow with the iterations.

Each round costs several shuffles and jobs (about a second even on tiny data),
so once the edge set is at most ``local_limit`` edges the rest is finished by a
union-find in a single executor task: same result, one job. The edges never
reach the driver either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import functions as F

from winnow import worker
from winnow.numba_cache import kernel

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: A safety net, not a stopping rule: the algorithm needs O(log² n) rounds
#: (a handful in practice), so reaching this means a bug, and it raises.
MAX_ROUNDS = 200
#: Edges (≈ 40 bytes each as string pairs) one task may finish with union-find.
LOCAL_LIMIT = 2_000_000


def _oriented(edges: DataFrame) -> DataFrame:
    """Distinct edges ``u > v`` from ``src``/``dst`` pairs, self-loops dropped."""
    return (
        edges.select(F.greatest("src", "dst").alias("u"), F.least("src", "dst").alias("v"))
        .where(F.col("u") != F.col("v"))
        .distinct()
    )


def _min_parent(e: DataFrame) -> DataFrame:
    return e.groupBy("u").agg(F.min("v").alias("m"))


def large_star(e: DataFrame) -> DataFrame:
    """Link every larger neighbour of a node to the smallest of the node and its neighbours.

    Each edge is handled at its lower end ``v``, whose smallest neighbour is its
    smallest parent (if any).
    """
    mins = _min_parent(e).withColumnRenamed("u", "v")
    # Duplicates are removed by the small-star step that always follows.
    return e.join(mins, "v", "left").select("u", F.coalesce("m", "v").alias("v"))


def small_star(e: DataFrame) -> DataFrame:
    """Link a node and all its smaller neighbours to the smallest of them.

    Each edge is handled at its upper end ``u``.
    """
    mins = _min_parent(e)
    siblings = (
        e.join(mins, "u")
        .where(F.col("v") != F.col("m"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
    )
    return siblings.union(mins.select("u", F.col("m").alias("v"))).distinct()


def is_star_forest(e: DataFrame) -> bool:
    """True when no node is both child and parent and every child has one parent.

    Then every component is one star centred on its minimum: the fixed point of
    both operations.
    """
    roles = e.select(
        F.col("u").alias("node"), F.lit(1).alias("child"), F.col("v").alias("parent")
    ).union(e.select(F.col("v").alias("node"), F.lit(0).alias("child"),
                  F.lit(None).cast(e.schema["v"].dataType).alias("parent")))
    bad = (
        roles.groupBy("node")
        .agg(
            F.max("child").alias("as_child"), F.min("child").alias("as_parent"),
            F.min("parent").alias("p_lo"), F.max("parent").alias("p_hi"),
        )
        .where(
            ((F.col("as_child") == 1) & (F.col("as_parent") == 0))
            | (F.col("p_lo") != F.col("p_hi"))
        )
    )
    return bad.isEmpty()


@kernel
def _root(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@kernel
def union_find(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Component of each of ``n`` nodes given edges ``a[i]``–``b[i]``: its smallest node."""
    parent = np.arange(n)
    for i in range(a.shape[0]):
        ra = _root(parent, a[i])
        rb = _root(parent, b[i])
        if ra < rb:
            parent[rb] = ra
        elif rb < ra:
            parent[ra] = rb
    for x in range(n):
        parent[x] = _root(parent, x)
    return parent


@worker.batch_function
def _union_find_task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """All edges of the (single) partition in, ``(id, component)`` per node out."""
    batches = [b for b in batches if b.num_rows]
    if not batches:
        return
    table = pa.Table.from_batches(batches)
    nodes = pc.unique(pa.chunked_array(table.column("u").chunks + table.column("v").chunks))
    # Index order = id order, so the smallest index of a component is its smallest id.
    nodes = nodes.take(pc.sort_indices(nodes))
    a = pc.index_in(table.column("u"), value_set=nodes).to_numpy()
    b = pc.index_in(table.column("v"), value_set=nodes).to_numpy()
    roots = union_find(a.astype(np.int64), b.astype(np.int64), len(nodes))
    yield pa.RecordBatch.from_arrays([nodes, nodes.take(pa.array(roots))],
                                     names=["id", "component"])


def connected_components(
    edges: DataFrame, checkpoint: Callable[[DataFrame], DataFrame],
    local_limit: int = LOCAL_LIMIT,
) -> tuple[DataFrame, int]:
    """``(id, component)`` for every node of ``edges`` (``src``, ``dst``), with the
    component named by its smallest id, and the number of star rounds it took.

    ``checkpoint`` materialises a frame and cuts its lineage (reliable or local).
    """
    e = checkpoint(_oriented(edges))
    rounds = 0
    while e.count() > local_limit:
        if is_star_forest(e):
            leaves = e.select(F.col("u").alias("id"), F.col("v").alias("component"))
            centres = e.select(F.col("v").alias("id"), F.col("v").alias("component"))
            return leaves.union(centres.distinct()), rounds
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
        e = checkpoint(small_star(large_star(e)))
    id_type = e.schema["u"].dataType.simpleString()
    return e.coalesce(1).mapInArrow(_union_find_task, f"id {id_type}, component {id_type}"), rounds

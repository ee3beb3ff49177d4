"""Checkpoints that cut a frame's lineage, reliable where a checkpoint directory is known."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from winnow.stage import RunContext


def checkpointer(ctx: RunContext) -> Callable[[DataFrame], DataFrame]:
    """Eager reliable checkpoints when a checkpoint directory is known, else local ones.

    Local checkpoints live in executor storage: cheaper, but a lost executor fails
    the job instead of recomputing; set ``ctx.checkpoint_dir`` (or the Spark
    context's checkpoint directory) on clusters.
    """
    sc = ctx.spark.sparkContext
    if ctx.checkpoint_dir:
        sc.setCheckpointDir(ctx.checkpoint_dir)
    if sc.getCheckpointDir():
        return lambda frame: frame.checkpoint(eager=True)
    return lambda frame: frame.localCheckpoint(eager=True)


def broadcast_if_small(frame: DataFrame, max_rows: int) -> DataFrame:
    """``frame`` marked for a broadcast join when it has at most ``max_rows`` rows.

    Meant for checkpointed (or otherwise materialised) frames, whose count is a
    cheap scan: the larger side of the join is then not shuffled.
    """
    from pyspark.sql import functions as F

    return F.broadcast(frame) if frame.count() <= max_rows else frame

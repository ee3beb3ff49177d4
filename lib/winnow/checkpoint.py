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

"""One run of a nightly series (``--state``): lease, recovery, input plan, commit.

``night`` holds the state's lease while the run lasts and, before anything else,
finishes the publication of every committed run without a ``published/`` marker
(one that died after its commit, whatever its run id). ``Night.new_inputs`` says
what the run processes: nothing if its run id is already published, else the inputs
missing from the ledger, once what an attempt that died before its commit left
behind is discarded. The job then writes the run into the publication's staging
area, and ``Night.commit`` adds the ledger partition, moves the index and ledger
partitions into the state, writes the commit record (the atomic point) and
publishes. The guarantees are those of :mod:`winnow.state`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from winnow.errors import WinnowError
from winnow.faults import crash_point
from winnow.output import Layout, Publication
from winnow.sinks.parquet import ParquetSink
from winnow.state import Lease, State

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from winnow.io.listing import InputFile
    from winnow.progress import Progress


def default_run_id() -> str:
    """Default run id with ``--state``: today's date (UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


@dataclass
class Night:
    """A nightly run holding the state's lease: where it publishes, what it commits."""

    state: State
    lease: Lease
    run_id: str
    layout: Layout
    pub: Publication
    progress: Progress

    def new_inputs(self, files: list[InputFile]) -> list[InputFile]:
        """The inputs this run processes; empty when there is nothing to do."""
        state, run_id = self.state, self.run_id
        if state.is_committed(run_id):
            if state.plan_inputs(files).new:
                raise WinnowError(
                    f"run {run_id} is already published; new inputs need a new --run-id")
            self.progress.say(f"run {run_id} is already published: nothing to do")
            return []
        state.discard_uncommitted(run_id, ["ledger", *[f"index/{n}" for n in state.indexes]])
        self.pub.delete(self.layout.target)
        plan = state.plan_inputs(files)
        for path, prior in sorted(plan.already.items()):
            self.progress.say(f"skip {path}: processed by run {prior}")
        if not plan.new:
            self.progress.say("no new input: nothing to do")
        return plan.new

    def commit(self, files: list[InputFile], counts: dict) -> None:
        """Ledger, index and ledger into the state, the commit record, the publication.

        Runs after the job staged the run's parts; ``files`` are the inputs it read.
        """
        state, run_id, pub = self.state, self.run_id, self.pub
        ParquetSink(state.spark, pub).write(
            "ledger", state.ledger_frame(files).coalesce(1), state.partition("ledger", run_id),
            before_commit=True)
        crash_point("index")
        self.lease.check()  # a run that lost its lease stops before anything counts
        pub.move(pub.before_commit)
        crash_point("commit")
        self.lease.check()
        state.commit(run_id, {
            "run_id": run_id, "output": self.layout.target, "counts": counts,
            "inputs": [f.path for f in files], "after_commit": pub.after_commit,
        })
        crash_point("publish")
        pub.finish()
        state.mark_published(run_id)


@contextmanager
def night(spark: SparkSession, state_dir: str, output: str, run_id: str,
          progress: Progress) -> Iterator[Night]:
    """Take the lease of ``state_dir`` for run ``run_id`` (released on the way out, also
    on failure) and finish the publications of runs that died after their commit."""
    state = State(spark, state_dir)
    lease = state.acquire(run_id)
    try:
        # A run that died after its commit (whatever its id) is published first.
        state.finish_publications(progress)
        layout = Layout.nightly(output, run_id)
        pub = Publication(state.fs, layout.target, f"{state.staging(run_id)}/publish",
                          roots=(output, state.root))
        yield Night(state, lease, run_id, layout, pub, progress)
    finally:
        lease.release()

"""Output layout and its atomic publication.

Everything is written under ``OUTPUT/_staging/<run_id>/`` first; publishing moves
``kept/``, ``removed/``, ``quarantine/``, ``stats/`` and ``manifest.json`` into
``OUTPUT/`` and writes ``_SUCCESS`` last, so a crashed run never leaves an output
that looks complete. Replacing an output (``--overwrite``) first deletes its
``_SUCCESS`` and manifest and the statistics tables the new run does not write, so
an interrupted replacement never looks complete either; re-running completes it.
Nightly runs publish to ``OUTPUT/run_id=<id>/`` and append their statistics as
``OUTPUT/stats/<table>/run_id=<id>/`` partitions (:class:`Layout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from winnow import frame
from winnow.errors import WinnowError
from winnow.faults import crash_point
from winnow.fs import HadoopFS
from winnow.names import check_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

INTERNAL = ("reason", "stage", "duplicate_of", "raw_excerpt", "position")


def kept_frame(df: DataFrame) -> DataFrame:
    """Kept documents: id, text, url, source, signals and metadata."""
    return df.where(frame.is_kept()).drop(*INTERNAL)


def removed_frame(df: DataFrame, with_text: bool) -> DataFrame:
    """Removed documents with why (``reason``, ``stage``, ``duplicate_of``)."""
    out = df.where(frame.is_removed())
    first = ["id", "reason", "stage", "duplicate_of"]
    rest = [c for c in out.columns if c not in first and c not in ("raw_excerpt",)]
    if not with_text:
        rest.remove("text")
    return out.select(*first, *rest)


def quarantine_frame(df: DataFrame) -> DataFrame:
    """Records that could not be read as documents, with where and why."""
    return df.where(frame.is_quarantined()).select(
        "id", "source", "position", "reason", "raw_excerpt"
    )


@dataclass(frozen=True)
class Layout:
    """Where the parts of one run are published.

    The document parts and ``manifest.json`` go into ``target``; statistics tables into
    ``stats/<table>/``, or with ``run_id`` (nightly) into ``stats/<table>/run_id=<id>/``,
    appended to those of earlier runs, ``run_id`` then only in the directory name.
    """

    target: str
    stats: str
    run_id: str | None = None

    @classmethod
    def single(cls, output: str) -> Layout:
        """One run owns ``output``."""
        root = output.rstrip("/")
        return cls(root, f"{root}/stats")

    @classmethod
    def nightly(cls, output: str, run_id: str) -> Layout:
        """Run ``run_id`` of a series: ``OUTPUT/run_id=<id>/``, statistics appended."""
        root = output.rstrip("/")
        return cls(f"{root}/run_id={run_id}", f"{root}/stats", run_id)

    def document(self, part: str) -> str:
        """Destination of a document part (``kept``, ...) or of ``manifest.json``."""
        return f"{self.target}/{part}"

    def stats_table(self, name: str) -> str:
        """Destination of statistics table ``name`` (checked as a path segment)."""
        table = f"{self.stats}/{check_name(name, 'statistics table')}"
        return table if self.run_id is None else f"{table}/run_id={self.run_id}"


class Publication:
    """Stages a run's files, then moves them into place in two phases.

    ``before_commit`` moves (state index and ledger partitions) are invisible until
    the commit point; ``after_commit`` moves (the output parts, stats partitions)
    are replayed by a re-run if the process died after the commit. ``_SUCCESS`` in
    the run's output directory is written last. Every delete (a replaced part, the
    staging area) must lie strictly inside one of ``roots`` (default: the target).
    """

    def __init__(self, fs: HadoopFS, target: str, staging: str, overwrite: bool = False,
                 roots: tuple[str, ...] = ()):
        self.fs = fs
        self.target = target.rstrip("/")
        self.staging = staging.rstrip("/")
        self.overwrite = overwrite
        self.roots = roots or (self.target,)
        self.before_commit: list[tuple[str, str]] = []
        self.after_commit: list[tuple[str, str]] = []

    def check_target(self) -> None:
        if self.fs.exists(f"{self.target}/_SUCCESS") and not self.overwrite:
            raise WinnowError(
                f"output {self.target} already holds a complete run; "
                "choose another --output or pass --overwrite"
            )

    def path(self, part: str) -> str:
        return f"{self.staging}/{part}"

    def delete(self, path: str) -> None:
        """Delete ``path`` if it is strictly inside one of ``roots``; raise otherwise."""
        self.fs.delete_within(path, *self.roots)

    def stage(self, part: str, destination: str, before_commit: bool = False) -> str:
        """The staging path of ``part``, declared to move to ``destination`` (with the
        ``before_commit`` moves, or the ``after_commit`` ones) in declaration order."""
        staged = self.path(part)
        (self.before_commit if before_commit else self.after_commit).append(
            (staged, destination))
        return staged

    def move(self, moves: list[tuple[str, str]]) -> None:
        """Idempotent: a move whose source is gone was done by an earlier attempt."""
        for src, dst in moves:
            if self.fs.exists(src):
                # Resumable where rename copies file by file (object stores): HadoopFS.replace.
                self.fs.replace(src, dst, self.delete)

    def finish(self) -> None:
        """Everything after the commit point: output parts, stats, ``_SUCCESS``.

        The target stops looking complete before its first part is replaced:
        ``_SUCCESS`` is deleted first, and ``manifest.json`` with it when a new one is
        staged, then ``stats/`` tables of an earlier output that this run does not
        produce. A crash in between leaves an output without ``_SUCCESS`` or manifest;
        re-running completes it.
        """
        self.delete(f"{self.target}/_SUCCESS")
        if self.fs.exists(self.path("manifest.json")):
            self.delete(f"{self.target}/manifest.json")
        produced = {dst for _, dst in self.after_commit}
        for name in self.fs.list(f"{self.target}/stats"):
            if f"{self.target}/stats/{name}" not in produced:
                self.delete(f"{self.target}/stats/{name}")
        for move in self.after_commit:
            self.move([move])
            crash_point("publish-part")
        self.delete(self.staging)
        self.fs.write_text(f"{self.target}/_SUCCESS", "")

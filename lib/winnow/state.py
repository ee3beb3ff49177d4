"""The state directory of nightly runs: input ledger, dedup index, commits, lock.

Layout under ``--state DIR`` (local or any Hadoop file system)::

    commits/<run_id>.json              the commit point of a run (written last)
    ledger/run_id=<id>/                Parquet: path, size, mtime of processed inputs
    index/<name>/run_id=<id>/          Parquet: dedup keys of published documents
    _staging/<run_id>/                 a run's files before its commit
    _lock                              lease: owner and expiry

A run's ledger and index partitions only count once ``commits/<run_id>.json``
exists, so the index update and the publication become visible together; a run
that died before its commit is cleaned up and redone by re-running it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow.errors import WinnowError
from winnow.fs import HadoopFS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from winnow.readers import InputFile

LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("path", T.StringType(), False),
        T.StructField("size", T.LongType(), False),
        T.StructField("mtime", T.DoubleType(), False),
    ]
)
DEFAULT_LOCK_TTL = 12 * 3600


class LockedError(WinnowError):
    """Another run holds the state's lease."""


@dataclass
class InputPlan:
    """Which inputs a run processes, and which it skips (already in the ledger)."""

    new: list[InputFile]
    already: dict[str, str]  # path -> run id that processed it


class State:
    """Access to one state directory through the session's Hadoop file system."""

    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        self.root = root.rstrip("/")
        self.fs = HadoopFS(spark)

    # -- commits -------------------------------------------------------------
    def committed_runs(self) -> list[str]:
        return sorted(n[: -len(".json")] for n in self.fs.list(f"{self.root}/commits")
                      if n.endswith(".json"))

    def is_committed(self, run_id: str) -> bool:
        return self.fs.exists(f"{self.root}/commits/{run_id}.json")

    def commit(self, run_id: str, summary: dict) -> None:
        """The atomic point of a run: one small file, written last."""
        self.fs.write_text(f"{self.root}/commits/{run_id}.json",
                           json.dumps(summary, indent=2, default=str))

    def read_commit(self, run_id: str) -> dict:
        return json.loads(self.fs.read_text(f"{self.root}/commits/{run_id}.json"))

    # -- staging and partitions ----------------------------------------------
    def staging(self, run_id: str) -> str:
        return f"{self.root}/_staging/{run_id}"

    def partition(self, table: str, run_id: str) -> str:
        return f"{self.root}/{table}/run_id={run_id}"

    def discard_uncommitted(self, run_id: str, tables: list[str]) -> None:
        """Remove what a run that died before its commit left behind."""
        self.fs.delete(self.staging(run_id))
        for table in tables:
            self.fs.delete(self.partition(table, run_id))

    def _committed_frame(self, table: str) -> DataFrame | None:
        runs = self.committed_runs()
        base = f"{self.root}/{table}"
        parts = [f"{base}/run_id={r}" for r in runs if self.fs.exists(f"{base}/run_id={r}")]
        if not parts:
            return None
        return self.spark.read.option("basePath", base).parquet(*parts)

    # -- ledger --------------------------------------------------------------
    def plan_inputs(self, files: list[InputFile]) -> InputPlan:
        """Split inputs into new and already processed; a changed file is an error."""
        ledger = self._committed_frame("ledger")
        seen: dict[str, tuple[int, float, str]] = {}
        if ledger is not None:
            paths = [f.path for f in files]
            # Only rows for this run's inputs come to the driver (bounded by --input).
            for r in ledger.where(F.col("path").isin(paths)).collect():
                seen[r["path"]] = (r["size"], r["mtime"], r["run_id"])
        new, already = [], {}
        for f in files:
            if f.path not in seen:
                new.append(f)
                continue
            size, mtime, run = seen[f.path]
            if size != f.size or abs(mtime - f.mtime) > 1e-3:
                raise WinnowError(
                    f"input {f.path} changed since run {run} processed it "
                    f"(size {size} -> {f.size}); refusing to skip or re-admit it — "
                    "give changed data a new file name"
                )
            already[f.path] = run
        return InputPlan(new, already)

    def ledger_frame(self, files: list[InputFile]) -> DataFrame:
        rows = [(f.path, int(f.size), float(f.mtime)) for f in files]
        return self.spark.createDataFrame(rows, LEDGER_SCHEMA)

    # -- dedup index ---------------------------------------------------------
    def index(self, name: str) -> DataFrame | None:
        """Committed rows of index ``name`` (with their ``run_id``), or None."""
        return self._committed_frame(f"index/{name}")

    # -- lock ----------------------------------------------------------------
    def acquire(self, run_id: str, ttl: float = DEFAULT_LOCK_TTL) -> Lease:
        """Take the lease or fail with who holds it; an expired lease is taken over."""
        path = f"{self.root}/_lock"
        now = time.time()
        owner = f"{socket.gethostname()}:{os.getpid()}"
        if self.fs.exists(path):
            try:
                held = json.loads(self.fs.read_text(path))
            except (ValueError, OSError):
                held = {"expires_at": 0}
            if held.get("expires_at", 0) > now and not _dead_local_owner(held.get("owner", "")):
                raise LockedError(
                    f"state {self.root} is locked by run {held.get('run_id')} "
                    f"({held.get('owner')}) until "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(held['expires_at']))}; "
                    f"another run is in progress (delete {path} only if it is dead)"
                )
            self.fs.delete(path)
        lease = {"owner": owner, "run_id": run_id, "acquired_at": now, "expires_at": now + ttl}
        if not self.fs.create_exclusive(path, json.dumps(lease)):
            raise LockedError(f"state {self.root} was locked by another run just now")
        return Lease(self, path, lease)


def _dead_local_owner(owner: str) -> bool:
    """True if the lease belongs to a process on this host that no longer exists
    (a crashed driver), so a re-run need not wait for the lease to expire."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """A held lock; release it when the run ends (also on failure)."""

    def __init__(self, state: State, path: str, content: dict):
        self.state, self.path, self.content = state, path, content

    def release(self) -> None:
        try:
            held = json.loads(self.state.fs.read_text(self.path))
        except Exception:  # noqa: BLE001 - already gone or unreadable: nothing to release
            return
        if held.get("owner") == self.content["owner"] and held.get("run_id") == self.content[
                "run_id"]:
            self.state.fs.delete(self.path)

"""The state directory of nightly runs: input ledger, dedup index, commits, lock.

Layout under ``--state DIR`` (local or any Hadoop file system)::

    commits/<run_id>.json              the commit point of a run (written last)
    ledger/run_id=<id>/                Parquet: path, size, mtime of processed inputs
    index/<name>/run_id=<id>/          Parquet: dedup keys of published documents
    compactions/<cid>.json             the commit point of an index compaction
    compacted/<cid>/<name>/            Parquet: index rows of the runs it replaced
    published/<run_id>                 empty marker: the run's publication is complete
    _staging/<run_id or cid>/          files before their commit
    _lock                              lease: owner, token and expiry, renewed while held

The index names are those the registered stages declare (``FrameStage.index_names``),
so the partitions of every index are discarded, compacted and cleaned up alike.

A run's ledger and index partitions only count once ``commits/<run_id>.json``
exists, so the index update and the publication become visible together; a run
that died before its commit is cleaned up and redone by re-running it. A run that
died after its commit is finished by the next run, whatever its run id: every run
first completes the publication of each committed run without a ``published/``
marker (a run without one whose ``_SUCCESS`` exists, as in states written before
the markers, only gets its marker), so only two directory listings are needed
when everything is published.

The lease (``_lock``) names its owner (``host:pid``) and a random token, and is
renewed by a heartbeat thread every third of its time to live (12 h, or
``WINNOW_LOCK_TTL`` seconds) while the lock still names that owner and token. At
the commit point the holder re-reads it; a run (or compaction) that lost it
aborts with :class:`LockedError` before committing anything. The lease is created
exclusively: ``create(overwrite=false)`` on local and HDFS, a conditional write
(``If-None-Match: *``) on S3A, where a plain create is only a check before the write
(:meth:`winnow.fs.HadoopFS.create_exclusive`); of two runs that race for it, the store
accepts exactly one.

``winnow compact-index`` rewrites the index partitions of many runs (and earlier
compactions) into a few large files. It holds the same lease as runs; its record
``compactions/<cid>.json`` lists what it replaces and is written last, so readers
see either the old partitions or the compacted ones, never both or neither.
Replaced files are deleted afterwards (again by the next compaction if it died
in between), so compacting is idempotent and safe to re-run.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

from winnow.config import load_stage_modules
from winnow.errors import WinnowError
from winnow.faults import crash_point
from winnow.fs import HadoopFS
from winnow.names import check_name
from winnow.output import Publication
from winnow.stage import REGISTRY, FrameStage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from winnow.io.listing import InputFile
    from winnow.progress import Progress

LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("path", T.StringType(), False),
        T.StructField("size", T.LongType(), False),
        T.StructField("mtime", T.DoubleType(), False),
    ]
)
#: Seconds a lease lives without renewal; ``WINNOW_LOCK_TTL`` overrides it.
DEFAULT_LOCK_TTL = 12 * 3600
#: Rows per file written by ``compact-index``.
COMPACT_ROWS_PER_FILE = 2_000_000


def index_names() -> tuple[str, ...]:
    """The indexes registered stages write (``FrameStage.index_names``), sorted.

    Every module of ``winnow.stages`` is loaded first, so a run, a compaction and the
    cleanup of a dead run all know every index, whatever stages a config names.
    """
    load_stage_modules()
    names = {check_name(n, "index name") for cls in REGISTRY.values()
             if issubclass(cls, FrameStage) for n in cls.index_names}
    return tuple(sorted(names))


class LockedError(WinnowError):
    """Another run holds the state's lease (or took it over from this one)."""


def lock_ttl() -> float:
    """The lease's time to live in seconds: ``WINNOW_LOCK_TTL`` if set, else 12 h."""
    raw = os.environ.get("WINNOW_LOCK_TTL")
    if raw is None:
        return DEFAULT_LOCK_TTL
    try:
        ttl = float(raw)
    except ValueError:
        ttl = math.nan
    if not math.isfinite(ttl) or ttl <= 0:
        raise WinnowError(f"WINNOW_LOCK_TTL={raw!r}: must be a positive number of seconds")
    return ttl


@dataclass
class InputPlan:
    """Which inputs a run processes, and which it skips (already in the ledger)."""

    new: list[InputFile]
    already: dict[str, str]  # path -> run id that processed it


@dataclass
class Compaction:
    id: str
    runs: list[str]
    compactions: list[str]


@dataclass
class Compactions:
    current: list[Compaction] = field(default_factory=list)
    replaced_runs: frozenset[str] = frozenset()
    replaced_compactions: frozenset[str] = frozenset()


class State:
    """Access to one state directory through the session's Hadoop file system."""

    def __init__(self, spark: SparkSession, root: str):
        self.spark = spark
        self.root = root.rstrip("/")
        self.fs = HadoopFS(spark)
        #: Dedup indexes this state may hold (written by ``FrameStage.index_tables``).
        self.indexes = index_names()

    # -- commits -------------------------------------------------------------
    def committed_runs(self) -> list[str]:
        return sorted(n[: -len(".json")] for n in self.fs.list(f"{self.root}/commits")
                      if n.endswith(".json"))

    def is_committed(self, run_id: str) -> bool:
        return self.fs.exists(f"{self.root}/commits/{check_name(run_id, 'run id')}.json")

    def commit(self, run_id: str, summary: dict) -> None:
        """The atomic point of a run: one small file, written last."""
        self.fs.write_text(f"{self.root}/commits/{check_name(run_id, 'run id')}.json",
                           json.dumps(summary, indent=2, default=str))

    def read_commit(self, run_id: str) -> dict:
        return json.loads(self.fs.read_text(
            f"{self.root}/commits/{check_name(run_id, 'run id')}.json"))

    # -- publication -----------------------------------------------------------
    def mark_published(self, run_id: str) -> None:
        """Record that the run's publication is complete (after its ``_SUCCESS``) and
        remove its staging directory."""
        self.fs.write_text(f"{self.root}/published/{check_name(run_id, 'run id')}", "")
        self.fs.delete_within(self.staging(run_id), self.root)

    def finish_publications(self, progress: Progress) -> list[str]:
        """Complete the publication of every committed run without a ``published/``
        marker (one that died after its commit) by replaying its commit record's
        ``after_commit`` moves; returns the runs it finished. Runs without a marker
        whose ``_SUCCESS`` exists (published before markers existed) only get one."""
        marked = set(self.fs.list(f"{self.root}/published"))
        finished = []
        for run_id in (r for r in self.committed_runs() if r not in marked):
            commit = self.read_commit(run_id)
            target = commit["output"].rstrip("/")
            suffix = f"/run_id={run_id}"
            if not target.endswith(suffix):
                raise WinnowError(f"commit of run {run_id}: output {target} does not end "
                                  f"in {suffix}; state {self.root} is damaged")
            if not self.fs.exists(f"{target}/_SUCCESS"):
                pub = Publication(self.fs, target, f"{self.staging(run_id)}/publish",
                                  roots=(target[: -len(suffix)], self.root))
                pub.after_commit = [(src, dst) for src, dst in commit["after_commit"]]
                pub.finish()
                progress.say(f"finished the publication of committed run {run_id}")
                finished.append(run_id)
            self.mark_published(run_id)
        return finished

    # -- staging and partitions ----------------------------------------------
    def staging(self, run_id: str) -> str:
        return f"{self.root}/_staging/{check_name(run_id, 'run id')}"

    def partition(self, table: str, run_id: str) -> str:
        """``ROOT/<table>/run_id=<id>``; ``table`` is ``ledger`` or ``index/<name>``."""
        for segment in table.split("/"):
            check_name(segment, "state table")
        return f"{self.root}/{table}/run_id={check_name(run_id, 'run id')}"

    def discard_uncommitted(self, run_id: str, tables: list[str]) -> None:
        """Remove what a run that died before its commit left behind."""
        self.fs.delete_within(self.staging(run_id), self.root)
        for table in tables:
            self.fs.delete_within(self.partition(table, run_id), self.root)

    def _committed_frame(self, table: str, exclude_runs: frozenset[str] = frozenset()
                         ) -> DataFrame | None:
        """Committed partitions of ``table`` with ``run_id`` (always a string)."""
        base = f"{self.root}/{table}"
        parts = [p for p in (self.partition(table, r) for r in self.committed_runs()
                             if r not in exclude_runs) if self.fs.exists(p)]
        if not parts:
            return None
        # An explicit schema keeps run_id a string (no date or number inference).
        schema = self.spark.read.parquet(parts[0]).schema.add("run_id", T.StringType())
        return self.spark.read.schema(schema).option("basePath", base).parquet(*parts)

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
        """Committed rows of index ``name`` (with their ``run_id``), or None.

        Rows of compacted runs come from the live compactions, the others from
        the runs' own partitions.
        """
        check_name(name, "index name")
        live = self.compactions()
        frames = [self.spark.read.parquet(p) for p in
                  (f"{self.root}/compacted/{c.id}/{name}" for c in live.current)
                  if self.fs.exists(p)]
        runs = self._committed_frame(f"index/{name}", exclude_runs=live.replaced_runs)
        if runs is not None:
            frames.append(runs)
        if not frames:
            return None
        union = frames[0]
        for frame in frames[1:]:
            union = union.unionByName(frame)
        return union

    # -- compaction ----------------------------------------------------------
    def compactions(self) -> Compactions:
        """Committed compaction records: which are current, what they replaced."""
        records = [json.loads(self.fs.read_text(f"{self.root}/compactions/{n}"))
                   for n in sorted(self.fs.list(f"{self.root}/compactions"))
                   if n.endswith(".json")]
        runs = frozenset(check_name(r, "compacted run id") for c in records for r in c["runs"])
        gone = frozenset(check_name(x, "compaction id") for c in records
                         for x in c["compactions"])
        current = [Compaction(check_name(c["id"], "compaction id"), c["runs"], c["compactions"])
                   for c in records
                   if c["id"] not in gone]
        return Compactions(current, runs, gone)

    def collect_garbage(self) -> list[str]:
        """Delete index files that committed compactions replaced, and uncommitted ones."""
        live = self.compactions()
        current = {c.id for c in live.current}
        doomed = [self.partition(f"index/{name}", r)
                  for name in self.indexes for r in sorted(live.replaced_runs)]
        doomed += [f"{self.root}/compacted/{cid}" for cid in self.fs.list(f"{self.root}/compacted")
                   if cid not in current]
        doomed += [f"{self.root}/_staging/{n}" for n in self.fs.list(f"{self.root}/_staging")
                   if n.startswith("compact-")]
        deleted = [p for p in doomed if self.fs.exists(p)]
        for path in deleted:
            self.fs.delete_within(path, self.root)
        return deleted

    def compact_index(self, rows_per_file: int = COMPACT_ROWS_PER_FILE) -> dict | None:
        """Rewrite every committed index partition into one compaction; None if nothing to do.

        Idempotent: once the index is a single compaction, re-running changes nothing.
        """
        cid = check_name("compact-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ"),
                         "compaction id")
        lease = self.acquire(cid)
        try:
            self.collect_garbage()
            live = self.compactions()
            runs = [r for r in self.committed_runs() if r not in live.replaced_runs
                    and any(self.fs.exists(self.partition(f"index/{n}", r))
                            for n in self.indexes)]
            if len(runs) + len(live.current) <= 1:
                return None
            staging = f"{self.root}/_staging/{cid}"
            counts = {}
            for name in self.indexes:
                frame = self.index(name)
                if frame is None:
                    continue
                counts[name] = frame.count()
                files = max(1, math.ceil(counts[name] / rows_per_file))
                frame.repartition(files).write.parquet(f"{staging}/{name}")
            self.fs.mkdirs(f"{self.root}/compacted")
            self.fs.rename(staging, f"{self.root}/compacted/{cid}")
            record = {"id": cid, "runs": runs, "compactions": [c.id for c in live.current],
                      "rows": counts, "created_at": datetime.now(UTC).isoformat()}
            crash_point("compact")
            lease.check()  # the commit point: a compaction that lost its lease stops here
            self.fs.write_text(f"{self.root}/compactions/{cid}.json", json.dumps(record, indent=2))
            record["deleted"] = self.collect_garbage()
            return record
        finally:
            lease.release()

    # -- lock ----------------------------------------------------------------
    def lock_path(self) -> str:
        return f"{self.root}/_lock"

    def read_lock(self) -> dict | None:
        """The lease file's content; None if there is none, ``{}`` if it stays unreadable
        (a half-written file is read again a few times first)."""
        for _ in range(3):
            if not self.fs.exists(self.lock_path()):
                return None
            try:
                return json.loads(self.fs.read_text(self.lock_path()))
            except Exception:  # noqa: BLE001 - half-written, or gone (Py4J error) meanwhile
                time.sleep(0.2)
        return {}

    def acquire(self, run_id: str, ttl: float | None = None) -> Lease:
        """Take the lease (renewed while held) or fail with who holds it; an expired
        lease, or one whose owner process is gone, is taken over."""
        ttl = lock_ttl() if ttl is None else ttl
        path = self.lock_path()
        now = time.time()
        held = self.read_lock()
        if held is not None:
            if held.get("expires_at", 0) > now and not _dead_local_owner(held.get("owner", "")):
                raise LockedError(
                    f"state {self.root} is locked by run {held.get('run_id')} "
                    f"({held.get('owner')}) until "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(held['expires_at']))}; "
                    f"another run is in progress (delete {path} only if it is dead)"
                )
            self.fs.delete_within(path, self.root)
        lease = {"owner": f"{socket.gethostname()}:{os.getpid()}", "token": uuid.uuid4().hex,
                 "run_id": run_id, "acquired_at": now, "expires_at": now + ttl, "ttl": ttl}
        crash_point("lease")  # tests pause two runs here to race for the create
        if not self.fs.create_exclusive(path, json.dumps(lease)):
            raise LockedError(f"state {self.root} was locked by another run just now")
        return Lease(self, lease)


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
    """A held lock, renewed by a daemon heartbeat thread; release it when the run ends
    (also on failure), and :meth:`check` it at the commit point."""

    def __init__(self, state: State, content: dict):
        self.state, self.content = state, content
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"winnow-lease-{content['run_id']}", daemon=True)
        self._heartbeat.start()

    def _ours(self, held: dict | None) -> bool:
        return bool(held) and all(held.get(k) == self.content[k] for k in ("owner", "token"))

    def _beat(self) -> None:
        """Every ttl/3 push ``expires_at`` forward, while the lock still names this lease."""
        ttl = self.content["ttl"]
        while not self._stop.wait(ttl / 3):
            try:
                held = self.state.read_lock()
                if held == {}:
                    continue  # unreadable this time: try again at the next beat
                if not self._ours(held):
                    return  # taken over: never write over another owner's lease
                renewed = dict(self.content, expires_at=time.time() + ttl)
                self.state.fs.write_text(self.state.lock_path(), json.dumps(renewed))
                self.content = renewed
            except Exception:  # noqa: BLE001 - a transient FS error: check() decides
                continue

    def check(self) -> None:
        """Raise :class:`LockedError` unless the lock still names this lease and has
        not expired (the run lost it to another writer, or its heartbeat stalled)."""
        held = self.state.read_lock()
        if not self._ours(held) or held.get("expires_at", 0) <= time.time():
            holder = f"run {held.get('run_id')} ({held.get('owner')})" if held else "nobody"
            raise LockedError(
                f"run {self.content['run_id']} lost its lease on state {self.state.root} "
                f"(now held by {holder}); aborted before its commit, nothing committed")

    def release(self) -> None:
        self._stop.set()
        self._heartbeat.join()
        if self._ours(self.state.read_lock()):
            self.state.fs.delete_within(self.state.lock_path(), self.state.root)

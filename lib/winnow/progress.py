"""Human-readable progress on the terminal (stderr), silenced by ``--quiet``.

Two parts:

* :class:`Progress` prints the stage being run and, when a step finishes, rows and
  rate. While a run is being watched (:meth:`Progress.watch`) a driver thread polls
  Spark's status tracker and shows, inside the current step, tasks done / total, rows
  per second and an ETA: one self-overwriting bar on a terminal, a plain line every
  ``plain_every`` seconds otherwise (logs, CI), nothing with ``--quiet``.
* :class:`SparkActivity` tags every Spark job of a run with one job group and counts
  the jobs, stages and tasks that ran (``stats/run``, the summary), from the same
  status tracker. Datatrove and NeMo Curator show per-task logs only.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark import SparkContext

GROUP_KEY = "spark.jobGroup.id"
DESCRIPTION_KEY = "spark.job.description"


@dataclass(frozen=True)
class JobCounts:
    """Spark jobs, stages and tasks that ran (skipped stages, reused shuffles not counted)."""

    jobs: int
    stages: int
    tasks: int

    def minus(self, earlier: JobCounts) -> JobCounts:
        return JobCounts(self.jobs - earlier.jobs, self.stages - earlier.stages,
                         self.tasks - earlier.tasks)


class SparkActivity:
    """The Spark jobs of one run: tagged with job group ``group`` on this thread.

    PySpark pins each Python thread to a JVM thread, so the group covers the jobs this
    thread starts; a frame stage that starts jobs from other threads should use
    ``pyspark.InheritableThread`` so they inherit it.
    """

    def __init__(self, sc: SparkContext, group: str, description: str = "winnow run"):
        self.sc = sc
        self.group = group
        self.description = description
        self._saved: tuple[str | None, str | None] | None = None

    def __enter__(self) -> SparkActivity:
        self._saved = (self.sc.getLocalProperty(GROUP_KEY),
                       self.sc.getLocalProperty(DESCRIPTION_KEY))
        self.sc.setJobGroup(self.group, self.description)
        return self

    def __exit__(self, *exc) -> None:
        group, description = self._saved or (None, None)
        self.sc.setLocalProperty(GROUP_KEY, group)
        self.sc.setLocalProperty(DESCRIPTION_KEY, description)

    def job_ids(self) -> list[int]:
        return sorted(self.sc.statusTracker().getJobIdsForGroup(self.group))

    def counts(self) -> JobCounts:
        """Jobs of the group so far, the stages of them that ran tasks, and their tasks."""
        tracker = self.sc.statusTracker()
        jobs = self.job_ids()
        stage_ids: set[int] = set()
        for j in jobs:
            info = tracker.getJobInfo(j)
            if info is not None:
                stage_ids.update(info.stageIds)
        stages = tasks = 0
        for s in stage_ids:
            info = tracker.getStageInfo(s)
            if info is not None and info.numCompletedTasks > 0:
                stages += 1
                tasks += info.numCompletedTasks
        return JobCounts(len(jobs), stages, tasks)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


@dataclass
class Snapshot:
    """What the running jobs of a group have done: tasks and rows, done and total."""

    done: int
    total: int
    rows: int

    def line(self, label: str, elapsed: float, rows_per_s: float | None) -> str:
        width = 24
        filled = int(width * self.done / self.total) if self.total else 0
        bar = "#" * filled + "." * (width - filled)
        parts = [f"  {label} [{bar}] {self.done:,}/{self.total:,} tasks"]
        if rows_per_s is not None:
            parts.append(f"{rows_per_s:,.0f} rows/s")
        if 0 < self.done < self.total:
            parts.append(f"ETA {_clock(elapsed * (self.total - self.done) / self.done)}")
        return "  ".join(parts)


def snapshot(sc: SparkContext, group: str | None) -> Snapshot | None:
    """Tasks of the running jobs (of ``group``, or all), None when no job runs.

    Rows come from the stages' task metrics (records read from input, cache or
    shuffle, or written), which Spark updates as tasks finish.
    """
    tracker = sc.statusTracker()
    active = set(tracker.getActiveJobsIds())
    if group is not None:
        active &= set(tracker.getJobIdsForGroup(group))
    if not active:
        return None
    done = total = rows = 0
    store = None
    for j in sorted(active):
        info = tracker.getJobInfo(j)
        if info is None:
            continue
        for s in info.stageIds:
            stage = tracker.getStageInfo(s)
            if stage is None:
                continue
            done += stage.numCompletedTasks
            total += stage.numTasks
            try:  # record counts are only on the JVM side's status store
                store = store or sc._jsc.sc().statusStore()
                data = store.lastStageAttempt(s)
                rows += max(data.inputRecords(), data.shuffleReadRecords(),
                            data.outputRecords())
            except Exception:  # noqa: BLE001 - progress must never fail a run
                pass
    return Snapshot(done, total, rows)


class Progress:
    """Prints the stage being run and, when a step finishes, documents and rate."""

    def __init__(self, quiet: bool = False, stream=None, interval: float = 0.5,
                 plain_every: float = 10.0, tty: bool | None = None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.interval = interval
        self.plain_every = plain_every
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty and isatty())
        self.tty = tty
        self.label = "starting"
        self._label_since = time.perf_counter()
        self._lock = threading.Lock()
        self._bar_shown = False
        #: Live lines printed (bar updates or plain lines): what tests look at.
        self.live_lines = 0

    def _print(self, text: str) -> None:
        with self._lock:
            if self._bar_shown:
                self.stream.write("\r\x1b[2K")
                self._bar_shown = False
            print(text, file=self.stream, flush=True)

    def say(self, msg: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.t0
            self._print(f"[winnow {elapsed:7.1f}s] {msg}")

    def start(self, stage: str) -> None:
        self.label = stage
        self._label_since = time.perf_counter()
        self.say(f"stage {stage} …")

    def done(self, label: str, docs: int, seconds: float) -> None:
        rate = docs / seconds if seconds > 0 else float("inf")
        self.say(f"  done {label}: {docs:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)")

    def live(self, snap: Snapshot, rows_per_s: float | None) -> None:
        """One live update: the bar (terminal) or a plain line."""
        if self.quiet:
            return
        line = snap.line(self.label, time.perf_counter() - self._label_since, rows_per_s)
        with self._lock:
            self.live_lines += 1
            if self.tty:
                self.stream.write("\r\x1b[2K" + line)
                self.stream.flush()
                self._bar_shown = True
            else:
                elapsed = time.perf_counter() - self.t0
                print(f"[winnow {elapsed:7.1f}s] {line.strip()}", file=self.stream, flush=True)

    @contextmanager
    def watch(self, sc: SparkContext, group: str | None = None) -> Iterator[None]:
        """Poll the status tracker on a driver thread while the block runs."""
        if self.quiet:
            yield
            return
        stop = threading.Event()
        every = self.interval if self.tty else self.plain_every

        def poll() -> None:
            last_rows, last_t = 0, time.perf_counter()
            while not stop.wait(every):
                try:
                    snap = snapshot(sc, group)
                except Exception:  # noqa: BLE001 - e.g. the context stopping
                    return
                now = time.perf_counter()
                if snap is None:
                    last_rows, last_t = 0, now
                    continue
                rate = None
                if snap.rows >= last_rows and now > last_t and last_rows:
                    rate = (snap.rows - last_rows) / (now - last_t)
                last_rows, last_t = snap.rows, now
                self.live(snap, rate)

        thread = threading.Thread(target=poll, name="winnow-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            with self._lock:
                if self._bar_shown:
                    self.stream.write("\r\x1b[2K")
                    self.stream.flush()
                    self._bar_shown = False

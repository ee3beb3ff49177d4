"""The sink contract: one output format per module, registered by name.

A sink writes a named part of a run, a DataFrame, into the staging area of the run's
:class:`~winnow.output.Publication` and declares where publication moves it. A part's
name is its path under the staging area (``kept``, ``stats/domains``,
``index/exact``); its destination is where it is published: after the commit point
for output parts, before it (``before_commit``) for the state's index and ledger
partitions, which count only once the run commits. A sink writes nothing but its
staging directory, so a crashed run never leaves a part half in place.

``rows`` counts the rows of a written part: the conservation check counts the
written document parts, not the frame they came from. The default reads the part back
(``read``); a format with row counts in its metadata (Parquet footers) answers from
them without a Spark job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from winnow.errors import WinnowError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from winnow.output import Publication

T = TypeVar("T")

#: The sink of the document parts (kept, removed, quarantine).
DEFAULT = "parquet"


class Sink:
    """One output format: ``save`` writes a frame into a directory, ``load`` reads it."""

    #: The name the registry knows this format by.
    name: ClassVar[str]

    def __init__(self, spark: SparkSession, pub: Publication):
        self.spark = spark
        self.pub = pub

    def write(self, part: str, df: DataFrame, destination: str, *,
              before_commit: bool = False) -> str:
        """Write ``df`` as ``part`` of the staging area, to be published at ``destination``;
        returns the staged path."""
        staged = self.pub.stage(part, destination, before_commit=before_commit)
        self.save(df, staged)
        return staged

    def stage(self, part: str, df: DataFrame | Callable[[], DataFrame], destination: str, *,
              before_commit: bool = False) -> Callable[[], None]:
        """Stage ``part`` now (publication order is the order of staging) and return the
        save to run later, e.g. concurrently with others (:func:`run_concurrently`).
        ``df`` may be a function making the frame when the save runs."""
        staged = self.pub.stage(part, destination, before_commit=before_commit)

        def save() -> None:
            self.save(df() if callable(df) else df, staged)
        return save

    def write_all(self, parts: list[tuple[str, DataFrame, str]], threads: int = 4) -> None:
        """``write`` each (part, frame, destination), staged in list order (publication
        order stays deterministic) and saved by up to ``threads`` concurrent Spark jobs:
        many small tables (the statistics) then share the cores instead of queueing."""
        run_concurrently([self.stage(part, df, dst) for part, df, dst in parts], threads)

    def read(self, part: str) -> DataFrame:
        """A part written by this sink, read back from the staging area."""
        return self.load(self.pub.path(part))

    def rows(self, part: str) -> int:
        """Rows of a written part (default: read back and counted)."""
        return self.read(part).count()

    def save(self, df: DataFrame, path: str) -> None:
        """Write ``df`` into the new directory ``path`` (files of this format)."""
        raise NotImplementedError

    def load(self, path: str) -> DataFrame:
        """The rows ``save`` wrote into ``path``."""
        raise NotImplementedError


def run_concurrently(tasks: list[Callable[[], T]], threads: int = 4) -> list[T]:
    """Run ``tasks`` on up to ``threads`` threads, in list order; their results, in order.

    Each task is typically a Spark action: several small jobs then share the cores
    instead of each paying its scheduling latency in turn. Threads inherit the caller's
    job group (``InheritableThread``), so the jobs count as the run's. The first error
    stops the start of further tasks and is raised on the caller's thread once the
    running ones have finished."""
    from pyspark import InheritableThread

    todo = list(enumerate(tasks))
    results: list = [None] * len(tasks)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo or errors:
                    return
                i, task = todo.pop(0)
            try:
                results[i] = task()
            except BaseException as e:  # noqa: BLE001 - re-raised on the caller's thread
                with lock:
                    errors.append(e)

    if len(tasks) == 1 or threads <= 1:
        return [task() for task in tasks]
    pool = [InheritableThread(target=work) for _ in range(max(1, min(threads, len(tasks))))]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return results


#: Registered sinks by name.
REGISTRY: dict[str, type[Sink]] = {}
S = TypeVar("S", bound=type[Sink])


def register(cls: S) -> S:
    """Class decorator adding a sink to the registry under ``cls.name``."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"sink {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def sink(name: str, spark: SparkSession, pub: Publication) -> Sink:
    """A new sink of the registered format ``name`` writing into ``pub``."""
    if name not in REGISTRY:
        raise WinnowError(f"no sink {name!r} (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name](spark, pub)

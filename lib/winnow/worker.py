"""What winnow keeps per Python worker: the tuning of its batch functions and one cache.

:func:`batch_function` marks a ``mapInArrow`` function; :func:`cached` holds what a
worker loads once and reuses across tasks (models, word lists).

Before every task, PySpark's worker calls ``importlib.invalidate_caches()`` (in
``worker_util.setup_spark_files``). On Python 3.11 that makes every
``zipimporter`` on the import path re-read its archive's central directory, and
the executor's path holds ``pyspark.zip`` and the ``spark-core`` jar (about 5,400
entries). Measured on this machine: 0.3 CPU-seconds of Python per task for an
identity ``mapInArrow`` — 39 of 43 CPU-seconds for 128 tasks over 100k rows
(``bench/worker_overhead.py``). With many input files or partitions that cost
exceeds the text work itself.

:func:`tune` (called first thing by every :func:`batch_function`, so it runs in
whatever worker process Spark hands the task to, on any cluster) makes
``zipimporter.invalidate_caches`` re-read an archive only when its size or
modification time changed. The first task in each worker process still pays
once; the tasks it runs afterwards (workers are reused) do not.
"""

from __future__ import annotations

import functools
import os
import threading
import zipimport
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

import pyarrow as pa

_STAMP = "_winnow_stamp"
_T = TypeVar("_T")
BatchFunction = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]

_CACHE: dict[Hashable, Any] = {}
_CACHE_LOCK = threading.RLock()  # a loader may itself use the cache


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def tune() -> None:
    """Install the cheap ``zipimporter.invalidate_caches`` in this process (idempotent)."""
    cls = zipimport.zipimporter
    if getattr(cls, "_winnow_tuned", False):
        return
    original = getattr(cls, "invalidate_caches", None)
    if original is None:  # pragma: no cover - every supported Python has it
        return

    def invalidate_caches(self: zipimport.zipimporter) -> None:
        stamp = _stamp(self.archive)
        if stamp is not None and getattr(self, _STAMP, None) == stamp:
            return  # archive unchanged since the last read: its directory still holds
        original(self)
        try:
            setattr(self, _STAMP, stamp)
        except AttributeError:  # pragma: no cover - a C zipimporter without __dict__
            pass

    try:
        cls.invalidate_caches = invalidate_caches
        cls._winnow_tuned = True
    except TypeError:  # pragma: no cover - an immutable (C) zipimporter type
        pass


def batch_function(fn: BatchFunction) -> BatchFunction:
    """Decorate a ``mapInArrow`` function: the worker running it is tuned first."""

    @functools.wraps(fn)
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        tune()
        return fn(batches)

    return run


def cached(key: Hashable, loader: Callable[[], _T]) -> _T:
    """The value kept under ``key`` in this process, made by ``loader()`` on first use.

    Keys start with the name of what they hold (``("fasttext", path)``), so owners
    do not collide. Thread-safe: the worker's tasks share one copy.
    """
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = loader()
        return _CACHE[key]

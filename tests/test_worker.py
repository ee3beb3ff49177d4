"""winnow.worker: the tuning keeps zip imports correct and stops re-reading unchanged
archives; batch functions are tuned first; the per-worker cache loads once per key."""

from __future__ import annotations

import importlib
import os
import sys
import zipfile
import zipimport

import pytest
from winnow import worker


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "lib.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("winnow_zip_probe_a.py", "VALUE = 'a'\n")
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))
    sys.path_importer_cache.pop(str(path), None)
    for name in ("winnow_zip_probe_a", "winnow_zip_probe_b"):
        sys.modules.pop(name, None)


def test_unchanged_archive_is_not_reread(archive):
    worker.tune()
    assert importlib.import_module("winnow_zip_probe_a").VALUE == "a"
    importlib.invalidate_caches()  # first call after tuning reads once and stamps
    before = zipimport._zip_directory_cache[str(archive)]
    for _ in range(3):
        importlib.invalidate_caches()
    # Re-reading builds a new directory dict; an unchanged archive keeps the old one.
    assert zipimport._zip_directory_cache[str(archive)] is before


def test_changed_archive_is_reread(archive):
    worker.tune()
    importlib.import_module("winnow_zip_probe_a")
    importlib.invalidate_caches()
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("winnow_zip_probe_b.py", "VALUE = 'b'\n")
    stat = os.stat(archive)
    os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    importlib.invalidate_caches()
    assert importlib.import_module("winnow_zip_probe_b").VALUE == "b"


def test_tune_is_idempotent():
    worker.tune()
    first = zipimport.zipimporter.invalidate_caches
    worker.tune()
    assert zipimport.zipimporter.invalidate_caches is first


def test_batch_function_tunes_the_worker_before_its_batches(monkeypatch):
    calls = []
    monkeypatch.setattr(worker, "tune", lambda: calls.append("tune"))

    @worker.batch_function
    def double(batches):
        for b in batches:
            calls.append("batch")
            yield b

    assert double.__name__ == "double"
    assert list(double(iter([1, 2]))) == [1, 2]
    assert calls == ["tune", "batch", "batch"]


def test_cached_loads_once_per_key():
    loads = []

    def load(name):
        loads.append(name)
        return object()

    first = worker.cached(("test_worker", "a"), lambda: load("a"))
    assert worker.cached(("test_worker", "a"), lambda: load("a")) is first
    assert worker.cached(("test_worker", "b"), lambda: load("b")) is not first
    assert loads == ["a", "b"]

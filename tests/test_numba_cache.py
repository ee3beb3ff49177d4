"""winnow.numba_cache: kernels imported from a zip are cached by content, not by path.

The zip tests run the real ``winnow`` package from a zip in fresh interpreters and
compile one small kernel (``minhash.components.union_find``), reading numba's own
dispatcher statistics for cache hits and misses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from winnow import numba_cache

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lib" / "winnow"

PROBE = """
import json
import numpy as np
import winnow
from winnow.minhash import components as c
parent = c.union_find(np.array([0, 2, 3], np.int64), np.array([1, 3, 4], np.int64), 6)
s = c.union_find.stats
print(json.dumps({
    "winnow": winnow.__file__,
    "parent": parent.tolist(),
    "cache_path": s.cache_path,
    "hits": sum(s.cache_hits.values()),
    "misses": sum(s.cache_misses.values()),
}))
"""


def _zip_package(target: Path, *, append: dict[str, str] | None = None) -> Path:
    """The ``winnow`` package as a ``--py-files`` zip, optionally with text appended."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PACKAGE.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            name = f"winnow/{path.relative_to(PACKAGE).as_posix()}"
            data = path.read_bytes()
            if append and name in append:
                data += append[name].encode()
            zf.writestr(name, data)
    return target


def _run(zip_path: Path, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(
        PYTHONPATH=str(zip_path),  # before the editable install's .pth entry
        WINNOW_NUMBA_CACHE_DIR=str(tmp / "cache"),
        HOME=str(tmp / "home"),  # numba's own zip locator would write under ~/.cache/numba
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=tmp, capture_output=True, text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["winnow"].startswith(str(zip_path) + os.sep), result["winnow"]
    assert result["parent"] == [0, 0, 2, 2, 2, 5]
    return result


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("numba_cache")
    result = _run(_zip_package(tmp / "app-a" / "userFiles-1" / "winnow-lib.zip"), tmp)
    return tmp, result


def test_first_run_from_a_zip_compiles_into_the_content_cache(first_run):
    tmp, result = first_run
    assert (result["hits"], result["misses"]) == (0, 1)
    cache_path = Path(result["cache_path"])
    assert cache_path.parent == tmp / "cache"
    assert cache_path.name.startswith("winnow.minhash.components-")
    assert list(cache_path.glob("components.union_find-*.nbi"))
    assert not (tmp / "home" / ".cache" / "numba").exists()


def test_same_sources_at_another_path_hit_the_cache(first_run):
    tmp, first = first_run
    moved = tmp / "app-b" / "userFiles-2" / "winnow-lib.zip"
    moved.parent.mkdir(parents=True)
    shutil.copyfile(tmp / "app-a" / "userFiles-1" / "winnow-lib.zip", moved)
    later = time.time() + 60
    os.utime(moved, (later, later))  # a new mtime too, as a fresh download would have
    result = _run(moved, tmp)
    assert (result["hits"], result["misses"]) == (1, 0)
    assert result["cache_path"] == first["cache_path"]


def test_changed_sources_miss(first_run):
    tmp, first = first_run
    changed = _zip_package(
        tmp / "app-c" / "winnow-lib.zip",
        append={"winnow/minhash/components.py": "\n# changed\n"},
    )
    result = _run(changed, tmp)
    assert (result["hits"], result["misses"]) == (0, 1)
    assert result["cache_path"] != first["cache_path"]


def test_checkout_keeps_numbas_in_tree_cache():
    from numba.core import caching
    from winnow.minhash import components

    assert numba_cache.install() and numba_cache.install()
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    ours = [c for c in impl._locator_classes if c is numba_cache.ContentCacheLocator]
    assert impl._locator_classes[0] is numba_cache.ContentCacheLocator and len(ours) == 1
    assert components.__file__ == str(PACKAGE / "minhash" / "components.py")
    cache_path = components.union_find.stats.cache_path
    assert not cache_path.startswith(numba_cache.cache_root())
    if not os.environ.get("NUMBA_CACHE_DIR"):
        assert cache_path == str(PACKAGE / "minhash" / "__pycache__")
    # Not winnow's: never taken over, even from a zip.
    assert numba_cache.ContentCacheLocator.from_function(len, "/x/app.zip/mod.py") is None

"""Content-keyed numba cache for winnow's kernels when the library ships as a zip.

winnow's kernels are ``@numba.njit(cache=True)``. numba picks a cache *locator* for
each function when it is decorated (``Dispatcher.enable_caching`` builds a
``FunctionCache``, whose ``CacheImpl`` asks each class of
``CacheImpl._locator_classes`` in turn). For a module imported from a zip, the
only default locator that applies is ``ZipCacheLocator``: it caches under
``~/.cache/numba/<dir>_<sha1 of the zip's path>``. Spark places the ``--py-files``
zip at a new path in every application (``/tmp/spark-<uuid>/userFiles-<uuid>/``),
so every executor of every application recompiled every kernel and left one more
cache directory behind.

:func:`install` puts :class:`ContentCacheLocator` in front of numba's locators.
It takes over only for functions of ``winnow.*`` modules whose source is inside an
archive or whose in-tree ``__pycache__`` is not writable, i.e. exactly where the
default locators would key the cache on a path that changes between runs. An
ordinary checkout (editable install, tests) keeps numba's in-tree cache.

The cache goes to ``$WINNOW_NUMBA_CACHE_DIR``, else ``$NUMBA_CACHE_DIR/winnow``,
else ``~/.cache/winnow/numba``, in one subdirectory per module and content hash:
``winnow.minhash.components-<16 hex>``. The hash (and the source stamp that numba
compares before loading) is the SHA-256 of every ``.py`` file of the ``winnow``
package, read through the package's loader (from the zip itself when zipped),
not of the one module: a kernel freezes in the globals and the compiled callees
it takes from other winnow modules (``chars`` tables, ``words.token_hash``), which
a per-file stamp would not see change. So any change to winnow's sources means
one recompilation per machine; the same sources are compiled once per machine
whatever path the zip lands at.

This relies on numba's private caching API (``numba.core.caching._CacheLocator``
and ``CacheImpl._locator_classes``, named ``_CacheImpl`` before numba 0.61). If
they are missing, :func:`install` does nothing and numba's default behaviour
stays. :func:`install` is idempotent. winnow's kernels are declared with
:func:`kernel` (``numba.njit(cache=True)`` that installs the locator first), so no
kernel can be compiled before it is in place. ``NUMBA_CACHE_LOCATOR_CLASSES``, when
set, replaces numba's locator list and so bypasses this one.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import zipimport
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import numba

try:
    from numba.core import caching as _caching
except ImportError:  # pragma: no cover - numba is a dependency
    _caching = None

#: numba's locator base class, or ``object`` if this numba has none (then
#: :func:`install` registers nothing).
_LocatorBase: Any = getattr(_caching, "_CacheLocator", None) or object

_PACKAGE = "winnow"
_MARK = "_winnow_content_locator"


def cache_root() -> str:
    """The directory content-keyed kernels are cached in (read from the environment)."""
    explicit = os.environ.get("WINNOW_NUMBA_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    numba_dir = os.environ.get("NUMBA_CACHE_DIR")
    if numba_dir:
        return os.path.join(os.path.abspath(os.path.expanduser(numba_dir)), "winnow")
    return os.path.join(os.path.expanduser("~"), ".cache", "winnow", "numba")


@cache
def _package_digest(origin: str) -> str:
    """SHA-256 over the relative paths and bytes of every ``.py`` file of ``winnow``.

    ``origin`` (the package's ``__file__``) is only the memoisation key. The files
    are read through the package's resource reader, so from the archive when zipped.
    """
    digest = hashlib.sha256()
    files: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", resources.files(_PACKAGE))]
    while stack:
        prefix, node = stack.pop()
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    stack.append((f"{name}/", child))
            elif child.name.endswith(".py"):
                files.append((name, child))
    for name, child in sorted(files, key=lambda item: item[0]):
        data = child.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@cache
def _writable_dir(path: str) -> bool:
    """Whether numba's in-tree locator could use ``path`` (its own test)."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _in_archive(module: Any, py_file: str) -> bool:
    if isinstance(getattr(module, "__loader__", None), zipimport.zipimporter):
        return True
    return not os.path.exists(py_file) and ".zip" in py_file


def _applies(py_func: Any, py_file: str) -> bool:
    modname = getattr(py_func, "__module__", None) or ""
    if not modname.startswith(_PACKAGE + "."):
        return False
    module = sys.modules.get(modname)
    if _in_archive(module, py_file):
        return True
    if not os.path.isfile(py_file):
        return False  # a placeholder such as "<string>": not ours to cache
    return not _writable_dir(os.path.join(os.path.dirname(py_file), "__pycache__"))


class ContentCacheLocator(_LocatorBase):
    """numba cache locator keyed by winnow's source content instead of its path."""

    _winnow_content_locator = True

    def __init__(self, py_func: Any, py_file: str, digest: str) -> None:
        self._py_file = py_file  # numba reads it for its "cannot cache" warning
        self._lineno = py_func.__code__.co_firstlineno
        self._digest = digest
        self._cache_path = os.path.join(cache_root(), f"{py_func.__module__}-{digest[:16]}")

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> str:
        return self._digest

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> ContentCacheLocator | None:
        try:
            if not _applies(py_func, py_file):
                return None
            package = sys.modules.get(_PACKAGE)
            origin = getattr(package, "__file__", None) or py_file
            self = cls(py_func, py_file, _package_digest(origin))
            self.ensure_cache_path()
        except Exception:  # unreadable sources or cache dir: numba's own locators decide
            return None
        return self


def _impl_class() -> Any:
    return getattr(_caching, "CacheImpl", None) or getattr(_caching, "_CacheImpl", None)


def install() -> bool:
    """Register :class:`ContentCacheLocator` first in numba's locator list (idempotent).

    Returns whether it is registered; ``False`` (and no change) when this numba lacks
    the private API it relies on.
    """
    classes = getattr(_impl_class(), "_locator_classes", None)
    if _LocatorBase is object or not isinstance(classes, list):
        return False
    if not any(getattr(c, _MARK, False) for c in classes):
        classes.insert(0, ContentCacheLocator)
    return True


def kernel(fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)`` with :class:`ContentCacheLocator` installed
    first: ``@kernel`` or ``@kernel(nogil=True)`` on every winnow kernel."""
    install()
    jit = numba.njit(cache=True, **options)
    return jit if fn is None else jit(fn)

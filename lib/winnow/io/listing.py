"""Input listing on the driver: ``--input`` files, directories and globs into files.

Directory symlinks are followed (never back into an ancestor, so a loop is walked
once), each real file is read once (by device and inode: the first path in sorted
order), and an unreadable directory, a symlink loop, an input file that cannot be
stat'ed, is not a regular file or has a name that is not UTF-8 are one-line errors.
In a directory, files no registered reader claims (``_SUCCESS``, READMEs) are
skipped. ARC files (``.arc``, ``.arc.gz``), which FastWARC cannot parse, are refused
with one line under ``input.format`` ``auto``, ``warc`` or ``wet`` (``check_not_arc``),
before Spark starts. ``check_output_outside_inputs`` refuses an output that a later run
would read as input.
"""

from __future__ import annotations

import errno
import fnmatch
import glob as globlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from winnow.errors import WinnowError
from winnow.io.compression import COMPRESSIONS
from winnow.io.reader import AUTO, REGISTRY, format_for, fs_for

#: Name endings of ARC (v1) files, the Internet Archive's format before WARC.
ARC_SUFFIXES = (".arc",)
#: The formats under which an ARC file is refused (a WARC reader would meet it).
ARC_REFUSED_UNDER = (AUTO, "warc", "wet")


@dataclass(frozen=True)
class InputFile:
    """One input file as listed on the driver (recorded in the manifest)."""

    path: str
    size: int
    mtime: float
    format: str


def _either(words: Iterable[str]) -> str:
    """``a, b or c``."""
    *rest, last = words
    return f"{', '.join(rest)} or {last}" if rest else last


#: A listed file: path, size, mtime and its real identity (st_dev, st_ino) if local.
Listed = tuple[str, int, float, tuple[int, int] | None]


def expand_inputs(paths: list[str], configured_format: str = "auto") -> list[InputFile]:
    """Expand files, directories and globs, each real file once; bad paths are one-line errors."""
    if not paths:
        raise WinnowError("no --input given")
    listed: list[tuple[str, int, float, tuple[int, int] | None, str]] = []
    for raw in paths:
        matches = _expand_one(raw, configured_format)
        if not matches:
            raise WinnowError(f"input not found: {raw}")
        usable = 0
        for path, size, mtime, key in matches:
            check_not_arc(path, configured_format)
            fmt = format_for(path, configured_format)
            if fmt is None:
                if raw == path:
                    raise WinnowError(
                        f"input {path}: cannot tell its format from the name; "
                        f"set input.format ({_either(sorted(REGISTRY))})"
                    )
                continue  # a directory may hold _SUCCESS, READMEs, checksums
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                raise WinnowError(f"input {raw}: file name is not UTF-8: {ascii(path)}") from None
            listed.append((path, size, mtime, key, fmt))
            usable += 1
        if usable == 0:
            shown = _either(r.shown or r.suffixes[0] for _, r in sorted(REGISTRY.items()))
            raise WinnowError(f"input {raw}: no {shown} files in it")
    seen: set[Any] = set()
    out: list[InputFile] = []
    for path, size, mtime, key, fmt in sorted(listed):
        if path in seen or key in seen:
            continue  # the same real file through another path (symlink, hard link)
        seen.update((path, key) if key else (path,))
        out.append(InputFile(path, size, mtime, fmt))
    return out


def is_arc(path: str) -> bool:
    """Whether ``path`` names an ARC file (``.arc``, ``.arc.gz``, any compression)."""
    name = path.lower()
    for comp in COMPRESSIONS:
        if name.endswith(comp):
            name = name[: -len(comp)]
    return name.endswith(ARC_SUFFIXES)


def check_not_arc(path: str, configured_format: str = AUTO) -> None:
    """A one-line error for an ARC file met under ``auto``/``warc``/``wet``: FastWARC 2
    (the WARC parser) reads WARC/1.0 and 1.1 records only; an ARC v1 file fails there at
    its first header (``Invalid WARC header``), so it is refused here, not in a task."""
    if configured_format in ARC_REFUSED_UNDER and is_arc(path):
        raise WinnowError(
            f"input {path}: ARC files are not supported (FastWARC, the WARC parser, reads "
            "WARC records only); convert them to WARC first, or leave them out of --input")


def _stat(path: str, raw: str, required: bool) -> os.stat_result | None:
    """Stat ``path`` following symlinks. A loop or a denied stat is an error; so is a
    vanished or dangling entry if ``required`` (an input file), else it is ignored."""
    try:
        return os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WinnowError(f"input {raw}: symlink loop at {path}") from None
        if exc.errno == errno.ENOENT and not required:
            return None  # a dangling README link is no business of ours
        what = "broken symlink" if os.path.islink(path) else "cannot stat"
        raise WinnowError(f"input {raw}: {what} {path}: {exc.strerror}") from None


def _listdir(directory: str, raw: str) -> list[str]:
    """Sorted entry names of a directory; one that cannot be read is a one-line error."""
    try:
        with os.scandir(directory) as it:
            return sorted(e.name for e in it)
    except OSError as exc:
        raise WinnowError(
            f"input {raw}: cannot read directory {directory}: {exc.strerror}"
        ) from None


def _walk(
    top: str, top_stat: os.stat_result, raw: str, configured_format: str
) -> Iterator[tuple[str, os.stat_result]]:
    """Files under ``top``, following directory symlinks but never back into an ancestor."""
    stack = [(top, frozenset({_key(top_stat)}))]
    while stack:
        directory, ancestors = stack.pop()
        subdirs = []
        for name in _listdir(directory, raw):
            if name.startswith((".", "_")):
                continue
            path = os.path.join(directory, name)
            st = _stat(path, raw, format_for(path, configured_format) is not None)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                if _key(st) not in ancestors:  # else a symlink back up: walked already
                    subdirs.append((path, ancestors | {_key(st)}))
            else:
                yield path, st
        stack.extend(reversed(subdirs))


def _glob(raw: str) -> list[str]:
    """Matches of a local glob as ``glob.glob(raw, recursive=True)`` gives them, except that
    ``**`` never re-enters an ancestor through a symlink (Python's loops through it, each
    loop multiplying the paths) and an unreadable directory on the way is an error."""
    base, pattern = _glob_split(raw)
    found: set[str] = set()
    stack: list[tuple[str, int, frozenset[tuple[int, int]]]] = [(base, 0, frozenset())]
    while stack:
        path, i, ancestors = stack.pop()
        if i == len(pattern):
            found.add(path)
            continue
        part = pattern[i]
        if not globlib.has_magic(part):
            if os.path.lexists(os.path.join(path, part)):
                stack.append((os.path.join(path, part), i + 1, ancestors))
            continue
        if not os.path.isdir(path):
            continue
        names = [n for n in _listdir(path, raw) if part.startswith(".") or n[0] != "."]
        if part == "**":  # zero or more directories
            ancestors = ancestors | {_key(os.stat(path))}
            stack.append((path, i + 1, ancestors))
            for name in names:
                st = _stat(os.path.join(path, name), raw, False)
                if st is not None and stat.S_ISDIR(st.st_mode) and _key(st) not in ancestors:
                    stack.append((os.path.join(path, name), i, ancestors))
        else:
            stack.extend(
                (os.path.join(path, n), i + 1, ancestors)
                for n in names
                if fnmatch.fnmatchcase(n, part)
            )
    return sorted(p for p in found if os.path.isdir(p) or not raw.endswith("/"))


def _key(st: os.stat_result) -> tuple[int, int]:
    """The identity of a real file or directory."""
    return st.st_dev, st.st_ino


def _expand_one(raw: str, configured_format: str = "auto") -> list[Listed]:
    """The files one ``--input`` names (a file, a directory or a glob; local or a URI)."""
    from pyarrow import fs as pafs

    if "://" not in raw:
        paths = _glob(raw) if globlib.has_magic(raw) else [raw]
        out: list[Listed] = []
        for p in paths:
            if not os.path.lexists(p):
                continue
            st = _stat(p, raw, p == raw or format_for(p, configured_format) is not None)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                files = _walk(p, st, raw, configured_format)
            else:
                files = iter([(p, st)])
            for fp, fst in files:
                if not stat.S_ISREG(fst.st_mode):
                    if format_for(fp, configured_format) is None:
                        continue
                    raise WinnowError(f"input {raw}: not a regular file: {fp}")
                out.append((os.path.abspath(fp), fst.st_size, fst.st_mtime, _key(fst)))
        return out
    fs, base = fs_for(raw)
    # Listed paths are relative to the file system; keep the URI's own scheme and
    # authority (abfs://container@account…/, hdfs://namenode:8020/) in front of them.
    root, base = raw.split("?", 1)[0].rstrip("/"), base.rstrip("/")
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.Directory:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    elif info.type == pafs.FileType.File:
        infos = [info]
    else:
        return []
    return [
        (root + i.path[len(base):], i.size or 0, i.mtime.timestamp() if i.mtime else 0.0, None)
        for i in infos
        if i.type == pafs.FileType.File and not i.base_name.startswith((".", "_"))
    ]


def _location(path: str) -> tuple[str, tuple[str, ...]]:
    """Scheme and path components of a local path (resolved) or a URI (normalised)."""
    if "://" in path:
        scheme, rest = path.split("://", 1)
        scheme = scheme.lower()
        if scheme != "file":
            scheme = "s3" if scheme in ("s3a", "s3n") else scheme
            parts = rest.split("?", 1)[0].split("/")
            return scheme, tuple(p for p in parts if p not in ("", "."))
        path = rest
    return "file", tuple(p for p in os.path.realpath(path).split(os.sep) if p)


def _glob_split(raw: str) -> tuple[str, list[str]]:
    """A glob's fixed leading directory and its remaining pattern components."""
    parts = raw.split("/")
    for i, part in enumerate(parts):
        if globlib.has_magic(part):
            return "/".join(parts[:i]) or ("/" if raw.startswith("/") else "."), [
                p for p in parts[i:] if p
            ]
    return raw, []


def _glob_reaches(pattern: list[str], rel: tuple[str, ...]) -> bool:
    """Whether a glob's remaining ``pattern`` can match ``rel`` or a directory above it."""
    for part, name in zip(pattern, rel, strict=False):
        if "**" in part:
            return True
        if not fnmatch.fnmatchcase(name, part):
            return False
    return True


def check_output_outside_inputs(raw_inputs: list[str], output: str) -> None:
    """Refuse an output at, inside or around an input: the next run would read its own output."""
    out_scheme, out = _location(output)
    for raw in raw_inputs:
        base, pattern = _glob_split(raw) if "://" not in raw else (raw, [])
        scheme, inp = _location(base)
        if scheme != out_scheme:
            continue
        if out[: len(inp)] == inp and _glob_reaches(pattern, out[len(inp):]):
            where = "is" if out == inp and not pattern else "is inside"
            raise WinnowError(
                f"--output {output} {where} input {raw}: a run would read its own output"
            )
        if inp[: len(out)] == out:
            raise WinnowError(
                f"input {raw} is inside --output {output}: a run would read its own output"
            )

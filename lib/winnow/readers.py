"""Input: expand paths on the driver, parse files on executors into documents.

Each input file is read by one task (gzip and zstd streams cannot be split), with
Python's JSON parser so that every bad record becomes a quarantine row naming its
file and line instead of failing the job or vanishing. Documents get a
deterministic ``id``: the mapped input id, else a hash of source file and position.

Accounting rules (the job counts the rows a reader yields per file as its records):

* A reader yields exactly one row per input record: a document, or a quarantine row
  (``stage=INPUT_STAGE``) with the reason that is true. Blank lines are not records.
* A file that yields no record at all gives one ``input:empty_file`` row (position
  0): an empty file, a file of blank lines, a compressed stream of nothing, a
  Parquet file with no rows. So every listed file shows up in the accounting.
* A stream that ends early gives the records before the cut, then one
  ``input:truncated_file`` row; the partial last line belongs to the truncation.
  Undecodable compressed data gives ``input:corrupt_file``, a failing read
  ``input:unreadable_file``, both after the records read before it.
* Compression is told by the magic bytes (gzip ``1f 8b``, zstd ``28 b5 2f fd`` or a
  skippable frame), not by the name: plain JSONL named ``.gz`` reads as plain JSONL.
  A UTF-8 byte-order mark at the start of a line is ignored.
* A quarantined JSON object or Parquet row with a usable mapped id keeps
  ``str(id)`` as its ``id``; other quarantine rows get ``document_id``.
* JSON ``\\ud800``-style escapes can decode to lone surrogates, which Arrow cannot
  encode: a record whose text or id holds one is quarantined as
  ``input:invalid_unicode``; in url and metadata they are replaced by U+FFFD.
* JSON nested deeper than Python's parser goes is ``input:nesting_too_deep``. A
  Parquet row with a value Python cannot hold is ``input:invalid_utf8`` (a string
  that is not UTF-8) or ``input:unconvertible_value`` (e.g. a timestamp beyond
  ``datetime``); a Parquet file that cannot be opened is ``input:unreadable_file``.

Input expansion follows directory symlinks (never back into an ancestor, so a loop
is walked once), reads each real file once (by device and inode: the first path in
sorted order) and refuses, as a one-line error, an unreadable directory, a symlink
loop, an input file that cannot be stat'ed, is not a regular file or has a name that
is not UTF-8. ``check_output_outside_inputs`` refuses an output that a later run
would read as input.
"""

from __future__ import annotations

import errno
import fnmatch
import glob as globlib
import hashlib
import io
import itertools
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import zstandard

from winnow import worker
from winnow.errors import WinnowError
from winnow.frame import DOC_SCHEMA, INPUT_STAGE

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

    from winnow.config import InputConfig

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
EXCERPT_CHARS = 300
BATCH_ROWS = 2048
READ_BYTES = 1 << 20
ZSTD_READ_BYTES = 1 << 17  # zstd's recommended input size: bounds a read's output
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BOM = "\ufeff"
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: What converting an Arrow value to Python can raise (bad UTF-8, out-of-range dates).
CONVERT_ERRORS = (ValueError, OverflowError, pa.ArrowException)

@dataclass(frozen=True)
class InputFile:
    """One input file as listed on the driver (recorded in the manifest)."""

    path: str
    size: int
    mtime: float
    format: str


def file_format(path: str, configured: str = "auto") -> str | None:
    """``jsonl`` or ``parquet`` for a path, or None if it cannot be told."""
    if configured != "auto":
        return configured
    name = path.lower()
    for comp in COMPRESSIONS:
        if name.endswith(comp):
            name = name[: -len(comp)]
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _fs_for(path: str):
    """A pyarrow file system and path for a URI (``s3a://`` is spelled ``s3://``)."""
    from pyarrow import fs as pafs

    if "://" not in path:
        return pafs.LocalFileSystem(), os.path.abspath(path)
    uri = "s3://" + path[len("s3a://"):] if path.startswith("s3a://") else path
    return pafs.FileSystem.from_uri(uri)


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
            fmt = file_format(path, configured_format)
            if fmt is None:
                if raw == path:
                    raise WinnowError(
                        f"input {path}: cannot tell its format from the name; "
                        "set input.format (jsonl or parquet)"
                    )
                continue  # a directory may hold _SUCCESS, READMEs, checksums
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                raise WinnowError(f"input {raw}: file name is not UTF-8: {ascii(path)}") from None
            listed.append((path, size, mtime, key, fmt))
            usable += 1
        if usable == 0:
            raise WinnowError(f"input {raw}: no .jsonl[.gz|.zst] or .parquet files in it")
    seen: set[Any] = set()
    out: list[InputFile] = []
    for path, size, mtime, key, fmt in sorted(listed):
        if path in seen or key in seen:
            continue  # the same real file through another path (symlink, hard link)
        seen.update((path, key) if key else (path,))
        out.append(InputFile(path, size, mtime, fmt))
    return out


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
            st = _stat(path, raw, file_format(path, configured_format) is not None)
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
            st = _stat(p, raw, p == raw or file_format(p, configured_format) is not None)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                files = _walk(p, st, raw, configured_format)
            else:
                files = iter([(p, st)])
            for fp, fst in files:
                if not stat.S_ISREG(fst.st_mode):
                    if file_format(fp, configured_format) is None:
                        continue
                    raise WinnowError(f"input {raw}: not a regular file: {fp}")
                out.append((os.path.abspath(fp), fst.st_size, fst.st_mtime, _key(fst)))
        return out
    fs, base = _fs_for(raw)
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


def document_id(source: str, position: int) -> str:
    """Deterministic id of a record without a mapped id: hash of file and position."""
    return hashlib.blake2b(f"{source}\n{position}".encode(), digest_size=12).hexdigest()


def _open_binary(path: str, seekable: bool = False) -> io.BufferedIOBase:
    """A local file or a URI's stream (``seekable``: a random-access file, for Parquet)."""
    if "://" in path:
        fs, p = _fs_for(path)
        return fs.open_input_file(p) if seekable else fs.open_input_stream(p)
    return open(path, "rb")


class _Truncated(Exception):
    """A compressed stream ended inside a gzip member or a zstd frame."""


class _Corrupt(Exception):
    """Compressed data that its codec cannot decode (bad data, checksum, trailing garbage)."""


def _is_zstd(head: bytes) -> bool:
    """Zstd frame magic, or a skippable frame (``5? 2a 4d 18``, e.g. pzstd's first frame)."""
    return head.startswith(ZSTD_MAGIC) or (
        len(head) >= 4 and (head[0] & 0xF0) == 0x50 and head[1:4] == b"\x2a\x4d\x18"
    )


def _decoded(raw: io.BufferedIOBase, path: str) -> Iterator[bytes]:
    """The file's bytes, decompressed if its magic bytes say gzip or zstd (not its name)."""
    head = raw.read(len(ZSTD_MAGIC))
    if head.startswith(GZIP_MAGIC):
        yield from _inflate(head, raw, READ_BYTES, lambda: zlib.decompressobj(31), gzip=True)
    elif _is_zstd(head):
        yield from _inflate(
            head, raw, ZSTD_READ_BYTES, zstandard.ZstdDecompressor().decompressobj, gzip=False
        )
    elif (
        0 < len(head) < len(ZSTD_MAGIC)
        and path.lower().endswith(tuple(COMPRESSIONS))
        and (GZIP_MAGIC.startswith(head) or ZSTD_MAGIC.startswith(head))
    ):
        raise _Truncated(f"{len(head)} byte(s) of a compression magic number")
    else:
        yield head
        yield from iter(lambda: raw.read(READ_BYTES), b"")


def _inflate(
    head: bytes, raw: io.BufferedIOBase, read_bytes: int, new: Callable[[], Any], gzip: bool
) -> Iterator[bytes]:
    """Decompress gzip members or zstd frames one after another, at most about
    ``READ_BYTES`` out per step; one unfinished at the end raises ``_Truncated`` (a
    decoder alone takes a cut stream for a finished one)."""
    decoder = None
    for data in itertools.chain([head], iter(lambda: raw.read(read_bytes), b"")):
        while data:
            if decoder is None:
                data = data.lstrip(b"\0") if gzip else data  # gzip allows zero padding
                if not data:
                    break
                decoder = new()
            try:
                # zlib stops at max_length; zstd takes all of (smaller) reads at once.
                out = decoder.decompress(data, READ_BYTES) if gzip else decoder.decompress(data)
            except (zlib.error, zstandard.ZstdError) as exc:
                raise _Corrupt(f"{type(exc).__name__}: {exc}") from None
            if out:
                yield out
            if decoder.eof:
                data, decoder = decoder.unused_data, None
            else:
                data = decoder.unconsumed_tail
    if decoder is not None:
        raise _Truncated("gzip member unfinished" if gzip else "zstd frame unfinished")


class _Rows:
    """Accumulates output rows column-wise and emits Arrow batches."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {f.name: [] for f in DOC_SCHEMA}
        self.total = 0

    def add(self, **row: Any) -> None:
        for name, values in self.cols.items():
            values.append(row.get(name))

    def __len__(self) -> int:
        return len(self.cols["id"])

    def flush(self) -> pa.RecordBatch:
        self.total += len(self)
        batch = pa.RecordBatch.from_pydict(self.cols, schema=DOC_SCHEMA)
        self.cols = {f.name: [] for f in DOC_SCHEMA}
        return batch


def _quarantine(
    rows: _Rows, source: str, position: int, reason: str, raw: Any, rid: str | None = None
) -> None:
    """Add one quarantine row; its id is the record's own (``rid``) if usable, else a hash."""
    excerpt = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    rows.add(
        id=rid if rid is not None else document_id(source, position),
        source=source,
        position=position,
        reason=reason,
        stage=INPUT_STAGE,
        raw_excerpt=LONE_SURROGATE.sub("\ufffd", excerpt[:EXCERPT_CHARS].rstrip("\r")),
        input_chars=0,
    )


def _document(
    rows: _Rows,
    record: Any,
    source: str,
    position: int,
    fields: dict[str, str],
    raw: Any,
    suspect: bool = False,
) -> None:
    """Validate one parsed record and add it as a document or a quarantine row.

    ``suspect``: the raw line has ``\\ud``-style escapes, so strings may hold lone
    surrogates (checked only then: the common line pays nothing).
    """
    if not isinstance(record, dict):
        _quarantine(rows, source, position, "input:not_an_object", raw)
        return
    rid = record.get(fields["id"])
    doc_id = str(rid) if rid not in (None, "") else None
    bad_id = suspect and doc_id is not None and LONE_SURROGATE.search(doc_id) is not None
    if bad_id:
        doc_id = None
    text = record.get(fields["text"])
    if text is None:
        _quarantine(rows, source, position, "input:missing_text", raw, doc_id)
        return
    if not isinstance(text, str):
        _quarantine(rows, source, position, "input:text_not_string", raw, doc_id)
        return
    if bad_id or (suspect and LONE_SURROGATE.search(text)):
        _quarantine(rows, source, position, "input:invalid_unicode", raw, doc_id)
        return
    if not text or text.isspace():
        _quarantine(rows, source, position, "input:empty_text", raw, doc_id)
        return
    url = record.get(fields["url"])
    mapped = (fields["text"], fields["id"], fields["url"])
    meta = {k: v for k, v in record.items() if k not in mapped}
    try:
        metadata = (
            json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str) if meta else None
        )
    except RecursionError:
        _quarantine(rows, source, position, "input:nesting_too_deep", raw, doc_id)
        return
    url = url if isinstance(url, str) else (None if url is None else str(url))
    if suspect:
        url = url and LONE_SURROGATE.sub("\ufffd", url)
        metadata = metadata and LONE_SURROGATE.sub("\ufffd", metadata)
    rows.add(
        id=doc_id if doc_id is not None else document_id(source, position),
        text=text,
        url=url,
        source=source,
        position=position,
        metadata=metadata,
        input_chars=len(text),
    )


def _line(rows: _Rows, line: bytes, path: str, line_no: int, fields: dict[str, str]) -> None:
    """Parse one non-empty line into a document or a quarantine row (blank lines: nothing)."""
    try:
        text_line = line.decode("utf-8")
    except UnicodeDecodeError:
        _quarantine(rows, path, line_no, "input:invalid_utf8", line.decode("utf-8", "replace"))
        return
    try:
        record = json.loads(text_line)
    except ValueError:
        if text_line.startswith(BOM):
            _line(rows, line[3:], path, line_no, fields)
        elif text_line.strip():
            _quarantine(rows, path, line_no, "input:malformed_json", text_line)
        return
    except RecursionError:
        _quarantine(rows, path, line_no, "input:nesting_too_deep", text_line)
        return
    _document(rows, record, path, line_no, fields, text_line, b"\\ud" in line or b"\\uD" in line)


def read_jsonl(path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
    """Parse one JSON-lines file (plain, gzip or zstd) into one row per record."""
    rows = _Rows()
    line_no = 0
    try:
        with _open_binary(path) as raw:
            pending: list[bytes] = []  # the unfinished line, in pieces (a line may be huge)
            for chunk in _decoded(raw, path):
                lines = chunk.split(b"\n")
                if len(lines) == 1:
                    pending.append(chunk)
                    continue
                if pending:
                    pending.append(lines[0])
                    lines[0] = b"".join(pending)
                pending = [lines.pop()]
                for line in lines:
                    line_no += 1
                    if line:
                        _line(rows, line, path, line_no, fields)
                        if len(rows) >= BATCH_ROWS:
                            yield rows.flush()
            last = b"".join(pending)
            if last:
                line_no += 1
                _line(rows, last, path, line_no, fields)
    except _Truncated as exc:
        _quarantine(rows, path, line_no + 1, "input:truncated_file", str(exc))
    except _Corrupt as exc:
        _quarantine(rows, path, line_no + 1, "input:corrupt_file", str(exc))
    except OSError as exc:
        _quarantine(rows, path, line_no + 1, "input:unreadable_file",
                    f"{type(exc).__name__}: {exc}")
    if not rows.total and not len(rows):
        _quarantine(rows, path, 0, "input:empty_file", "")
    if len(rows):
        yield rows.flush()


def _row_records(batch: pa.RecordBatch) -> list[dict[str, Any] | None]:
    """A Parquet batch as Python records; None for a row that cannot be converted."""
    try:
        return batch.to_pylist()
    except CONVERT_ERRORS:
        out: list[dict[str, Any] | None] = []
        for i in range(batch.num_rows):
            try:
                out.extend(batch.slice(i, 1).to_pylist())
            except CONVERT_ERRORS:
                out.append(None)
        return out


def read_parquet(path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
    """Read one Parquet file batch by batch; position is the row index in the file."""
    import pyarrow.parquet as pq

    rows = _Rows()
    position = 0
    try:
        with _open_binary(path, seekable=True) as raw:
            pf = pq.ParquetFile(raw)
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                for i, record in enumerate(_row_records(batch)):
                    if record is None:
                        _unconvertible(rows, batch.slice(i, 1), path, position, fields)
                    else:
                        _document(rows, record, path, position, fields, record)
                    position += 1
                yield rows.flush()
    except (pa.ArrowException, OSError) as exc:
        _quarantine(rows, path, position, "input:unreadable_file", f"{type(exc).__name__}: {exc}")
    if not rows.total and not len(rows):
        _quarantine(rows, path, 0, "input:empty_file", "")
    if len(rows):
        yield rows.flush()


def _unconvertible(
    rows: _Rows, row: pa.RecordBatch, path: str, position: int, fields: dict[str, str]
) -> None:
    """Quarantine a Parquet row holding a value Python cannot represent (invalid UTF-8, a
    timestamp beyond ``datetime``), naming its columns; it keeps its id if that converts."""
    values: dict[str, Any] = {}
    failed: list[str] = []
    reason = "input:unconvertible_value"
    for name, column in zip(row.schema.names, row.columns, strict=True):
        try:
            values[name] = column[0].as_py()
        except CONVERT_ERRORS as exc:
            failed.append(f"column {name}: {type(exc).__name__}: {exc}")
            if isinstance(exc, UnicodeDecodeError):
                reason = "input:invalid_utf8"
    rid = values.get(fields["id"])
    _quarantine(rows, path, position, reason, "; ".join(failed),
                str(rid) if rid not in (None, "") else None)


READERS = {"jsonl": read_jsonl, "parquet": read_parquet}


def read_documents(
    spark: SparkSession, files: list[InputFile], input_cfg: InputConfig, partitions: int,
    tally: Accumulator | None = None,
) -> DataFrame:
    """One row per input record (documents and quarantine rows), ``partitions`` wide.

    ``tally`` (``winnow.conservation.record_tally``) receives each file's record
    count once the file is read to its end: the source side of the conservation check.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    listing = [(f.path, f.format) for f in files]
    fields = dict(input_cfg.fields)

    def read_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        worker.tune()
        for b in batches:
            for i in b.column(0).to_pylist():
                path, fmt = listing[i]
                records = 0
                for batch in READERS[fmt](path, fields):
                    records += batch.num_rows
                    yield batch
                if tally is not None:
                    tally.add({i: records})

    df = spark.range(0, len(files), 1, len(files)).mapInArrow(
        read_files, from_arrow_schema(DOC_SCHEMA)
    )
    if partitions and len(files) < partitions:
        df = df.repartition(partitions, "id")
    return df

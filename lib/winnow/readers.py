"""Input: expand paths on the driver, parse files on executors into documents.

Each input file is read by one task (gzip and zstd streams cannot be split), with
Python's JSON parser so that every bad record becomes a quarantine row naming its
file and line instead of failing the job or vanishing. Documents get a
deterministic ``id``: the mapped input id, else a hash of source file and position.
"""

from __future__ import annotations

import glob as globlib
import gzip
import hashlib
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from winnow import worker
from winnow.errors import WinnowError

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

    from winnow.config import InputConfig

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
EXCERPT_CHARS = 300
BATCH_ROWS = 2048

#: Columns every reader emits; stages add theirs after these.
DOC_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string()),
        pa.field("text", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("position", pa.int64()),
        pa.field("metadata", pa.string()),
        pa.field("input_chars", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("stage", pa.string()),
        pa.field("duplicate_of", pa.string()),
        pa.field("raw_excerpt", pa.string()),
    ]
)


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


def expand_inputs(paths: list[str], configured_format: str = "auto") -> list[InputFile]:
    """Expand files, directories and globs; a missing path is a one-line error."""
    if not paths:
        raise WinnowError("no --input given")
    found: dict[str, InputFile] = {}
    for raw in paths:
        matches = _expand_one(raw)
        if not matches:
            raise WinnowError(f"input not found: {raw}")
        usable = 0
        for path, size, mtime in matches:
            fmt = file_format(path, configured_format)
            if fmt is None:
                if raw == path:
                    raise WinnowError(
                        f"input {path}: cannot tell its format from the name; "
                        "set input.format (jsonl or parquet)"
                    )
                continue  # a directory may hold _SUCCESS, READMEs, checksums
            found[path] = InputFile(path, size, mtime, fmt)
            usable += 1
        if usable == 0:
            raise WinnowError(f"input {raw}: no .jsonl[.gz|.zst] or .parquet files in it")
    return [found[k] for k in sorted(found)]


def _expand_one(raw: str) -> list[tuple[str, int, float]]:
    from pyarrow import fs as pafs

    if "://" not in raw:
        paths = sorted(globlib.glob(raw, recursive=True)) if globlib.has_magic(raw) else [raw]
        out = []
        for p in paths:
            if os.path.isdir(p):
                for root, dirs, files in os.walk(p):
                    dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
                    for f in sorted(files):
                        if not f.startswith((".", "_")):
                            fp = os.path.abspath(os.path.join(root, f))
                            st = os.stat(fp)
                            out.append((fp, st.st_size, st.st_mtime))
            elif os.path.isfile(p):
                st = os.stat(p)
                out.append((os.path.abspath(p), st.st_size, st.st_mtime))
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
        (root + i.path[len(base):], i.size or 0, i.mtime.timestamp() if i.mtime else 0.0)
        for i in infos
        if i.type == pafs.FileType.File and not i.base_name.startswith((".", "_"))
    ]


def document_id(source: str, position: int) -> str:
    """Deterministic id of a record without a mapped id: hash of file and position."""
    return hashlib.blake2b(f"{source}\n{position}".encode(), digest_size=12).hexdigest()


def _open_binary(path: str) -> io.BufferedIOBase:
    if "://" in path:
        fs, p = _fs_for(path)
        return fs.open_input_stream(p)
    return open(path, "rb")


def _decompress(raw: io.BufferedIOBase, path: str) -> io.BufferedIOBase:
    name = path.lower()
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)
    if name.endswith((".zst", ".zstd")):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return io.BufferedReader(reader, buffer_size=1 << 20)
    return raw


class _Rows:
    """Accumulates output rows column-wise and emits Arrow batches."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {f.name: [] for f in DOC_SCHEMA}

    def add(self, **row: Any) -> None:
        for name, values in self.cols.items():
            values.append(row.get(name))

    def __len__(self) -> int:
        return len(self.cols["id"])

    def flush(self) -> pa.RecordBatch:
        batch = pa.RecordBatch.from_pydict(self.cols, schema=DOC_SCHEMA)
        self.cols = {f.name: [] for f in DOC_SCHEMA}
        return batch


def _quarantine(rows: _Rows, source: str, position: int, reason: str, raw: Any) -> None:
    excerpt = raw if isinstance(raw, str) else repr(raw)
    rows.add(
        id=document_id(source, position),
        source=source,
        position=position,
        reason=reason,
        stage="input",
        raw_excerpt=excerpt[:EXCERPT_CHARS],
        input_chars=0,
    )


def _document(
    rows: _Rows, record: Any, source: str, position: int, fields: dict[str, str], raw: Any
) -> None:
    """Validate one parsed record and add it as a document or a quarantine row."""
    if not isinstance(record, dict):
        _quarantine(rows, source, position, "input:not_an_object", raw)
        return
    text = record.get(fields["text"])
    if text is None:
        _quarantine(rows, source, position, "input:missing_text", raw)
        return
    if not isinstance(text, str):
        _quarantine(rows, source, position, "input:text_not_string", raw)
        return
    if not text.strip():
        _quarantine(rows, source, position, "input:empty_text", raw)
        return
    rid = record.get(fields["id"])
    url = record.get(fields["url"])
    mapped = (fields["text"], fields["id"], fields["url"])
    meta = {k: v for k, v in record.items() if k not in mapped}
    rows.add(
        id=str(rid) if rid not in (None, "") else document_id(source, position),
        text=text,
        url=url if isinstance(url, str) else (None if url is None else str(url)),
        source=source,
        position=position,
        metadata=json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str)
        if meta
        else None,
        input_chars=len(text),
    )


def read_jsonl(path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
    """Parse one JSON-lines file; bad lines and a truncated stream are quarantined."""
    rows = _Rows()
    line_no = 0
    try:
        with _open_binary(path) as raw, _decompress(raw, path) as stream:
            for line_no, line in enumerate(stream, start=1):  # noqa: B007
                if not line.strip():
                    continue
                line = line.rstrip(b"\r\n")
                try:
                    text_line = line.decode("utf-8")
                except UnicodeDecodeError:
                    _quarantine(rows, path, line_no, "input:invalid_utf8",
                                line.decode("utf-8", "replace"))
                else:
                    try:
                        record = json.loads(text_line)
                    except ValueError:
                        _quarantine(rows, path, line_no, "input:malformed_json", text_line)
                    else:
                        _document(rows, record, path, line_no, fields, text_line)
                if len(rows) >= BATCH_ROWS:
                    yield rows.flush()
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        # zstandard raises ZstdError (an Exception subclass) — caught below.
        _quarantine(rows, path, line_no + 1, "input:truncated_file", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - decoder errors of any codec
        if type(exc).__name__ != "ZstdError":
            raise
        _quarantine(rows, path, line_no + 1, "input:truncated_file", f"ZstdError: {exc}")
    if len(rows):
        yield rows.flush()


def read_parquet(path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
    """Read one Parquet file batch by batch; position is the row index in the file."""
    import pyarrow.parquet as pq

    rows = _Rows()
    position = 0
    try:
        with _open_binary(path) as raw:
            pf = pq.ParquetFile(raw)
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                for record in batch.to_pylist():
                    _document(rows, record, path, position, fields, json.dumps(record, default=str))
                    position += 1
                yield rows.flush()
    except (pa.ArrowInvalid, OSError) as exc:
        _quarantine(rows, path, position, "input:unreadable_file", f"{type(exc).__name__}: {exc}")
        yield rows.flush()


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

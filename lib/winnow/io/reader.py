"""The reader contract: one input format per module, registered by name.

A reader turns one input file into batches of ``frame.DOC_SCHEMA`` rows, and the job
counts the rows it yields per file as that file's records (the source side of the
conservation check), so a reader

* yields exactly one row per input record: a document (``rows.document``), or a
  quarantine row (``rows.quarantine``, ``stage="input"``) with the reason that is true;
* gives a file with no record at all one ``input:empty_file`` row (``Rows.finish``);
* on a failing read keeps the records read before it, then adds one row
  (``input:unreadable_file``; ``input:truncated_file`` or ``input:corrupt_file`` for a
  compressed stream), so no listed file vanishes from the accounting;
* opens its file with ``open_binary`` (local paths and URIs alike).

A reader may add columns after ``DOC_SCHEMA`` (``columns``: WARC's ``warc_date``,
``content_type``, ``http_status``, ``offset``); rows of other formats get nulls there.
A reader whose files can be cut into byte ranges (``split``: a ``.warc.gz`` at gzip
member boundaries) reads each range as its own task with ``read_range``: every record
belongs to exactly one range (the one its first byte lies in), only the range at
byte 0 adds the ``input:empty_file`` row, and the job sums the ranges' rows into the
file's record count (``winnow.io.source``). A reader that skips records which are
not documents (WARC ``request``, ``metadata``, ``warcinfo``) counts them per type
(``counts_others``, the ``others`` argument of ``read_range``); the job reports them in
its statistics, outside the conservation check.

``input.format: auto`` resolves a file from its name (``format_for``): a compression
suffix (``.gz``, ``.zst``, ``.zstd``) is cut, then the longest registered suffix the
rest ends with names the format. A file no reader claims is skipped in a directory
and an error when named itself.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from winnow.io.compression import COMPRESSIONS

if TYPE_CHECKING:
    import pyarrow as pa

#: The ``input.format`` value that resolves each file from its name.
AUTO = "auto"


class Reader:
    """One input format: ``read`` turns a file into document and quarantine rows."""

    #: The ``input.format`` value naming this format.
    name: ClassVar[str]
    #: Lower-case name endings ``auto`` reads as this format (after a compression suffix).
    suffixes: ClassVar[tuple[str, ...]]
    #: How error messages name its files; None: its first suffix.
    shown: ClassVar[str | None] = None

    #: Columns this format adds after ``DOC_SCHEMA`` (null in other formats' rows).
    columns: ClassVar[tuple[pa.Field, ...]] = ()
    #: Whether ``read_range`` takes ``others``, a dict it fills with the file's records
    #: that are not documents, per record type (WARC ``request``, ``warcinfo``, …).
    counts_others: ClassVar[bool] = False

    def read(self, path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
        """``DOC_SCHEMA`` batches for one file; ``fields`` maps the text, id and url roles."""
        raise NotImplementedError

    def split(self, path: str, size: int, split_bytes: int) -> list[tuple[int, int]]:
        """Byte ranges ``[start, end)`` read as separate tasks; one range: not splittable."""
        return [(0, size)]

    def read_range(self, path: str, fields: dict[str, str], start: int, end: int,
                   others: dict[str, int] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows of the records whose first byte lies in ``[start, end)``; ``others``
        (``counts_others`` readers): their non-document records per type, counted."""
        if start != 0:
            raise NotImplementedError(f"{self.name} files cannot be split")
        return self.read(path, fields)


#: Registered readers by format name.
REGISTRY: dict[str, Reader] = {}
R = TypeVar("R", bound=type[Reader])


def register(cls: R) -> R:
    """Class decorator adding a reader to the registry under ``cls.name``."""
    if cls.name == AUTO:
        raise ValueError(f"input format {AUTO!r} is reserved")
    if cls.name in REGISTRY and type(REGISTRY[cls.name]) is not cls:
        raise ValueError(f"input format {cls.name!r} registered twice")
    for other in REGISTRY.values():
        taken = set(other.suffixes) & set(cls.suffixes)
        if taken and other.name != cls.name:
            raise ValueError(f"suffix {sorted(taken)[0]!r} claimed by {other.name!r} too")
    REGISTRY[cls.name] = cls()
    return cls


def input_formats() -> tuple[str, ...]:
    """The values ``input.format`` accepts: ``auto`` and every registered format."""
    return (AUTO, *sorted(REGISTRY))


def format_for(path: str, configured: str = AUTO) -> str | None:
    """A path's format: ``configured`` unless ``auto``, else the one its name ends with."""
    if configured != AUTO:
        return configured
    name = path.lower()
    for comp in COMPRESSIONS:
        if name.endswith(comp):
            name = name[: -len(comp)]
    claims = [(len(s), r.name) for r in REGISTRY.values() for s in r.suffixes if name.endswith(s)]
    return max(claims)[1] if claims else None


def fs_for(path: str) -> tuple[Any, str]:
    """A pyarrow file system and path for a URI (``s3a://`` is spelled ``s3://``)."""
    from pyarrow import fs as pafs

    if "://" not in path:
        return pafs.LocalFileSystem(), os.path.abspath(path)
    uri = "s3://" + path[len("s3a://"):] if path.startswith("s3a://") else path
    return pafs.FileSystem.from_uri(uri)


def open_binary(path: str, seekable: bool = False, buffer: int = 0) -> io.BufferedIOBase:
    """A local file or a URI's stream (``seekable``: a random-access file, for Parquet).

    ``buffer``: for a random-access URI, read at least this many bytes from the store
    at a time. Every read of pyarrow's S3 file is one ranged GET, so a reader that
    asks for a few KiB at a time (FastWARC) would make one request per few KiB."""
    if "://" in path:
        fs, p = fs_for(path)
        if not seekable:
            return fs.open_input_stream(p)
        f = fs.open_input_file(p)
        return io.BufferedReader(_RandomAccess(f), buffer) if buffer > 0 else f
    return open(path, "rb")


class _RandomAccess(io.RawIOBase):
    """A pyarrow random-access file as the raw stream under an ``io.BufferedReader``."""

    def __init__(self, f: Any) -> None:
        self._f = f

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._f.read(len(b))
        b[: len(data)] = data
        return len(data)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()

"""WARC and WET files (``.warc[.gz]``, ``.wet[.gz]``), parsed with FastWARC, streaming.

``input.format: warc``: every ``response`` record is one row; ``request``,
``metadata``, ``warcinfo`` and other record types are not documents and give no row;
they are counted per WARC-Type (``others``, reported through the conservation tally:
``winnow.conservation.non_document_records``).
A row's ``id`` is the WARC-Record-ID (as written, ``<urn:uuid:…>``), ``url`` the
WARC-Target-URI (WARC 1.1's ``<…>`` brackets removed), ``warc_date`` the WARC-Date,
``content_type`` the HTTP Content-Type's media type (lower case, no parameters),
``http_status`` the HTTP status code and ``offset`` (also ``position``) the byte
offset of the record in the file (of its gzip member in a ``.warc.gz``).

The text of a response is its HTTP payload (transfer and content encodings undone),
decoded from the HTTP charset or, without one, from resiliparse's encoding detection:
raw HTML, which the ``extract`` stage turns into text (``winnow.stages.extract``,
design in docs/warc.md). Payloads that are not text (``content_type`` not ``text/*``,
not ``*html*``/``*xml*``) are not decoded: their text is empty and ``extract`` removes
them as ``extract:content_type``.

``input.format: wet``: every ``conversion`` record (Common Crawl's own text
extraction) is a document with its URL and date; its payload is the text.

Bad input keeps the records before it: a record whose block is shorter than its
Content-Length is ``input:truncated_file`` when the stream ends there (a file cut off
mid-record) and ``input:truncated_record`` otherwise; data FastWARC cannot decompress
or parse is ``input:corrupt_file`` at the offset of the record being read, after which
reading resumes at the next gzip member that starts a WARC record.

A ``.warc.gz`` (or ``.wet.gz``) larger than the split size is read in byte ranges:
a range starts at the first gzip member at or after its start that decompresses to
``WARC/``, and owns the records whose member starts before its end.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from winnow.io.reader import Reader, open_binary, register
from winnow.io.rows import BATCH_ROWS, Rows, document_id, quarantine

#: Columns WARC and WET rows add after ``DOC_SCHEMA``.
WARC_COLUMNS = (
    pa.field("warc_date", pa.string()),
    pa.field("content_type", pa.string()),
    pa.field("http_status", pa.int32()),
    pa.field("offset", pa.int64()),
)
GZIP_MEMBER = b"\x1f\x8b\x08"
SCAN_BYTES = 1 << 20
#: Bytes per request when FastWARC reads a record stream from object storage (it
#: reads 64 KiB pieces; 8 MiB ranged GETs are in the size range S3's guidance gives).
URI_READ_BYTES = 8 << 20
HEAD_BYTES = 4096
#: Media types whose payload is decoded into ``text`` (others are not documents).
TEXT_LIKE = ("text/", "html", "xml")


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    return value if value else None


def _url(headers: Any) -> str | None:
    url = _header(headers, "WARC-Target-URI")
    if url and url.startswith("<") and url.endswith(">"):
        url = url[1:-1]  # WARC 1.1 (browsertrix) writes the URI in angle brackets
    return url


def _media_type(value: str | None) -> str | None:
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def decode_payload(body: bytes, charset: str | None) -> str:
    """Payload bytes as text: the declared charset if Python knows it, else detected."""
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    if charset:
        try:
            return bytes_to_str(body, charset)
        except LookupError:
            pass
    return bytes_to_str(body, detect_encoding(body))


def is_member_start(data: bytes) -> bool:
    """Whether ``data`` begins a gzip member that decompresses to a WARC record."""
    if not data.startswith(GZIP_MEMBER):
        return False
    try:
        head = zlib.decompressobj(31).decompress(data[:HEAD_BYTES], 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


def next_member(path: str, start: int, end: int | None = None) -> int | None:
    """The offset of the first gzip member at or after ``start`` (before ``end``) that
    begins a WARC record; None if there is none."""
    with open_binary(path, seekable=True) as f:
        f.seek(start)
        base, data = start, b""
        while end is None or base < end:
            chunk = f.read(SCAN_BYTES)
            data += chunk
            at = data.find(GZIP_MEMBER)
            while at != -1:
                if end is not None and base + at >= end:
                    return None
                if len(data) - at < HEAD_BYTES and chunk:
                    break  # validate it with the bytes of the next read
                if is_member_start(data[at:]):
                    return base + at
                at = data.find(GZIP_MEMBER, at + 1)
            if not chunk:
                return None
            cut = at if at != -1 else max(0, len(data) - len(GZIP_MEMBER) + 1)
            base, data = base + cut, data[cut:]
    return None


class _WarcFormat(Reader):
    """Shared reading of WARC-framed files; ``record_type`` picks the document records."""

    columns = WARC_COLUMNS
    record_type = "response"
    counts_others = True

    def read(self, path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
        return self.read_range(path, fields, 0, -1)

    def split(self, path: str, size: int, split_bytes: int) -> list[tuple[int, int]]:
        """Equal byte ranges of a gzip-compressed file (plain WARC is one range)."""
        # Random access: pyarrow's input stream of a URI undoes a .gz on the fly.
        with open_binary(path, seekable=True) as f:
            head = f.read(3)
        if head != GZIP_MEMBER or split_bytes <= 0:
            return [(0, size)]
        cuts = list(range(0, size, split_bytes))
        return [(s, min(s + split_bytes, size)) for s in cuts]

    def read_range(self, path: str, fields: dict[str, str], start: int, end: int,
                   others: dict[str, int] | None = None) -> Iterator[pa.RecordBatch]:
        """Rows of the records whose first byte lies in ``[start, end)`` (``end`` -1: all).

        ``others``: receives the number of non-document records of the range per
        record type (the WARC-Type header, lower case: ``request``, ``warcinfo``, …)."""
        rows = Rows(self.columns)
        others = {} if others is None else others
        pos = next_member(path, start, end) if start > 0 else start
        resumed = False
        while pos is not None:
            pos = yield from self._read_from(rows, path, pos, end, resumed, others)
            resumed = True
        yield from rows.finish(path, whole=start == 0)

    def _read_from(self, rows: Rows, path: str, begin: int, end: int, resumed: bool,
                   others: dict[str, int]) -> Iterator[pa.RecordBatch]:
        """Read records from ``begin``; returns where to resume after corrupt data (None:
        the range is done). ``resumed``: ``begin`` follows corrupt data already reported."""
        from fastwarc.warc import ArchiveIterator

        offset = begin
        base: int | None = None  # added to ``stream_pos``: 0 if FastWARC counts from 0
        started = done = False  # a record at ``offset`` was begun / fully read
        pending: tuple[int, str] | None = None  # a short record: truncated, file or record?
        try:
            # Random access even from byte 0: FastWARC calls tell() on its stream, which
            # a URI's (s3a://) sequential input stream does not support.
            with open_binary(path, seekable=True, buffer=URI_READ_BYTES) as f:
                if begin:
                    f.seek(begin)
                for record in ArchiveIterator(f, parse_http=False):
                    if base is None:  # the first record starts at ``begin``
                        base = begin - record.stream_pos if record.stream_pos < begin else 0
                    offset, started, done = base + record.stream_pos, True, False
                    if end >= 0 and offset >= end:
                        break
                    if pending is not None:
                        _quarantine(rows, path, *pending, "input:truncated_record")
                        pending = None
                    kind = str(record.record_type).rsplit(".", 1)[-1]
                    if kind != self.record_type:
                        record.reader.read()  # not a document: consumed, counted, no row
                        kind = (_header(record.headers, "WARC-Type") or kind).lower()
                        others[kind] = others.get(kind, 0) + 1
                        done = True
                        continue
                    block = record.reader.read()
                    rid = _header(record.headers, "WARC-Record-ID")
                    if len(block) < record.content_length:
                        pending = (offset, f"{rid}: {len(block)} of {record.content_length} "
                                           "bytes", rid)
                    else:
                        self._row(rows, record, block, path, offset, rid)
                    done = True
                    if len(rows) >= BATCH_ROWS:
                        yield rows.flush()
        except OSError as exc:
            if pending is not None:
                _quarantine(rows, path, *pending, "input:truncated_record")
            stop = end if end >= 0 else None
            where = offset
            if done:  # the bad data follows a finished record: at the next member, if any
                after = next_member(path, offset + 1, stop)
                where = after if after is not None else offset + 1
            if started or not resumed:
                _quarantine(rows, path, where, f"{type(exc).__name__}: {exc}", None,
                            "input:corrupt_file")
            return next_member(path, max(where, begin) + 1, stop)
        if pending is not None:
            _quarantine(rows, path, *pending, "input:truncated_file")
        return None

    def _row(self, rows: Rows, record: Any, block: bytes, path: str, offset: int,
             rid: str | None) -> None:
        raise NotImplementedError


def _quarantine(rows: Rows, path: str, offset: int, raw: str, rid: str | None,
                reason: str) -> None:
    """A quarantine row at byte ``offset`` (``position`` and ``offset``)."""
    quarantine(rows, path, offset, reason, raw, rid)
    rows.cols["offset"][-1] = offset


def _metadata(values: dict[str, Any]) -> str | None:
    meta = {k: v for k, v in values.items() if v is not None}
    return json.dumps(meta, ensure_ascii=False, sort_keys=True) if meta else None


@register
class WarcReader(_WarcFormat):
    """``input.format: warc``: one row per ``response`` record (HTML as ``text``)."""

    name = "warc"
    suffixes = (".warc",)
    shown = ".warc[.gz]"
    record_type = "response"

    def _row(self, rows: Rows, record: Any, block: bytes, path: str, offset: int,
             rid: str | None) -> None:
        headers = record.headers
        try:
            record.set_bytes_content(block)
            record.parse_http(auto_decode="all")
            payload = record.reader.read()
        except (OSError, ValueError) as exc:
            _quarantine(rows, path, offset, f"{rid}: {type(exc).__name__}: {exc}", rid,
                        "input:corrupt_record")
            return
        http = record.http_headers
        status = http.status_code if http is not None else None
        content_type = _media_type(record.http_content_type)
        text_like = content_type is None or any(t in content_type for t in TEXT_LIKE)
        text = decode_payload(payload, record.http_charset) if text_like else ""
        rows.add(
            id=rid or document_id(path, offset), text=text, url=_url(headers), source=path,
            position=offset, input_chars=len(text), warc_date=_header(headers, "WARC-Date"),
            content_type=content_type, http_status=status, offset=offset,
            metadata=_metadata({
                "payload_bytes": len(payload),
                "http_charset": record.http_charset,
                "identified_payload_type": _header(headers, "WARC-Identified-Payload-Type"),
            }),
        )


@register
class WetReader(_WarcFormat):
    """``input.format: wet``: one document per ``conversion`` record (no extraction)."""

    name = "wet"
    suffixes = (".wet",)
    shown = ".wet[.gz]"
    record_type = "conversion"

    def _row(self, rows: Rows, record: Any, block: bytes, path: str, offset: int,
             rid: str | None) -> None:
        headers = record.headers
        text = decode_payload(block, "utf-8")
        if not text.strip():
            _quarantine(rows, path, offset, rid or "", rid, "input:empty_text")
            return
        rows.add(
            id=rid or document_id(path, offset), text=text, url=_url(headers), source=path,
            position=offset, input_chars=len(text), warc_date=_header(headers, "WARC-Date"),
            content_type=_media_type(_header(headers, "Content-Type")), offset=offset,
            metadata=_metadata({"refers_to": _header(headers, "WARC-Refers-To")}),
        )

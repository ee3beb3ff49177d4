"""The rows every reader emits: documents and quarantine rows of ``frame.DOC_SCHEMA``.

Documents get a deterministic ``id``: the mapped input id as a string, else
``document_id`` (a hash of source file and position). A quarantined record with a
usable mapped id keeps it. Lone surrogates (from JSON ``\\ud800``-style escapes)
cannot be encoded by Arrow: in text or id they quarantine the record as
``input:invalid_unicode``; in url, metadata and excerpts they become U+FFFD.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from winnow.frame import DOC_SCHEMA, INPUT_STAGE

EXCERPT_CHARS = 300
BATCH_ROWS = 2048
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def document_id(source: str, position: int) -> str:
    """Deterministic id of a record without a mapped id: hash of file and position."""
    return hashlib.blake2b(f"{source}\n{position}".encode(), digest_size=12).hexdigest()


class Rows:
    """Accumulates output rows column-wise and emits Arrow batches."""

    def __init__(self, columns: Sequence[pa.Field] = ()) -> None:
        """``columns``: a format's own columns after ``DOC_SCHEMA`` (``Reader.columns``)."""
        self.schema = pa.schema([*DOC_SCHEMA, *columns]) if columns else DOC_SCHEMA
        self.cols: dict[str, list[Any]] = {f.name: [] for f in self.schema}
        self.total = 0

    def add(self, **row: Any) -> None:
        """Append one row; columns it does not name are null."""
        for name, values in self.cols.items():
            values.append(row.get(name))

    def __len__(self) -> int:
        return len(self.cols["id"])

    def flush(self) -> pa.RecordBatch:
        """The rows added since the last flush, as one batch."""
        self.total += len(self)
        batch = pa.RecordBatch.from_pydict(self.cols, schema=self.schema)
        self.cols = {f.name: [] for f in self.schema}
        return batch

    def finish(self, source: str, whole: bool = True) -> Iterator[pa.RecordBatch]:
        """The last batch of a file; one that gave no row at all gets ``input:empty_file``.

        ``whole``: False for a byte range after the first of a split file (an empty
        range is no empty file).
        """
        if whole and not self.total and not len(self):
            quarantine(self, source, 0, "input:empty_file", "")
        if len(self):
            yield self.flush()


def quarantine(
    rows: Rows, source: str, position: int, reason: str, raw: Any, rid: str | None = None
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


def document(
    rows: Rows,
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
        quarantine(rows, source, position, "input:not_an_object", raw)
        return
    rid = record.get(fields["id"])
    doc_id = str(rid) if rid not in (None, "") else None
    bad_id = suspect and doc_id is not None and LONE_SURROGATE.search(doc_id) is not None
    if bad_id:
        doc_id = None
    text = record.get(fields["text"])
    if text is None:
        quarantine(rows, source, position, "input:missing_text", raw, doc_id)
        return
    if not isinstance(text, str):
        quarantine(rows, source, position, "input:text_not_string", raw, doc_id)
        return
    if bad_id or (suspect and LONE_SURROGATE.search(text)):
        quarantine(rows, source, position, "input:invalid_unicode", raw, doc_id)
        return
    if not text or text.isspace():
        quarantine(rows, source, position, "input:empty_text", raw, doc_id)
        return
    url = record.get(fields["url"])
    mapped = (fields["text"], fields["id"], fields["url"])
    meta = {k: v for k, v in record.items() if k not in mapped}
    try:
        metadata = (
            json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str) if meta else None
        )
    except RecursionError:
        quarantine(rows, source, position, "input:nesting_too_deep", raw, doc_id)
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

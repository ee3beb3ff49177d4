"""JSON lines (plain, gzip or zstd), parsed line by line with Python's JSON parser.

Every bad line becomes a quarantine row naming its file and line instead of failing
the job or vanishing: ``input:invalid_utf8``, ``input:malformed_json``,
``input:nesting_too_deep`` (deeper than Python's parser goes), and the record checks
of ``rows.document``. Blank lines are not records; a UTF-8 byte-order mark at the
start of a line is ignored. Compression is told by the magic bytes, not the name
(plain JSONL named ``.gz`` reads as plain JSONL); a stream that ends early gives the
records before the cut, then one ``input:truncated_file`` row (the partial last line
belongs to it); undecodable data gives ``input:corrupt_file``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa

from winnow.io.compression import Corrupt, Truncated, decoded
from winnow.io.fields import lift, nested_roles
from winnow.io.reader import Reader, open_binary, register
from winnow.io.rows import BATCH_ROWS, Rows, document, quarantine

JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
BOM = "\ufeff"


def _line(rows: Rows, line: bytes, path: str, line_no: int, fields: dict[str, str]) -> None:
    """Parse one non-empty line into a document or a quarantine row (blank lines: nothing)."""
    try:
        text_line = line.decode("utf-8")
    except UnicodeDecodeError:
        quarantine(rows, path, line_no, "input:invalid_utf8", line.decode("utf-8", "replace"))
        return
    try:
        record = json.loads(text_line)
    except ValueError:
        if text_line.startswith(BOM):
            _line(rows, line[3:], path, line_no, fields)
        elif text_line.strip():
            quarantine(rows, path, line_no, "input:malformed_json", text_line)
        return
    except RecursionError:
        quarantine(rows, path, line_no, "input:nesting_too_deep", text_line)
        return
    document(rows, lift(record, nested_roles(fields)), path, line_no, fields, text_line,
             b"\\ud" in line or b"\\uD" in line)


def read_jsonl(path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
    """Parse one JSON-lines file (plain, gzip or zstd) into one row per record."""
    rows = Rows()
    line_no = 0
    try:
        with open_binary(path) as raw:
            pending: list[bytes] = []  # the unfinished line, in pieces (a line may be huge)
            for chunk in decoded(raw, path):
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
    except Truncated as exc:
        quarantine(rows, path, line_no + 1, "input:truncated_file", str(exc))
    except Corrupt as exc:
        quarantine(rows, path, line_no + 1, "input:corrupt_file", str(exc))
    except OSError as exc:
        quarantine(rows, path, line_no + 1, "input:unreadable_file",
                   f"{type(exc).__name__}: {exc}")
    yield from rows.finish(path)


@register
class JsonlReader(Reader):
    """``input.format: jsonl``: one JSON object per line."""

    name = "jsonl"
    suffixes = JSONL_SUFFIXES
    shown = ".jsonl[.gz|.zst]"

    def read(self, path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
        """One row per non-blank line."""
        return read_jsonl(path, fields)

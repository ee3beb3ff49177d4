"""Parquet, read batch by batch; a record's position is its row index in the file.

A row holding a value Python cannot hold is ``input:invalid_utf8`` (a string that is
not UTF-8) or ``input:unconvertible_value`` (e.g. a timestamp beyond ``datetime``),
its excerpt naming the columns; a file that cannot be opened or read is
``input:unreadable_file`` (after the rows read before the error).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from winnow.io.fields import lift, nested_roles
from winnow.io.reader import Reader, open_binary, register
from winnow.io.rows import BATCH_ROWS, Rows, document, quarantine

#: What converting an Arrow value to Python can raise (bad UTF-8, out-of-range dates).
CONVERT_ERRORS = (ValueError, OverflowError, pa.ArrowException)


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

    rows = Rows()
    position = 0
    nested = nested_roles(fields)  # struct columns, read as dicts: `url: metadata.url`
    try:
        with open_binary(path, seekable=True) as raw:
            pf = pq.ParquetFile(raw)
            for batch in pf.iter_batches(batch_size=BATCH_ROWS):
                for i, record in enumerate(_row_records(batch)):
                    if record is None:
                        _unconvertible(rows, batch.slice(i, 1), path, position, fields)
                    else:
                        document(rows, lift(record, nested), path, position, fields, record)
                    position += 1
                yield rows.flush()
    except (pa.ArrowException, OSError) as exc:
        quarantine(rows, path, position, "input:unreadable_file", f"{type(exc).__name__}: {exc}")
    yield from rows.finish(path)


def _unconvertible(
    rows: Rows, row: pa.RecordBatch, path: str, position: int, fields: dict[str, str]
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
    quarantine(rows, path, position, reason, "; ".join(failed),
               str(rid) if rid not in (None, "") else None)


@register
class ParquetReader(Reader):
    """``input.format: parquet``: one record per row."""

    name = "parquet"
    suffixes = (".parquet",)

    def read(self, path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
        """One row per Parquet row."""
        return read_parquet(path, fields)

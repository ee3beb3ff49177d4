"""The annotated frame's contract: the columns every reader emits, and what a row is.

One row per input record, never dropped before the writer. A row is

* a **quarantine row** when ``stage`` is ``"input"`` (the reader could not make a
  document of the record; ``reason`` says why);
* a **document** otherwise; a document is **kept** while ``reason`` is null, and
  **removed** once a stage set ``reason`` (``family:rule``) and ``stage``.

Stages, statistics and writers use the predicates below instead of spelling the
conditions out, so the meaning of "kept" lives in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession
    from pyspark.sql.types import StructType

#: The ``stage`` of quarantine rows (and the first row of the funnel).
INPUT_STAGE = "input"

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


def is_kept() -> Column:
    """A document no stage has rejected (quarantine rows always carry a reason)."""
    from pyspark.sql import functions as F

    return F.col("reason").isNull()


def is_rejected() -> Column:
    """A removed document or a quarantine row: anything with a ``reason``."""
    from pyspark.sql import functions as F

    return F.col("reason").isNotNull()


def is_document() -> Column:
    """A row that is a document (kept or removed), not a quarantine row."""
    from pyspark.sql import functions as F

    return F.col("stage").isNull() | (F.col("stage") != INPUT_STAGE)


def is_quarantined() -> Column:
    """A record the reader could not make a document of."""
    from pyspark.sql import functions as F

    return F.col("stage") == INPUT_STAGE


def is_removed() -> Column:
    """A document some stage rejected."""
    return is_rejected() & is_document()


def outcome() -> Column:
    """``"kept"`` or ``"removed"`` for a document (the subset column of statistics)."""
    from pyspark.sql import functions as F

    return F.when(is_kept(), "kept").otherwise("removed")


def local_frame(spark: SparkSession, rows: list[tuple], schema: StructType) -> DataFrame:
    """A small table the driver made (statistics, the run row) as a DataFrame that
    needs no Python worker: built as an Arrow table, so Spark plans a local scan.
    ``spark.createDataFrame`` of a list parallelises pickled rows instead, one Python
    worker per task to unpickle them, which cost seconds of a small run's tail.

    Same values as ``spark.createDataFrame(rows, schema)``; rows it would interpret
    differently (naive datetimes: Spark's session time zone, Arrow's UTC) or that
    Arrow cannot convert are handed to it as they are.
    """
    from datetime import datetime

    from pyspark.sql import types as T
    from pyspark.sql.pandas.types import to_arrow_schema

    arrow_schema = to_arrow_schema(schema)
    width = len(schema.fields)
    if any(len(r) != width for r in rows):  # Spark's own error
        return spark.createDataFrame(rows, schema)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    for values, field in zip(columns, schema.fields, strict=True):
        if isinstance(field.dataType, T.TimestampType) and any(
                isinstance(v, datetime) and v.tzinfo is None for v in values):
            return spark.createDataFrame(rows, schema)
    try:
        table = pa.Table.from_arrays(
            [pa.array(list(values), type=f.type)
             for values, f in zip(columns, arrow_schema, strict=True)],
            schema=arrow_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return spark.createDataFrame(rows, schema)
    return spark.createDataFrame(table, schema)

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
    from pyspark.sql import Column

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

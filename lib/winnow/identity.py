"""Document identity: ids are unique per run, whatever the input says.

A document's ``id`` is its input id as a string (so ``7`` and ``"7"`` are the same
id) or, without one, a hash of source file and position. Merged shards of
different crawls often repeat ids, and every join on ``id`` (dedup survivors,
MinHash notes, published matches) needs them unique. So before any frame stage
reads them, the run disambiguates: of the records sharing an id, the first in
(source path, position) order keeps it; every later one becomes
``<id>#<first 8 hex digits of SHA-256(source)>:<position>`` — still traceable to
its file and line. Quarantine rows take part too: every output id is unique.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.checkpoint import broadcast_if_small

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Separator between the input id and the disambiguating suffix.
SEPARATOR = "#"
#: Repeated ids up to this many are broadcast to the renaming join.
BROADCAST_REPEATS = 500_000


def renamed_id(id_col: Column, source: Column, position: Column) -> Column:
    """The id a repeated record gets: ``<id>#<8 hex of SHA-256(source)>:<position>``."""
    return F.concat(id_col, F.lit(SEPARATOR), F.substring(F.sha2(source, 256), 1, 8),
                    F.lit(":"), position.cast("string"))


def disambiguate(df: DataFrame) -> tuple[DataFrame, int]:
    """``df`` with unique ids, and how many records were renamed (0: ``df`` itself).

    Meant for a persisted frame: the repeated-id aggregation reads only the id,
    source and position columns, and a corpus without repeats costs that one job.
    """
    repeats = (
        df.groupBy("id")
        .agg(F.count(F.lit(1)).alias("_copies"),
             F.min(F.struct("source", "position")).alias("_first"))
        .where(F.col("_copies") > 1)
    )
    renamed = repeats.agg(F.sum(F.col("_copies") - 1)).first()[0] or 0
    if not renamed:
        return df, 0
    joined = df.join(broadcast_if_small(repeats.drop("_copies"), BROADCAST_REPEATS), "id", "left")
    later = F.col("_first").isNotNull() & (F.struct("source", "position") != F.col("_first"))
    out = joined.withColumn(
        "id", F.when(later, renamed_id(F.col("id"), F.col("source"), F.col("position")))
        .otherwise(F.col("id"))
    ).drop("_first")
    return out.select(*df.columns), int(renamed)

"""The conservation check, counted from the source rather than from the frame it checks.

Left side: the records each reader saw, per input file (lines, Parquet rows, one
row per unreadable or empty file), tallied on the executors as each file is read,
before any stage runs. Right side: the rows of the written ``kept/``, ``removed/``
and ``quarantine/`` files, counted by the sink that wrote them (Parquet: from the
files' footers, no read-back). A stage that multiplies rows (a join on a repeated
key) or loses them makes the two sides differ, and the run fails before anything is
published. Every output id is unique: the ids of the final frame (its narrow ``id``
column, never the text) are counted distinct, and the written files hold exactly as
many rows as the readers saw.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING

from pyspark.accumulators import AccumulatorParam

from winnow.errors import InvariantError

if TYPE_CHECKING:
    from pyspark import Accumulator, SparkContext
    from pyspark.sql import DataFrame

    from winnow.io.listing import InputFile
    from winnow.sinks.base import Sink

DOCUMENT_PARTS = ("kept", "removed", "quarantine")
#: A file whose tally differed between two attempts at reading it.
INCONSISTENT = -1
#: First element of the tally keys ``(OTHER_RECORDS, file, range, ranges, record type)``:
#: records a reader read but are not documents (WARC ``request``, ``warcinfo``, …).
OTHER_RECORDS = "records_of_type"


class RecordTally(AccumulatorParam):
    """Records per input file (file index -> count), merged idempotently.

    A file read twice (a lost cached partition recomputed, a speculative task) adds
    the same count again; keeping one value per file instead of summing makes the
    tally exact however often Spark reads a file. Two attempts that disagree mark
    the file ``INCONSISTENT`` (a nondeterministic reader), which the check reports.
    """

    def zero(self, value: dict[int, int]) -> dict[int, int]:
        return {}

    def addInPlace(self, a: dict[int, int], b: dict[int, int]) -> dict[int, int]:  # noqa: N802
        for key, count in b.items():
            a[key] = count if a.get(key, count) == count else INCONSISTENT
        return a


def record_tally(sc: SparkContext) -> Accumulator:
    """A new per-file record tally for one read of the inputs."""
    return sc.accumulator({}, RecordTally())


def source_records(tally: Accumulator, files: list[InputFile]) -> dict[str, int]:
    """Records per input path from a completed read; a file never read is an error."""
    seen = tally.value
    counts = {}
    for i, f in enumerate(files):
        n = seen.get(i)
        if n is None:
            raise InvariantError(f"conservation: input {f.path} was never read to its end")
        if n == INCONSISTENT:
            raise InvariantError(
                f"conservation: input {f.path} gave different records on two reads")
        counts[f.path] = n
    return counts


def non_document_records(tally: Accumulator) -> dict[str, int]:
    """Records read that are not documents, per record type (``{"request": n,
    "metadata": n, "warcinfo": n, …}``, sorted by type), from a completed read; empty
    for inputs without such records (every format but WARC and WET). Outside the
    conservation check: ``source_records`` counts documents only."""
    counts: dict[str, int] = {}
    for key, n in tally.value.items():
        if isinstance(key, tuple) and key[0] == OTHER_RECORDS:
            if n == INCONSISTENT:
                raise InvariantError(
                    f"conservation: input #{key[1]} gave different {key[4]} records on "
                    "two reads")
            counts[key[4]] = counts.get(key[4], 0) + n
    return dict(sorted(counts.items()))


def counted_rows(sink: Sink, final: DataFrame) -> dict[str, int]:
    """Rows per written document part (``sink.rows``: Parquet footers), their ``_total``,
    and ``_distinct_ids``, the distinct ids of ``final`` (one job over its id column)."""
    from pyspark.sql import functions as F

    written = {part: int(sink.rows(part)) for part in DOCUMENT_PARTS}
    written["_total"] = sum(written.values())
    written["_distinct_ids"] = int(final.select(F.count_distinct("id")).first()[0] or 0)
    return written


def written_rows(parts: dict[str, DataFrame]) -> dict[str, int]:
    """Rows per written document part (read back), plus ``_total`` and ``_distinct_ids``,
    in one job."""
    from pyspark.sql import functions as F

    frames = [df.select("id", F.lit(part).alias("_part")) for part, df in parts.items()]
    union = reduce(lambda a, b: a.unionByName(b), frames)
    aggs = [F.sum((F.col("_part") == part).cast("long")).alias(part) for part in parts]
    row = union.agg(*aggs, F.count(F.lit(1)).alias("_total"),
                    F.count_distinct("id").alias("_distinct_ids")).first()
    return {k: int(v or 0) for k, v in row.asDict().items()}


def check(source: dict[str, int], written: dict[str, int], frame_kept: int) -> None:
    """input records = kept + removed + quarantined, and every output id unique."""
    records = sum(source.values())
    parts = " + ".join(f"{p} {written[p]:,}" for p in DOCUMENT_PARTS)
    if written["_total"] != records:
        raise InvariantError(
            f"conservation violated: the readers saw {records:,} input records, "
            f"the output holds {parts} = {written['_total']:,} rows")
    if written["kept"] != frame_kept:
        raise InvariantError(
            f"conservation violated: {frame_kept:,} documents were kept, "
            f"{written['kept']:,} were written")
    if written["_distinct_ids"] != written["_total"]:
        raise InvariantError(
            f"ids not unique: the output holds {written['_total']:,} rows but "
            f"{written['_distinct_ids']:,} distinct ids")

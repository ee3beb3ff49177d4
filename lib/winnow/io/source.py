"""The Spark side of input: one task per listed file (or byte range), each file's records
tallied.

A file is read by one task with its format's registered reader, except that a format
which can cut its files (``Reader.split``: ``.warc.gz`` at gzip member boundaries)
reads a file larger than ``spark.winnow.input.splitBytes`` (default 128 MiB) as one
task per range, so one big file uses many cores. The rows a file (or range) yields
are its records, added to the conservation tally once it is read to its end; the
ranges of a split file report under ``(file, range, ranges)`` keys and the tally sums
them into the file's count once every range has reported (``SplitTally``), so the
check sees the same per-file count as an unsplit read. Records a reader skips as not
documents (WARC ``request``, ``metadata``, ``warcinfo``) go into the same tally under
``(OTHER_RECORDS, file, range, ranges, record type)`` keys, each kept idempotently like
a range's count (``conservation.non_document_records`` sums them).

Formats that add columns (``Reader.columns``) widen the frame: the schema is
``DOC_SCHEMA`` plus every column of the formats being read, null where a format
lacks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from winnow import worker
from winnow.conservation import INCONSISTENT, OTHER_RECORDS, RecordTally
from winnow.frame import DOC_SCHEMA
from winnow.io.reader import REGISTRY

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

    from winnow.config import InputConfig
    from winnow.io.listing import InputFile

#: Spark conf key: files of a splittable format larger than this are read in ranges.
SPLIT_CONF = "spark.winnow.input.splitBytes"
SPLIT_BYTES = 128 << 20


class SplitTally(RecordTally):
    """``RecordTally`` that also takes ``(file, range, ranges)`` keys from split files.

    Each range's count is kept idempotently like a file's; once all ranges of a file
    have a count, their sum becomes the file's entry (``INCONSISTENT`` if any range
    was, or if a re-read changed the sum).
    """

    def addInPlace(self, a: dict, b: dict) -> dict:  # noqa: N802
        a = super().addInPlace(a, b)
        for key in [k for k in b if isinstance(k, tuple) and len(k) == 3]:
            i, _, ranges = key
            counts = [a.get((i, k, ranges)) for k in range(ranges)]
            if any(c is None for c in counts):
                continue
            total = INCONSISTENT if INCONSISTENT in counts else sum(counts)
            a[i] = total if a.get(i, total) == total else INCONSISTENT
        return a


def output_schema(formats: list[str]) -> pa.Schema:
    """``DOC_SCHEMA`` plus the columns of the formats read, in order of first mention."""
    extra: dict[str, pa.Field] = {}
    for fmt in formats:
        for f in REGISTRY[fmt].columns:
            if extra.setdefault(f.name, f).type != f.type:
                raise ValueError(f"input column {f.name!r} has two types")
    return pa.schema([*DOC_SCHEMA, *extra.values()])


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with ``schema``'s columns in order; columns it lacks are null."""
    if batch.schema.names == schema.names:
        return batch
    n = batch.num_rows
    arrays = [batch.column(f.name) if f.name in batch.schema.names else pa.nulls(n, f.type)
              for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


Task = tuple[int, int, int, int, int]


def read_tasks(files: list[InputFile], split_bytes: int) -> list[Task]:
    """``(file index, start, end, range index, ranges)`` per read task."""
    tasks: list[Task] = []
    for i, f in enumerate(files):
        reader = REGISTRY[f.format]
        ranges = reader.split(f.path, f.size, split_bytes) if f.size > split_bytes else []
        if len(ranges) <= 1:
            tasks.append((i, 0, f.size, 0, 1))
        else:
            tasks += [(i, start, end, k, len(ranges)) for k, (start, end) in enumerate(ranges)]
    return tasks


def read_documents(
    spark: SparkSession, files: list[InputFile], input_cfg: InputConfig, partitions: int,
    tally: Accumulator | None = None, split_bytes: int | None = None,
) -> DataFrame:
    """One row per input record (documents and quarantine rows), ``partitions`` wide.

    ``tally`` (``winnow.conservation.record_tally``) receives each file's record
    count once the file is read to its end: the source side of the conservation check.
    ``split_bytes``: cut splittable files larger than this into ranges (None: the
    ``spark.winnow.input.splitBytes`` conf, else 128 MiB).
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    if split_bytes is None:
        split_bytes = int(spark.conf.get(SPLIT_CONF, str(SPLIT_BYTES)))
    listing = [(f.path, f.format) for f in files]
    tasks = read_tasks(files, split_bytes)
    fields = dict(input_cfg.fields)
    # The readers themselves go to the executors, so a reader registered after
    # ``winnow.io`` was imported (a plug-in, a test) is found there too.
    readers = {fmt: REGISTRY[fmt] for _, fmt in listing}
    schema = output_schema(list(dict.fromkeys(fmt for _, fmt in listing)))
    if tally is not None and any(t[4] > 1 for t in tasks):
        tally.accum_param = SplitTally()  # the driver merges range counts per file

    @worker.batch_function
    def read_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            for t in b.column(0).to_pylist():
                i, start, end, k, ranges = tasks[t]
                path, fmt = listing[i]
                records, reader, others = 0, readers[fmt], {}
                if reader.counts_others:
                    parts = reader.read_range(path, fields, start, -1 if ranges == 1 else end,
                                              others=others)
                else:
                    parts = (reader.read(path, fields) if ranges == 1
                             else reader.read_range(path, fields, start, end))
                for batch in parts:
                    records += batch.num_rows
                    yield conform(batch, schema)
                if tally is not None:
                    counts = {(OTHER_RECORDS, i, k, ranges, kind): n
                              for kind, n in others.items()}
                    counts[i if ranges == 1 else (i, k, ranges)] = records
                    tally.add(counts)

    df = spark.range(0, len(tasks), 1, len(tasks)).mapInArrow(
        read_files, from_arrow_schema(schema)
    )
    if partitions and len(tasks) < partitions:
        df = df.repartition(partitions, "id")
    return df


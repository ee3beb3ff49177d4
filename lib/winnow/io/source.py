"""The Spark side of input: one task per listed file, each file's records tallied.

Each file is read by one task (gzip and zstd streams cannot be split) with its
format's registered reader; the rows a file yields are its records, added to the
conservation tally once the file is read to its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from winnow import worker
from winnow.frame import DOC_SCHEMA
from winnow.io.reader import REGISTRY

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

    from winnow.config import InputConfig
    from winnow.io.listing import InputFile


def read_documents(
    spark: SparkSession, files: list[InputFile], input_cfg: InputConfig, partitions: int,
    tally: Accumulator | None = None,
) -> DataFrame:
    """One row per input record (documents and quarantine rows), ``partitions`` wide.

    ``tally`` (``winnow.conservation.record_tally``) receives each file's record
    count once the file is read to its end: the source side of the conservation check.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    listing = [(f.path, f.format) for f in files]
    fields = dict(input_cfg.fields)
    # The readers themselves go to the executors, so a reader registered after
    # ``winnow.io`` was imported (a plug-in, a test) is found there too.
    readers = {fmt: REGISTRY[fmt] for _, fmt in listing}

    @worker.batch_function
    def read_files(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            for i in b.column(0).to_pylist():
                path, fmt = listing[i]
                records = 0
                for batch in readers[fmt].read(path, fields):
                    records += batch.num_rows
                    yield batch
                if tally is not None:
                    tally.add({i: records})

    df = spark.range(0, len(files), 1, len(files)).mapInArrow(
        read_files, from_arrow_schema(DOC_SCHEMA)
    )
    if partitions and len(files) < partitions:
        df = df.repartition(partitions, "id")
    return df

"""``parquet``: Spark's Parquet files (snappy), one per task of the frame's last stage.

Every part of a run is Parquet today: the document parts, the statistics tables
(``winnow report`` reads them with pyarrow) and the state's index and ledger
partitions (read back by :class:`~winnow.state.State`). How many files a part gets
is the caller's choice (``repartition(1)`` for statistics, ``coalesce(1)`` for the
ledger). ``rows`` sums the row counts of the part's file footers: no Spark job and
no column is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from winnow.sinks.base import Sink, register

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@register
class ParquetSink(Sink):
    name = "parquet"

    def save(self, df: DataFrame, path: str) -> None:
        df.write.parquet(path)

    def load(self, path: str) -> DataFrame:
        return self.spark.read.parquet(path)

    def rows(self, part: str) -> int:
        return footer_rows(self.spark, self.pub.path(part))


def footer_rows(spark: SparkSession, path: str) -> int:
    """Rows of the Parquet files in directory ``path`` (recursively), from their footers,
    read through Hadoop so any scheme Spark writes to works."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(path)
    fs = root.getFileSystem(conf)
    files = fs.listFiles(root, True)
    total = 0
    while files.hasNext():
        status = files.next()
        name = status.getPath().getName()
        if name.startswith(("_", ".")) or status.getLen() == 0:
            continue  # _SUCCESS, .crc files
        source = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromStatus(status, conf)
        reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(source)
        try:
            total += int(reader.getRecordCount())
        finally:
            reader.close()
    return total

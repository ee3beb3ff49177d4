"""``parquet``: Spark's Parquet files (snappy), one per task of the frame's last stage.

Every part of a run is Parquet today: the document parts, the statistics tables
(``winnow report`` reads them with pyarrow) and the state's index and ledger
partitions (read back by :class:`~winnow.state.State`). How many files a part gets
is the caller's choice (``repartition(1)`` for statistics, ``coalesce(1)`` for the
ledger).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from winnow.sinks.base import Sink, register

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@register
class ParquetSink(Sink):
    name = "parquet"

    def save(self, df: DataFrame, path: str) -> None:
        df.write.parquet(path)

    def load(self, path: str) -> DataFrame:
        return self.spark.read.parquet(path)

"""``frame.local_frame``: driver-made tables without Python workers, same values as
``spark.createDataFrame``."""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import types as T
from winnow import frame

SCHEMA = T.StructType([
    T.StructField("name", T.StringType(), False),
    T.StructField("n", T.LongType(), True),
    T.StructField("x", T.DoubleType(), True),
    T.StructField("edges", T.ArrayType(T.DoubleType()), True),
    T.StructField("pairs", T.ArrayType(T.StructType([
        T.StructField("k", T.StringType()), T.StructField("v", T.LongType())])), True),
    T.StructField("at", T.TimestampType(), True),
])
ROWS = [
    ("a", 1, 0.5, [0.0, 1.0], [("request", 54), ("warcinfo", 3)],
     datetime(2026, 12, 2, 15, 0, tzinfo=UTC)),
    ("b", None, None, None, [], None),
]


def plan(df) -> str:
    return df._jdf.queryExecution().executedPlan().toString()


def test_same_rows_as_create_dataframe_and_a_local_scan(spark):
    ours = frame.local_frame(spark, ROWS, SCHEMA)
    theirs = spark.createDataFrame(ROWS, SCHEMA)
    assert ours.schema == theirs.schema
    assert ours.collect() == theirs.collect()
    assert "LocalTableScan" in plan(ours)  # no Python RDD, so no Python worker
    assert "ExistingRDD" in plan(theirs)


def test_naive_datetimes_and_empty_tables(spark):
    naive = [("c", 1, 1.0, None, None, datetime(2026, 1, 1, 12, 0))]
    assert frame.local_frame(spark, naive, SCHEMA).collect() == spark.createDataFrame(
        naive, SCHEMA).collect()  # handed to Spark: its session time zone applies
    empty = frame.local_frame(spark, [], SCHEMA)
    assert empty.schema == SCHEMA and empty.count() == 0

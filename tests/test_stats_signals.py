"""stats/signals on edge cases of real Spark frames."""

from __future__ import annotations

from pyspark.sql import types as T
from winnow import stats


def _frame(spark, values):
    schema = T.StructType([T.StructField("id", T.StringType()),
                           T.StructField("stage", T.StringType()),
                           T.StructField("reason", T.StringType()),
                           T.StructField("input_chars", T.LongType())])
    return spark.createDataFrame([(str(i), None, None, v) for i, v in enumerate(values)], schema)


def test_signals_without_any_value_give_rows_without_histograms(spark):
    """Every signal null (e.g. a stage whose inputs were all rejected before it): the
    table still has its rows, and no empty array is exploded (Spark refuses that)."""
    rows = stats.signals_table(_frame(spark, [None, None, None]), [], "r1")
    assert [(r[1], r[2], r[3]) for r in rows] == [("input_chars", "kept", 0)]
    assert rows[0][-2] is None and rows[0][-1] is None


def test_signals_histogram_counts_every_value(spark):
    rows = stats.signals_table(_frame(spark, [1, 2, 3, 4, None]), [], "r1")
    (row,) = rows
    assert row[3] == 4 and row[5] == 1 and row[6] == 4
    assert sum(row[-1]) == 4 and len(row[-2]) == stats.HIST_BINS + 1

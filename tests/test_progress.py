"""Live progress: a bar on a terminal, plain lines otherwise, nothing with --quiet, and
the Spark job counts of a job group (``winnow.progress``)."""

from __future__ import annotations

import io
import re
import time

import pytest
from pyspark.sql import functions as F
from winnow.progress import JobCounts, Progress, Snapshot, SparkActivity

pytestmark = pytest.mark.spark


def _slow_job(spark, seconds: float = 2.5):
    """A real job with 4 tasks that takes a few seconds."""
    def nap(rows):
        time.sleep(seconds / 2)
        yield from rows
    return spark.sparkContext.parallelize(range(40), 4).mapPartitions(nap).count()


def test_snapshot_line_shows_tasks_rate_and_eta():
    line = Snapshot(done=3, total=12, rows=900).line("minhash_dedup", 6.0, 150.0)
    assert "minhash_dedup" in line and "3/12 tasks" in line
    assert "150 rows/s" in line
    assert "ETA 18s" in line  # 6 s for 3 tasks, 9 to go


def test_activity_counts_the_group_jobs_only(spark):
    sc = spark.sparkContext
    sc.parallelize(range(10), 2).count()  # outside the group
    with SparkActivity(sc, "test-progress-group") as activity:
        sc.parallelize(range(100), 3).count()  # one job, one stage, 3 tasks
        sc.parallelize(range(8), 4).sum()  # one job, one stage, 4 tasks
    sc.parallelize(range(10), 2).count()  # after: not counted either
    assert activity.counts() == JobCounts(jobs=2, stages=2, tasks=7)
    assert sc.getLocalProperty("spark.jobGroup.id") is None  # restored


def test_plain_lines_when_not_a_terminal(spark):
    stream = io.StringIO()
    p = Progress(stream=stream, plain_every=0.3, tty=False)
    p.start("step")
    with SparkActivity(spark.sparkContext, "test-progress-plain") as a, \
            p.watch(spark.sparkContext, a.group):
        _slow_job(spark)
    text = stream.getvalue()
    assert p.live_lines >= 1
    assert "\r" not in text
    assert re.search(r"step \[[#.]+\] \d+/4 tasks", text)


def test_bar_on_a_terminal(spark):
    stream = io.StringIO()
    p = Progress(stream=stream, interval=0.2, tty=True)
    p.start("step")
    with p.watch(spark.sparkContext):
        _slow_job(spark)
    p.say("after")
    text = stream.getvalue()
    assert p.live_lines >= 1
    assert "\r\x1b[2K  step [" in text  # the bar overwrites itself
    assert text.rstrip().endswith("after")


def test_quiet_prints_nothing(spark):
    stream = io.StringIO()
    p = Progress(quiet=True, stream=stream, interval=0.1, tty=True)
    p.start("step")
    with p.watch(spark.sparkContext):
        spark.range(1000).select(F.sum("id")).collect()
    assert stream.getvalue() == "" and p.live_lines == 0

"""The session's JVM and cache settings reach the running JVM."""

from __future__ import annotations

from winnow.session import JVM_OPTIONS


def test_driver_jvm_runs_with_winnow_options(spark):
    args = list(spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
                .getInputArguments())
    for option in JVM_OPTIONS.split():
        assert option in args
    assert any(a.startswith("-Dlog4j.configurationFile=") for a in args)
    assert JVM_OPTIONS in spark.sparkContext.getConf().get("spark.executor.extraJavaOptions")


def test_cached_text_batches_are_small(spark):
    assert spark.conf.get("spark.sql.inMemoryColumnarStorage.batchSize") == "2000"

"""The session's JVM and cache settings reach the running JVM."""

from __future__ import annotations

import pytest
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


def test_spark_profile_yaml_is_bounded_like_a_config(tmp_path):
    from winnow.errors import WinnowError
    from winnow.session import load_profile

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x]\n" + "".join(f"k{i}: *a\n" for i in range(101)))
    with pytest.raises(WinnowError, match="101 YAML aliases"):
        load_profile(str(bomb))
    ok = tmp_path / "ok.yaml"
    ok.write_text("spark:\n  spark.sql.shuffle.partitions: 8\n  spark.ui.enabled: false\n")
    assert load_profile(str(ok)) == {"spark.sql.shuffle.partitions": "8",
                                     "spark.ui.enabled": "false"}

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


def test_submitted_executor_options_keep_winnows(tmp_path):
    """A user's ``--conf spark.executor.extraJavaOptions`` under a real spark-submit
    no longer replaces winnow's executor options: both are passed, the user's last
    (the JVM takes the last of two settings of one flag, so theirs win)."""
    import os
    import subprocess
    import sys

    from winnow.submit import find_spark_submit

    probe = tmp_path / "probe.py"
    probe.write_text(
        "from winnow.session import build_session\n"
        "s = build_session(app_name='probe')\n"
        "print('OPTS=' + s.sparkContext.getConf().get('spark.executor.extraJavaOptions'))\n"
        "s.stop()\n")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    out = subprocess.run(
        [find_spark_submit(), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.executor.extraJavaOptions=-Dwinnow.probe=1 -XX:G1HeapRegionSize=8m",
         str(probe)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    (line,) = [x for x in out.stdout.splitlines() if x.startswith("OPTS=")]
    # (Spark puts its own module options first)
    assert line.endswith(f" {JVM_OPTIONS} -Dwinnow.probe=1 -XX:G1HeapRegionSize=8m"), line

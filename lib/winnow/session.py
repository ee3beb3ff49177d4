"""Build the Spark session: master, profile settings, quiet logs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from winnow.errors import WinnowError
from winnow.objectstore import with_object_store

PROFILE_DIR = Path(__file__).resolve().parents[2] / "conf" / "spark"

#: Settings applied unless a profile overrides them.
DEFAULTS: dict[str, Any] = {
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.skewJoin.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # Cached frames hold whole documents: 10,000-row column batches (Spark's default)
    # make 20-60 MB byte arrays per text column, which fragment a small heap.
    "spark.sql.inMemoryColumnarStorage.batchSize": "2000",
    # Outputs every reader loads (pandas, polars, DuckDB, Hugging Face datasets): no
    # Hadoop ``.crc`` checksum beside each local file (the raw local file system writes
    # none), no empty ``_SUCCESS`` inside kept/, removed/, stats/<table>/ (winnow's own
    # ``OUTPUT/_SUCCESS`` marks a complete run).
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}

#: JVM options for the driver and executors. G1 treats an array of half a region
#: or more as "humongous" (contiguous regions, freed late); with the default 1-2 MB
#: regions of a 4 GB heap every cached text batch and sort page is one, and a
#: 1M-document run ran out of heap with half of it free. 16 MB regions fix that.
JVM_OPTIONS = "-XX:G1HeapRegionSize=16m"


def load_profile(name_or_path: str | None) -> dict[str, str]:
    """Spark settings from ``conf/spark/<name>.yaml`` or a YAML file path."""
    if not name_or_path:
        return {}
    path = Path(name_or_path)
    if not path.is_file():
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise WinnowError(f"--spark-profile: no profile {name_or_path!r} (looked in {PROFILE_DIR})")
    from winnow.config import read_yaml_file

    data = read_yaml_file(path) or {}
    conf = data.get("spark", data)
    if not isinstance(conf, dict):
        raise WinnowError(f"{path}: expected a mapping of Spark settings")
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in conf.items()}


SPARK_LOG_LEVELS = ("ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN")


def spark_log_level(level: str | None = None) -> str:
    """Spark's log level: ``level``, else ``$WINNOW_SPARK_LOG_LEVEL``, else ERROR (WARN
    lines about native libraries and plan sizes are not the user's business)."""
    chosen = (level or os.environ.get("WINNOW_SPARK_LOG_LEVEL") or "ERROR").upper()
    if chosen not in SPARK_LOG_LEVELS:
        raise WinnowError(f"Spark log level {chosen[:20]!r}: one of {', '.join(SPARK_LOG_LEVELS)}")
    return chosen


def under_spark_submit() -> bool:
    """True when launched by ``spark-submit`` (the JVM gateway already exists)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def submitted_settings() -> dict[str, str]:
    """Settings given to spark-submit (``--conf``, properties file): they beat ours."""
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()
    return dict(SparkConf().getAll())


def build_session(
    master: str | None = None,
    app_name: str = "winnow",
    profile: str | None = None,
    extra: dict[str, str] | None = None,
    log_level: str | None = None,
):
    """Create (or reuse) the session; ``master`` defaults to ``local[*]`` outside
    spark-submit, and to whatever spark-submit was given inside it. Spark logs at
    ``log_level`` (default ``$WINNOW_SPARK_LOG_LEVEL``, else ERROR)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    elif not under_spark_submit():
        builder = builder.master("local[*]")
    conf = {**DEFAULTS, **load_profile(profile), **(extra or {})}
    # A profile with S3A settings (conf/spark/s3.yaml): its jars, endpoint and region.
    conf = with_object_store(conf)
    if (master or ("" if under_spark_submit() else "local")).startswith("local"):
        # No web UI in local mode unless asked for: its server and listener cost start-up
        # time on every run (issue 22); the status tracker works without it.
        conf.setdefault("spark.ui.enabled", "false")
    given = submitted_settings() if under_spark_submit() else {}
    conf = {k: v for k, v in conf.items() if k not in given}
    log4j = PROFILE_DIR / "log4j2.properties"
    opts = JVM_OPTIONS
    if log4j.is_file() and not under_spark_submit():
        opts = f"{opts} -Dlog4j.configurationFile=file:{log4j}"
    # The driver's options only matter before its JVM starts (not under spark-submit,
    # where submitted keys were dropped above); executors start later either way.
    keys = ["spark.executor.extraJavaOptions"]
    if not under_spark_submit():
        keys.append("spark.driver.extraJavaOptions")
    for key in keys:
        if key in given:
            # The submitted options stay, after winnow's: a flag both set is the user's
            # (the JVM takes the last), and the rest of ours (the G1 region size) is
            # not lost to an unrelated -D option.
            conf[key] = f"{opts} {given[key]}".strip()
        else:
            conf[key] = f"{conf.get(key, '')} {opts}".strip()
    for k, v in conf.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(spark_log_level(log_level))
    return spark

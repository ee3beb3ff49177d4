"""The curate job: validate, read, annotate, write, check, publish."""

from __future__ import annotations

import json
import platform
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pyspark.sql import types as T

import winnow
from winnow import output as out
from winnow import readers, stats
from winnow.errors import InvariantError
from winnow.fs import HadoopFS
from winnow.pipeline import annotate
from winnow.progress import Progress
from winnow.stage import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from winnow.config import Config

RUN_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("started_at", T.TimestampType(), False),
        T.StructField("finished_at", T.TimestampType(), False),
        T.StructField("config_hash", T.StringType(), False),
        T.StructField("config_path", T.StringType(), True),
        T.StructField("inputs", T.ArrayType(T.StringType()), False),
        T.StructField("winnow_version", T.StringType(), False),
        T.StructField("spark_version", T.StringType(), False),
        T.StructField("python_version", T.StringType(), False),
        T.StructField("master", T.StringType(), True),
        T.StructField("default_parallelism", T.IntegerType(), True),
        T.StructField("stage_wall_seconds", T.MapType(T.StringType(), T.DoubleType()), True),
        T.StructField("stage_cpu_seconds", T.MapType(T.StringType(), T.DoubleType()), True),
        T.StructField("documents_in", T.LongType(), False),
        T.StructField("documents_kept", T.LongType(), False),
        T.StructField("documents_removed", T.LongType(), False),
        T.StructField("documents_quarantined", T.LongType(), False),
        T.StructField("signal_passes", T.IntegerType(), False),
        T.StructField("signal_pass_rows", T.LongType(), False),
    ]
)


@dataclass
class RunResult:
    """What a finished run reports back (also printed on the terminal)."""

    run_id: str
    output: str
    counts: stats.Counts
    summary: list[tuple]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def run(
    spark: SparkSession,
    cfg: Config,
    files: list[readers.InputFile],
    output: str,
    run_id: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Run the pipeline of ``cfg`` over ``files`` and publish to ``output``."""
    progress = progress or Progress()
    run_id = run_id or new_run_id()
    started = datetime.now(UTC)
    fs = HadoopFS(spark)
    pub = out.Publisher(fs, output, run_id, overwrite)
    pub.check_target()
    fs.delete(pub.staging)

    sc = spark.sparkContext
    partitions = cfg.output.partitions or max(2, sc.defaultParallelism * 2)
    progress.say(f"run {run_id}: {len(files)} input file(s), {len(cfg.stages)} stage(s), "
                 f"master {sc.master}")
    df = readers.read_documents(spark, files, cfg.input, partitions)
    ctx = RunContext(spark=spark, run_id=run_id)
    final, timing, persisted = annotate(df, cfg.stages, ctx, progress)

    progress.start("write")
    t0 = time.perf_counter()
    out.kept_frame(final).write.parquet(pub.path("kept"))
    out.removed_frame(final, cfg.output.removed_text).write.parquet(pub.path("removed"))
    out.quarantine_frame(final).write.parquet(pub.path("quarantine"))
    timing.wall["write"] = time.perf_counter() - t0

    counts = stats.aggregate(final, cfg.stages)
    rows = stats.stage_summary_rows(counts, cfg.stages, run_id, timing.wall, timing.cpu)
    tables = {
        "domains": stats.domains_table(final, run_id),
        "examples": stats.examples_table(final, run_id),
        "signals": spark.createDataFrame(
            stats.signals_table(final, cfg.stages, run_id), stats.SIGNALS_SCHEMA),
    }
    for stage in cfg.stages:
        if stage.mode != "off":
            tables.update(stage.stats_tables(final, run_id))
    for name, table in tables.items():
        table.coalesce(1).write.parquet(pub.path(f"stats/{name}"))
    for frame in persisted:
        frame.unpersist()

    written = {part: spark.read.parquet(pub.path(part)).count()
               for part in ("kept", "removed", "quarantine")}
    check_conservation(counts, written)

    finished = datetime.now(UTC)
    stats.stage_summary_frame(spark, rows).coalesce(1).write.parquet(
        pub.path("stats/stage_summary"))
    run_row = (
        run_id, started, finished, cfg.hash, cfg.source, [f.path for f in files],
        winnow.__version__, spark.version, platform.python_version(), sc.master,
        sc.defaultParallelism, timing.wall, timing.cpu, counts.records, counts.kept,
        counts.removed, counts.quarantined, timing.signal_passes, timing.signal_rows,
    )
    spark.createDataFrame([run_row], RUN_SCHEMA).coalesce(1).write.parquet(
        pub.path("stats/run"))
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "winnow_version": winnow.__version__,
        "config_hash": cfg.hash,
        "config_path": cfg.source,
        "config": cfg.raw,
        "inputs": [{"path": f.path, "size": f.size, "mtime": f.mtime} for f in files],
        "counts": {
            "input": counts.records, "kept": counts.kept, "removed": counts.removed,
            "quarantined": counts.quarantined, "by_reason": dict(sorted(counts.by_reason.items())),
        },
    }
    fs.write_text(pub.path("manifest.json"), json.dumps(manifest, indent=2, default=str))
    pub.publish()
    progress.say(f"published {output} (kept {counts.kept:,} of {counts.records:,})")
    return RunResult(run_id, output, counts, rows)


def check_conservation(counts: stats.Counts, written: dict[str, int]) -> None:
    """input = kept + removed + quarantined, using the counts of the written files."""
    total = written["kept"] + written["removed"] + written["quarantine"]
    if total != counts.records or written["kept"] != counts.kept:
        raise InvariantError(
            f"conservation violated: input {counts.records} != kept {written['kept']} + "
            f"removed {written['removed']} + quarantined {written['quarantine']}"
        )


def print_summary(result: RunResult, stream=sys.stdout) -> None:
    print(stats.format_summary(result.summary), file=stream)
    c = result.counts
    print(f"\nkept {c.kept:,} | removed {c.removed:,} | quarantined {c.quarantined:,} | "
          f"input {c.records:,}  →  {result.output}", file=stream)

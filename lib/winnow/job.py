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
from winnow import conservation, stats
from winnow import output as out
from winnow.errors import WinnowError
from winnow.faults import crash_point
from winnow.fs import HadoopFS
from winnow.io.listing import InputFile
from winnow.io.source import read_documents
from winnow.names import check_name
from winnow.pipeline import annotate
from winnow.progress import Progress
from winnow.stage import FrameStage, RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from winnow.config import Config
    from winnow.state import State

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
        T.StructField("ids_renamed", T.LongType(), False),
    ]
)


@dataclass
class RunResult:
    """What a finished run reports back (also printed on the terminal)."""

    run_id: str
    output: str
    counts: stats.Counts
    summary: list[tuple]
    manifest: dict


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def nightly_run_id() -> str:
    """Default run id with ``--state``: today's date (UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


def run(
    spark: SparkSession,
    cfg: Config,
    files: list[InputFile],
    output: str,
    run_id: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    state_dir: str | None = None,
) -> RunResult | None:
    """Run the pipeline of ``cfg`` over ``files`` and publish to ``output``.

    With ``state_dir`` (nightly mode) only inputs missing from the ledger are
    processed, new documents are deduplicated against the published index, the
    output goes to ``OUTPUT/run_id=ID/`` and stats append under ``run_id``
    partitions. Returns None when there is nothing to do (already published, or
    no new input).
    """
    progress = progress or Progress()
    if run_id is not None:
        check_name(run_id, "--run-id")  # before anything touches a file
    if state_dir is None:
        run_id = run_id or new_run_id()
        fs = HadoopFS(spark)
        pub = out.Publication(fs, output, f"{output.rstrip('/')}/_staging/{run_id}", overwrite)
        pub.check_target()
        pub.delete(pub.staging)
        pub.add_output_parts()
        result = _execute(spark, cfg, files, output, run_id, pub, progress, None)
        pub.finish()
        pub.delete(f"{output.rstrip('/')}/_staging")
        progress.say(f"published {output} (kept {result.counts.kept:,} of "
                     f"{result.counts.records:,})")
        return result

    from winnow.state import INDEXES, State

    run_id = run_id or nightly_run_id()
    state = State(spark, state_dir)
    lease = state.acquire(run_id)
    try:
        # A run that died after its commit (whatever its id) is published first.
        state.finish_publications(progress)
        target = f"{output.rstrip('/')}/run_id={run_id}"
        pub = out.Publication(state.fs, target, f"{state.staging(run_id)}/publish",
                              roots=(output, state.root))
        if state.is_committed(run_id):
            plan = state.plan_inputs(files)
            if plan.new:
                raise WinnowError(
                    f"run {run_id} is already published; new inputs need a new --run-id")
            progress.say(f"run {run_id} is already published: nothing to do")
            return None
        state.discard_uncommitted(run_id, ["ledger", *[f"index/{n}" for n in INDEXES]])
        pub.delete(target)
        plan = state.plan_inputs(files)
        for path, prior in sorted(plan.already.items()):
            progress.say(f"skip {path}: processed by run {prior}")
        if not plan.new:
            progress.say("no new input: nothing to do")
            return None
        pub.add_output_parts()
        result = _execute(spark, cfg, plan.new, output, run_id, pub, progress, state)
        pub.before_commit.append(
            (pub.path("ledger"), state.partition("ledger", run_id)))
        state.ledger_frame(plan.new).coalesce(1).write.parquet(pub.path("ledger"))
        crash_point("index")
        lease.check()  # a run that lost its lease stops before anything counts
        pub.move(pub.before_commit)
        crash_point("commit")
        lease.check()
        state.commit(run_id, {
            "run_id": run_id, "output": target, "counts": result.manifest["counts"],
            "inputs": [f.path for f in plan.new], "after_commit": pub.after_commit,
        })
        crash_point("publish")
        pub.finish()
        state.mark_published(run_id)
        progress.say(f"published {target} (kept {result.counts.kept:,} of "
                     f"{result.counts.records:,}); index and ledger committed")
        return result
    finally:
        lease.release()


def _execute(
    spark: SparkSession,
    cfg: Config,
    files: list[InputFile],
    output: str,
    run_id: str,
    pub: out.Publication,
    progress: Progress,
    state: State | None,
) -> RunResult:
    """Read, annotate and write everything of a run into ``pub``'s staging area."""
    started = datetime.now(UTC)
    fs = HadoopFS(spark)
    sc = spark.sparkContext
    partitions = cfg.output.partitions or max(2, sc.defaultParallelism * 2)
    progress.say(f"run {run_id}: {len(files)} input file(s), {len(cfg.stages)} stage(s), "
                 f"master {sc.master}")
    tally = conservation.record_tally(sc)
    df = read_documents(spark, files, cfg.input, partitions, tally=tally)
    ctx = RunContext(spark=spark, run_id=run_id, extras={"state": state},
                     checkpoint_dir=spark.conf.get("spark.checkpoint.dir", None))
    final, timing, persisted = annotate(df, cfg.stages, ctx, progress)
    crash_point("dedup")
    # Every read task has run by now (the frame is materialised): the source side.
    source = conservation.source_records(tally, files)

    progress.start("write")
    t0 = time.perf_counter()
    out.kept_frame(final).write.parquet(pub.path("kept"))
    crash_point("write")
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
    index_tables = {}
    for stage in cfg.stages:
        if stage.mode != "off":
            tables.update(stage.stats_tables(final, run_id))
            if state is not None and isinstance(stage, FrameStage):
                index_tables.update(stage.index_tables(final))
    for name, table in index_tables.items():
        staged = pub.path(f"index/{name}")
        table.write.parquet(staged)
        pub.before_commit.append((staged, state.partition(f"index/{name}", run_id)))

    written = conservation.written_rows(
        spark, {part: pub.path(part) for part in conservation.DOCUMENT_PARTS})
    conservation.check(source, written, counts.kept)

    finished = datetime.now(UTC)
    tables["stage_summary"] = stats.stage_summary_frame(spark, rows)
    run_row = (
        run_id, started, finished, cfg.hash, cfg.source, [f.path for f in files],
        winnow.__version__, spark.version, platform.python_version(), sc.master,
        sc.defaultParallelism, timing.wall, timing.cpu, sum(source.values()), counts.kept,
        counts.removed, counts.quarantined, timing.signal_passes, timing.signal_rows,
        timing.ids_renamed,
    )
    tables["run"] = spark.createDataFrame([run_row], RUN_SCHEMA)
    for name, table in tables.items():
        staged = pub.path(f"stats/{check_name(name, 'statistics table')}")
        if state is None:
            # repartition, not coalesce: the table's own query keeps its parallelism.
            table.repartition(1).write.parquet(staged)
            pub.after_commit.append((staged, f"{pub.target}/stats/{name}"))
        else:
            # Nightly: one partition per run; run_id lives in the directory name.
            table.drop("run_id").repartition(1).write.parquet(staged)
            pub.after_commit.append(
                (staged, f"{output.rstrip('/')}/stats/{name}/run_id={run_id}"))
    for frame in persisted:
        frame.unpersist()
    manifest = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "winnow_version": winnow.__version__,
        "config_hash": cfg.hash,
        "config_path": cfg.source,
        "config": cfg.raw,
        "inputs": [{"path": f.path, "size": f.size, "mtime": f.mtime, "records": source[f.path]}
                   for f in files],
        "counts": {
            "input": sum(source.values()), "ids_renamed": timing.ids_renamed,
            "kept": counts.kept, "removed": counts.removed, "quarantined": counts.quarantined,
            "by_reason": dict(sorted(counts.by_reason.items())),
        },
    }
    fs.write_text(pub.path("manifest.json"), json.dumps(manifest, indent=2, default=str))
    return RunResult(run_id, pub.target, counts, rows, manifest)


def print_summary(result: RunResult, stream=sys.stdout) -> None:
    print(stats.format_summary(result.summary), file=stream)
    c = result.counts
    print(f"\nkept {c.kept:,} | removed {c.removed:,} | quarantined {c.quarantined:,} | "
          f"input {c.records:,}  →  {result.output}", file=stream)

"""The curate job: validate, read, annotate, write, check, publish.

``run`` publishes one run into its own output directory, or with ``--state`` one run
of a nightly series (:mod:`winnow.nightly`: lease, input plan, commit). Either way
``_execute`` stages the run's parts, one step per function: read, annotate, write
the documents, the statistics and (nightly) the indexes, check conservation against
the written files, write the manifest.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T

import winnow
from winnow import conservation, frame, nightly, stats
from winnow import output as out
from winnow.errors import InvariantError
from winnow.faults import crash_point
from winnow.fs import HadoopFS
from winnow.io.listing import InputFile
from winnow.io.source import read_documents
from winnow.names import check_name
from winnow.pipeline import annotate
from winnow.progress import JobCounts, Progress, SparkActivity
from winnow.sinks import base as sinks
from winnow.sinks.parquet import ParquetSink
from winnow.stage import FrameStage, RunContext

if TYPE_CHECKING:
    from pyspark import Accumulator
    from pyspark.sql import DataFrame, SparkSession

    from winnow.config import Config
    from winnow.pipeline import StageTiming
    from winnow.state import State

STAGE_SECONDS = T.ArrayType(T.StructType([
    T.StructField("stage", T.StringType(), False),
    T.StructField("seconds", T.DoubleType(), False),
]))

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
        # Lists of (stage, seconds) structs, not MAPs: every Parquet reader (pandas, polars,
        # DuckDB, Hugging Face datasets) loads a list of structs; datasets cannot load a MAP.
        T.StructField("stage_wall_seconds", STAGE_SECONDS, True),
        T.StructField("stage_cpu_seconds", STAGE_SECONDS, True),
        T.StructField("documents_in", T.LongType(), False),
        T.StructField("documents_kept", T.LongType(), False),
        T.StructField("documents_removed", T.LongType(), False),
        T.StructField("documents_quarantined", T.LongType(), False),
        T.StructField("signal_passes", T.IntegerType(), False),
        T.StructField("signal_pass_rows", T.LongType(), False),
        T.StructField("ids_renamed", T.LongType(), False),
        # Spark work of the run up to this table's write (winnow.progress.SparkActivity).
        T.StructField("spark_jobs", T.IntegerType(), True),
        T.StructField("spark_stages", T.IntegerType(), True),
        T.StructField("spark_tasks", T.LongType(), True),
        # Records read that are not documents (WARC request, metadata, warcinfo …), per
        # record type; empty for other formats. Outside conservation (issue 15).
        T.StructField("non_document_records", T.ArrayType(T.StructType([
            T.StructField("record_type", T.StringType(), False),
            T.StructField("records", T.LongType(), False),
        ])), True),
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
    #: Spark jobs, stages and tasks of the whole run (including the statistics' write).
    spark: JobCounts | None = None
    #: Those of the tail: after the last stage (write, statistics, conservation).
    spark_tail: JobCounts | None = None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


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
        return _run_once(spark, cfg, files, output, run_id or new_run_id(), overwrite, progress)
    return _run_nightly(spark, cfg, files, output, run_id or nightly.default_run_id(),
                        state_dir, progress)


def _run_once(spark: SparkSession, cfg: Config, files: list[InputFile], output: str,
              run_id: str, overwrite: bool, progress: Progress) -> RunResult:
    """A run that owns ``output``: staged in ``OUTPUT/_staging/<run_id>/``, then published."""
    layout = out.Layout.single(output)
    pub = out.Publication(HadoopFS(spark), layout.target,
                          f"{layout.target}/_staging/{run_id}", overwrite)
    pub.check_target()
    pub.delete(pub.staging)
    result = _execute(spark, cfg, files, run_id, pub, layout, progress, None)
    pub.finish()
    pub.delete(f"{layout.target}/_staging")
    progress.say(f"published {output} (kept {result.counts.kept:,} of "
                 f"{result.counts.records:,})")
    return result


def _run_nightly(spark: SparkSession, cfg: Config, files: list[InputFile], output: str,
                 run_id: str, state_dir: str, progress: Progress) -> RunResult | None:
    """One run of a nightly series: its new inputs, deduplicated against the state."""
    with nightly.night(spark, state_dir, output, run_id, progress) as night:
        inputs = night.new_inputs(files)
        if not inputs:
            return None
        result = _execute(spark, cfg, inputs, run_id, night.pub, night.layout, progress,
                          night.state)
        night.commit(inputs, result.manifest["counts"])
        progress.say(f"published {night.layout.target} (kept {result.counts.kept:,} of "
                     f"{result.counts.records:,}); index and ledger committed")
        return result


def _execute(
    spark: SparkSession,
    cfg: Config,
    files: list[InputFile],
    run_id: str,
    pub: out.Publication,
    layout: out.Layout,
    progress: Progress,
    state: State | None,
) -> RunResult:
    """Read, annotate and write everything of a run into ``pub``'s staging area.

    Every Spark job of the run carries the job group ``winnow-<run_id>``: counted into
    ``stats/run`` and the summary, and watched by the live progress line."""
    sc = spark.sparkContext
    with SparkActivity(sc, f"winnow-{run_id}-{uuid.uuid4().hex[:6]}",
                       f"winnow run {run_id}") as activity, \
            progress.watch(sc, activity.group), _shuffle_partitions(spark, files):
        result = _steps(spark, cfg, files, run_id, pub, layout, progress, state, activity)
        result.spark = activity.counts()
    return result


#: Input bytes per shuffle partition when winnow sizes them (files as stored, often gzip).
SHUFFLE_BYTES = 128 * 1024 * 1024
SHUFFLE_KEY = "spark.sql.shuffle.partitions"


@contextmanager
def _shuffle_partitions(spark: SparkSession, files: list[InputFile]) -> Iterator[None]:
    """Shuffle partitions sized from the input, unless the user set them: Spark's 200
    make every map task of a small run write 200 shuffle blocks (AQE then coalesces the
    reduce side). At least the default parallelism; restored after the run."""
    sc = spark.sparkContext
    before = spark.conf.get(SHUFFLE_KEY)
    if sc.getConf().contains(SHUFFLE_KEY) or before != "200":  # set by the user
        yield
        return
    size = sum(max(f.size or 0, 0) for f in files)
    spark.conf.set(SHUFFLE_KEY, str(max(sc.defaultParallelism, -(-size // SHUFFLE_BYTES))))
    try:
        yield
    finally:
        spark.conf.set(SHUFFLE_KEY, before)


#: Stored input bytes per read partition beyond one per task slot (see read_partitions).
PARTITION_BYTES = 8 * 1024 * 1024


def read_partitions(slots: int, files: list[InputFile]) -> int:
    """Partitions a read with fewer tasks than this is spread to (``output.partitions``
    0): one per task slot (Spark's default parallelism) for a small input, up to two per
    slot, for balance, from ``PARTITION_BYTES`` of stored input per partition. A
    one-document run on 2 cores gets 2, not 2 × a fixed parallelism: every later job
    over the cached frame runs one task per partition, and most of a small run's time
    was those tasks' scheduling. An input of many files or byte ranges keeps its read
    tasks as partitions (``read_documents``)."""
    size = sum(max(f.size or 0, 0) for f in files)
    wanted = -(-size // PARTITION_BYTES)
    return max(2, min(2 * slots, max(slots, wanted)))


def _steps(spark: SparkSession, cfg: Config, files: list[InputFile], run_id: str,
           pub: out.Publication, layout: out.Layout, progress: Progress,
           state: State | None, activity: SparkActivity) -> RunResult:
    started = datetime.now(UTC)
    documents = sinks.sink(sinks.DEFAULT, spark, pub)
    # Tables winnow reads back (the report, the state) are Parquet whatever the output.
    tables = ParquetSink(spark, pub)
    df, tally = _read(spark, cfg, files, run_id, progress)
    ctx = RunContext(spark=spark, run_id=run_id, state=state,
                     checkpoint_dir=spark.conf.get("spark.checkpoint.dir", None))
    final, timing, persisted = annotate(df, cfg.stages, ctx, progress)
    crash_point("dedup")
    # Every read task has run by now (the frame is materialised): the source side.
    source = conservation.source_records(tally, files)
    others = conservation.non_document_records(tally)
    before_tail = activity.counts()
    counts, written, staged, timing.wall["write"] = _tail(
        spark, documents, tables, final, cfg, run_id, layout, state, progress)
    conservation.check(source, written, counts.kept)
    finished = datetime.now(UTC)
    rows = stats.stage_summary_rows(counts, cfg.stages, run_id, timing.wall, timing.cpu)
    manifest = _manifest(cfg, files, run_id, started, finished, source, counts, timing,
                         others)
    pub.fs.write_text(staged.pop("manifest.json"), json.dumps(manifest, indent=2, default=str))
    last = {"stage_summary": stats.stage_summary_frame(spark, rows),
            "run": _run_table(spark, cfg, files, run_id, started, finished, source, counts,
                              timing, activity.counts(), others)}
    sinks.run_concurrently(
        [lambda df=df, path=staged[name]: tables.save(_stats_frame(df, layout), path)
         for name, df in last.items()], TAIL_THREADS)
    for cached in persisted:
        cached.unpersist()
    result = RunResult(run_id, pub.target, counts, rows, manifest)
    result.spark_tail = activity.counts().minus(before_tail)
    return result


#: Concurrent Spark jobs of the tail. Each is small or I/O-bound next to the curation
#: work; run one after another, their scheduling latency was most of a small run's tail.
TAIL_THREADS = 6


def _tail(spark: SparkSession, documents: sinks.Sink, tables: sinks.Sink, final: DataFrame,
          cfg: Config, run_id: str, layout: out.Layout, state: State | None,
          progress: Progress) -> tuple[stats.Counts, dict[str, int], dict[str, str], float]:
    """Everything after the last stage that reads the final (cached) frame, as concurrent
    Spark jobs: the document parts, the counts by reason, the distinct ids, the
    statistics tables (winnow's and the stages') and, nightly, the indexes.

    Publication order stays deterministic: every part is staged here, on this thread, in
    the order kept, removed, quarantine, manifest, statistics (``stage_summary`` and
    ``run`` last); only the saves run concurrently. Returns the counts, the rows written
    per document part (Parquet footers, :func:`conservation.counted_rows`), the staged
    paths still to be written (``manifest.json``, ``stage_summary``, ``run``) and the
    wall seconds of the document writes.
    """
    progress.start("write")
    t0 = time.perf_counter()
    parts = [("kept", out.kept_frame(final)),
             ("removed", out.removed_frame(final, cfg.output.removed_text)),
             ("quarantine", out.quarantine_frame(final))]
    doc_saves = [documents.stage(part, df, layout.document(part)) for part, df in parts]
    # Staged before the statistics, so it is published right after the documents.
    staged = {"manifest.json": documents.pub.stage("manifest.json",
                                                   layout.document("manifest.json"))}
    stat_saves = [tables.stage(f"stats/{name}", lambda df=df: _stats_frame(df, layout),
                               layout.stats_table(name))
                  for name, df in _statistics(spark, final, cfg, run_id).items()]
    for name in ("stage_summary", "run"):  # made from the counts: written after them
        staged[name] = tables.pub.stage(f"stats/{name}", layout.stats_table(name))
    index_saves = _index_saves(tables, final, cfg, run_id, state) if state is not None else []
    wrote: list[float] = []

    def write_documents() -> None:
        sinks.run_concurrently(doc_saves, len(doc_saves))
        wrote.append(time.perf_counter() - t0)
        crash_point("write")

    results = sinks.run_concurrently(
        [write_documents, lambda: stats.aggregate(final, cfg.stages),
         lambda: final.select(F.count_distinct("id")).first()[0], *stat_saves, *index_saves],
        TAIL_THREADS)
    # Rows per written part from the Parquet footers (no read-back), and the distinct ids.
    written = {part: int(documents.rows(part)) for part in conservation.DOCUMENT_PARTS}
    written["_total"] = sum(written.values())
    written["_distinct_ids"] = int(results[2] or 0)
    return results[1], written, staged, wrote[0]


def _stats_frame(table: DataFrame | Callable[[], DataFrame],
                 layout: out.Layout) -> DataFrame:
    """A statistics table as written: one file (repartition, not coalesce: the table's own
    query keeps its parallelism); nightly tables drop ``run_id`` (it lives in the
    directory name)."""
    if callable(table):
        table = table()
    if layout.run_id is not None:
        table = table.drop("run_id")
    return table.repartition(1)


def _read(spark: SparkSession, cfg: Config, files: list[InputFile], run_id: str,
          progress: Progress) -> tuple[DataFrame, Accumulator]:
    """The inputs as one frame of documents and quarantine rows, and the tally of
    records per file its read tasks fill (the source side of conservation)."""
    sc = spark.sparkContext
    partitions = cfg.output.partitions or read_partitions(sc.defaultParallelism, files)
    progress.say(f"run {run_id}: {len(files)} input file(s), {len(cfg.stages)} stage(s), "
                 f"master {sc.master}")
    tally = conservation.record_tally(sc)
    return read_documents(spark, files, cfg.input, partitions, tally=tally), tally


def _statistics(spark: SparkSession, final: DataFrame, cfg: Config,
                run_id: str) -> dict[str, DataFrame | Callable[[], DataFrame]]:
    """The statistics tables of the final frame: winnow's own, then those of the stages.
    A table is a frame, or a function making one when its save runs (``signals``: its
    bin edges come from a first aggregation)."""
    tables: dict[str, DataFrame | Callable[[], DataFrame]] = {
        "domains": stats.domains_table(final, run_id),
        "examples": stats.examples_table(final, run_id),
        "signals": lambda: frame.local_frame(
            spark, stats.signals_table(final, cfg.stages, run_id), stats.SIGNALS_SCHEMA),
    }
    for stage in cfg.stages:
        if stage.mode != "off":
            tables.update(stage.stats_tables(final, run_id))
    return tables


def _index_saves(sink: sinks.Sink, final: DataFrame, cfg: Config, run_id: str,
                 state: State) -> list[Callable[[], None]]:
    """Nightly: each frame stage's index partitions, staged to move into the state before
    the commit; a stage writes only the indexes it declares (``index_names``)."""
    indexes: dict[str, DataFrame] = {}
    for stage in cfg.stages:
        if stage.mode != "off" and isinstance(stage, FrameStage):
            for name, table in stage.index_tables(final).items():
                if name not in stage.index_names:
                    raise InvariantError(f"stage {stage.name} wrote index {name!r}, which its "
                                         f"index_names {stage.index_names!r} do not declare")
                indexes[name] = table
    return [sink.stage(f"index/{name}", table, state.partition(f"index/{name}", run_id),
                       before_commit=True)
            for name, table in indexes.items()]


def _run_table(spark: SparkSession, cfg: Config, files: list[InputFile], run_id: str,
               started: datetime, finished: datetime, source: dict[str, int],
               counts: stats.Counts, timing: StageTiming, spark_work: JobCounts,
               others: dict[str, int]) -> DataFrame:
    """``stats/run``: one row of when, what, where and how many."""
    sc = spark.sparkContext
    row = (
        run_id, started, finished, cfg.hash, cfg.source, [f.path for f in files],
        winnow.__version__, spark.version, platform.python_version(), sc.master,
        sc.defaultParallelism, _pairs(timing.wall), _pairs(timing.cpu), sum(source.values()),
        counts.kept, counts.removed, counts.quarantined, timing.signal_passes,
        timing.signal_rows, timing.ids_renamed, spark_work.jobs, spark_work.stages,
        spark_work.tasks, list(others.items()),
    )
    return frame.local_frame(spark, [row], RUN_SCHEMA)


def _pairs(seconds: dict[str, float]) -> list[tuple[str, float]]:
    """A {stage: seconds} mapping as the ``STAGE_SECONDS`` list, in the order of the run."""
    return [(name, float(secs)) for name, secs in seconds.items()]


def _manifest(cfg: Config, files: list[InputFile], run_id: str, started: datetime,
              finished: datetime, source: dict[str, int], counts: stats.Counts,
              timing: StageTiming, others: dict[str, int]) -> dict:
    """``manifest.json``: the inputs, the config and the counts by reason."""
    return {
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
            "non_document_records": others,
        },
    }


def print_summary(result: RunResult, stream=sys.stdout) -> None:
    print(stats.format_summary(result.summary), file=stream)
    c = result.counts
    others = result.manifest.get("counts", {}).get("non_document_records") or {}
    if others:
        print("not documents (read, counted, no row): " + ", ".join(
            f"{kind} {n:,}" for kind, n in others.items()), file=stream)
    print(f"\nkept {c.kept:,} | removed {c.removed:,} | quarantined {c.quarantined:,} | "
          f"input {c.records:,}  →  {result.output}", file=stream)
    if result.spark is not None:
        w = result.spark
        print(f"spark: {w.jobs:,} jobs, {w.stages:,} stages, {w.tasks:,} tasks", file=stream)

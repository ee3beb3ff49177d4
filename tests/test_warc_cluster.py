"""``fineweb_from_warc.yaml`` through ``winnow submit`` on a real standalone cluster.

A master and two one-core workers on localhost (``cluster_fixture``); ``winnow submit
--run`` in its own process, as a user types it, over the shared WARC files (the
truncated one included) and a synth WARC file read in byte ranges (a small
``spark.winnow.input.splitBytes``). The executors import resiliparse, fastText and
numba themselves and get the recipe's ``asset:`` word lists through ``--files``. Its
output must hold conservation over an independent count of response records, keep
and remove the same pages for the same reasons as the in-process ``local[2]`` run of
the same recipe on the same files, and quarantine the truncated file with its source
and offset.

Sized for CI on 2 cores: 50 synth pages (3 ranges of 64 kB; the shared files give 12
more), 2 shuffle partitions on the cluster, and the local reference runs while the
cluster run does. What is left is mostly fixed cost per application (spark-submit,
executors starting, ~80 small Spark jobs) and, where the numba cache does not hold
this source tree yet, each executor compiling winnow's kernels (~40 s; in the whole
suite ``test_cluster.py`` has filled that cache by then).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cluster_fixture import spark_env, start_cluster
from conftest import ROOT
from test_warc import responses
from winnow import conservation
from winnow.io.listing import expand_inputs
from winnow.io.source import SPLIT_CONF, read_tasks
from winnow.synth.warc import generate_warc

pytestmark = pytest.mark.cluster

RECIPE = ROOT / "conf" / "recipes" / "fineweb_from_warc.yaml"
#: Synth pages: with the shared files' 54 responses, every stage removes something.
SYNTH_PAGES = 50
#: The synth file (~135 kB) is read as 3 byte ranges on the cluster and locally (the
#: shared files as 12 more): fewer ranges, fewer tasks in each of the job's ~80 jobs.
SPLIT_BYTES = "64000"
#: Small executors for a 2-core machine (as in test_cluster.py).
SMALL = {
    "spark.executor.cores": "1",
    "spark.executor.memory": "512m",
    "spark.executor.memoryOverhead": "384m",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "2",
    SPLIT_CONF: SPLIT_BYTES,
    # Short-lived JVMs on 2 cores: C2 compiler threads and G1's parallel threads cost
    # more CPU than they save (measured: executor JVMs 153 -> 70 CPU s, the driver JVM
    # 100 -> 54, spark-submit 200 -> 150 s). Prepended to winnow's own extraJavaOptions.
    "spark.driver.defaultJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "spark.executor.defaultJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
RUN_TIMEOUT = 900


@pytest.fixture(scope="module")
def crawl(shared_data, tmp_path_factory) -> list[Path]:
    """The shared WARC files and one synth WARC file of ``SYNTH_PAGES`` pages."""
    root = tmp_path_factory.mktemp("crawl")
    generate_warc(SYNTH_PAGES, str(root), seed=17, pages_per_file=SYNTH_PAGES)
    synth = sorted((root / "warc").glob("*.warc.gz"))
    assert len(synth) == 1 and synth[0].stat().st_size > 2 * int(SPLIT_BYTES)
    return sorted((shared_data / "warc").glob("*.warc.gz")) + synth


def outcome(out: Path) -> dict:
    """Rows of every output part, the manifest and its counts."""
    assert (out / "_SUCCESS").is_file()
    parts = {p: pq.read_table(out / p).to_pylist() for p in conservation.DOCUMENT_PARTS}
    manifest = json.loads((out / "manifest.json").read_text())
    return {"parts": parts, "counts": manifest["counts"], "manifest": manifest}


def read_stage_tasks(events: Path) -> list[int]:
    """Number of tasks of each stage of the application, in submission order, from its
    event log (one file per application, uncompressed)."""
    (log,) = events.iterdir()
    tasks = []
    for line in log.read_text().splitlines():
        event = json.loads(line)
        if event["Event"] == "SparkListenerStageSubmitted":
            tasks.append(event["Stage Info"]["Number of Tasks"])
    return tasks


def submit_line(log: str) -> list[str]:
    """The spark-submit command ``winnow submit`` printed (``winnow: cmd \\``, then one
    option per continued line), as its argument list."""
    lines = iter(log.splitlines())
    line = next(ln for ln in lines if ln.startswith("winnow: "))
    while line.endswith("\\"):
        line = line[:-1] + next(lines).lstrip()
    return shlex.split(line.removeprefix("winnow: "))


def local_reference(spark, crawl: list[Path], out: Path) -> dict:
    """The reference: the same recipe on the same files in the test's ``local[2]``."""
    from winnow import config, job
    from winnow.progress import Progress

    cfg = config.load(RECIPE)
    spark.conf.set(SPLIT_CONF, SPLIT_BYTES)
    try:
        job.run(spark, cfg, expand_inputs([str(p) for p in crawl], cfg.input.format),
                str(out), progress=Progress(quiet=True))
    finally:
        spark.conf.unset(SPLIT_CONF)
    return outcome(out)


@pytest.fixture(scope="module")
def runs(spark, crawl, tmp_path_factory) -> dict:
    """``winnow submit --run`` against a fresh standalone cluster and, while it runs, the
    in-process ``local[2]`` reference: on 2 cores both together take less time than one
    after the other (the cluster run's ~80 small Spark jobs, each planned by its driver,
    leave CPU idle in between). No process left after."""
    tmp = tmp_path_factory.mktemp("warc_cluster")
    events = tmp / "events"
    events.mkdir()
    cluster = start_cluster(tmp / "cluster")
    try:
        out = tmp / "out"
        winnow = str(Path(sys.executable).with_name("winnow"))
        argv = [winnow, "submit", "--master", cluster.master_url, "--run",
                "--config", str(RECIPE), "--input", *map(str, crawl), "--output", str(out),
                "--dist", str(tmp / "dist"),
                "--conf", f"spark.checkpoint.dir={tmp / 'checkpoints'}",
                *[f"--conf={k}={v}" for k, v in SMALL.items()],
                # One plain JSON-lines file per application (Spark 4 rolls and compresses
                # by default), read after the run.
                "--conf", "spark.eventLog.enabled=true", "--conf", f"spark.eventLog.dir={events}",
                "--conf", "spark.eventLog.rolling.enabled=false",
                "--conf", "spark.eventLog.compress=false"]
        log_path = tmp / "submit.log"
        with open(log_path, "wb") as log_file:  # a file, not a pipe: nobody reads meanwhile
            driver = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=spark_env(), cwd=tmp,
                                      start_new_session=True)
        try:
            local = local_reference(spark, crawl, tmp_path_factory.mktemp("warc_local") / "out")
            code = driver.wait(timeout=RUN_TIMEOUT)
        finally:
            if driver.poll() is None:  # the local run failed, or the timeout: no orphans
                os.killpg(driver.pid, signal.SIGKILL)
                driver.wait(timeout=30)
        log = log_path.read_text(errors="replace")
        assert code == 0, log[-6000:]
        apps = cluster.status()["completedapps"]
        assert [a["name"] for a in apps] == ["winnow"], apps  # it ran on the cluster
        cluster.wait_idle()
    finally:
        leftover = cluster.stop()
    assert not leftover, f"processes left after stopping the cluster: {leftover}"
    return {"cluster": (outcome(out), log, read_stage_tasks(events)), "local": local}


@pytest.fixture(scope="module")
def cluster_run(runs) -> tuple[dict, str, list[int]]:
    """The cluster run's output, its submit log and the task count of each Spark stage."""
    return runs["cluster"]


@pytest.fixture(scope="module")
def local_run(runs) -> dict:
    return runs["local"]


def test_submit_ships_the_word_lists_and_splits_the_synth_file(cluster_run, crawl,
                                                               assets_path):
    _, log, stage_tasks = cluster_run
    argv = submit_line(log)
    assert Path(argv[argv.index("--py-files") + 1]).name == "winnow-0.1.0.zip"
    # The recipe's asset: word lists, resolved here, go with --files.
    shipped = argv[argv.index("--files") + 1].split(",")
    assert sorted(shipped) == sorted(str(assets_path / "url-banned" / name) for name in
                                     ("banned_words.txt", "soft_banned_words.txt",
                                      "banned_subwords.txt"))
    confs = [argv[i + 1] for i, a in enumerate(argv) if a == "--conf"]
    assert f"{SPLIT_CONF}={SPLIT_BYTES}" in confs
    # And the driver on the cluster read with it: the first stage (the signal pass over
    # the input) has one task per byte range, 3 of them the synth file's.
    files = expand_inputs([str(p) for p in crawl], "warc")
    ranges = read_tasks(files, int(SPLIT_BYTES))
    synth = [f.path for f in files].index(str(crawl[-1]))
    assert sum(1 for t in ranges if t[0] == synth) >= 3
    assert stage_tasks[0] == len(ranges) > len(crawl)


def test_conservation_over_response_records(cluster_run, crawl):
    result = cluster_run[0]
    parts, counts = result["parts"], result["counts"]
    expected = {h["WARC-Record-ID"] for p in crawl for _, h in responses(p)}
    ids = [r["id"] for rows in parts.values() for r in rows]
    assert len(ids) == len(expected) == 22 + 15 + 16 + 1 + SYNTH_PAGES
    assert set(ids) == expected  # one row per response, none lost, none twice
    assert counts["input"] == len(ids)
    assert counts["input"] == counts["kept"] + counts["removed"] + counts["quarantined"]
    assert (counts["kept"], counts["removed"], counts["quarantined"]) == tuple(
        len(parts[p]) for p in conservation.DOCUMENT_PARTS)


def test_same_pages_kept_and_removed_as_local(cluster_run, local_run):
    result = cluster_run[0]
    here, there = result["parts"], local_run["parts"]
    kept = {r["id"]: r["text"] for r in here["kept"]}
    assert kept and kept == {r["id"]: r["text"] for r in there["kept"]}
    removed = {r["id"]: r["reason"] for r in here["removed"]}
    assert removed == {r["id"]: r["reason"] for r in there["removed"]}
    # Every filtering stage of the recipe removed something.
    families = {reason.split(":")[0] for reason in removed.values()}
    assert families == {"url", "extract", "lang", "gopher_repetition", "gopher_quality",
                        "fineweb", "dedup"}, families
    assert result["counts"] == local_run["counts"]


def test_truncated_file_quarantined_with_source_and_offset(cluster_run):
    (q,) = cluster_run[0]["parts"]["quarantine"]
    assert q["source"].endswith("truncated-record.warc.gz")
    assert (q["reason"], q["position"]) == ("input:truncated_file", 0)

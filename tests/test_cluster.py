"""winnow on a real standalone cluster (master + two workers on localhost).

The job goes through ``winnow submit`` → ``spark-submit jobs/curate.py`` in its own
process; its output must equal the in-process ``local[2]`` run's, also after the
driver is killed and the job re-run, and after an executor JVM is killed while
the signal pass runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
import venv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cluster_fixture import Driver, free_port, get_json, spark_env, start_cluster
from winnow import cli, submit

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]
C4_SAMPLE = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
#: The recipe every cluster test runs (the project's default pipeline).
CONFIG = ROOT / "conf" / "default.yaml"
#: Small executors for a 2-core machine; everything else comes from conf/spark/cluster.yaml.
SMALL = {
    "spark.executor.cores": "1",
    "spark.executor.memory": "512m",
    "spark.executor.memoryOverhead": "384m",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "4",
    # Differs from winnow's built-in default (2000): a --conf must win over it.
    "spark.sql.execution.arrow.maxRecordsPerBatch": "500",
}
RUN_TIMEOUT = 900


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running master and two registered one-core workers; no process left after."""
    c = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield c
    leftover = c.stop()
    assert not leftover, f"processes left after stopping the cluster: {leftover}"


def snapshot(out: Path) -> dict:
    """What must not depend on where the job ran: kept texts, removals, funnel, counts."""
    assert (out / "_SUCCESS").is_file()
    kept = pq.read_table(out / "kept", columns=["id", "text"]).to_pylist()
    removed = pq.read_table(out / "removed", columns=["id", "reason", "duplicate_of"])
    summary = pq.read_table(out / "stats" / "stage_summary")
    funnel = sorted(
        (r["stage_index"], r["stage"], r["outcome"], r["reason"] or "", r["documents"],
         r["characters"])
        for r in summary.select(["stage_index", "stage", "outcome", "reason", "documents",
                                 "characters"]).to_pylist()
    )
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    return {
        "kept": {r["id"]: hashlib.md5(r["text"].encode()).hexdigest() for r in kept},
        "removed": {r["id"]: (r["reason"], r["duplicate_of"]) for r in removed.to_pylist()},
        "quarantined": pq.read_table(out / "quarantine").num_rows,
        "funnel": funnel,
        "counts": counts,
    }


@pytest.fixture(scope="module")
def local_run(spark, tmp_path_factory) -> dict:
    """The reference: the same job in the test process's ``local[2]`` session."""
    from winnow import config, job, readers
    from winnow.progress import Progress

    cfg = config.load(CONFIG)
    out = tmp_path_factory.mktemp("local") / "out"
    job.run(spark, cfg, readers.expand_inputs([str(C4_SAMPLE)], cfg.input.format), str(out),
            progress=Progress(quiet=True))
    snap = snapshot(out)
    assert snap["counts"]["input"] == 1000 and snap["kept"]
    return snap


def submission(cluster, tmp: Path, output: str, *extra: str) -> tuple[list[str], str]:
    """The spark-submit argv ``winnow submit`` builds, plus the driver's UI address."""
    ui_port = free_port()
    conf = {**SMALL, "spark.ui.port": str(ui_port),
            "spark.checkpoint.dir": str(tmp / "checkpoints"),
            "spark.eventLog.enabled": "true", "spark.eventLog.compress": "false",
            "spark.eventLog.dir": f"file://{tmp / 'events'}"}
    (tmp / "events").mkdir(parents=True, exist_ok=True)
    args = cli.parser().parse_args([
        "submit", "--master", cluster.master_url, "--spark-profile", "cluster",
        "--config", str(CONFIG), "--input", str(C4_SAMPLE), "--output", output,
        "--dist", str(tmp / "dist"), *[f"--conf={k}={v}" for k, v in conf.items()], *extra,
    ])
    return submit.build(args).argv(), f"http://127.0.0.1:{ui_port}"


def events(tmp: Path) -> list[dict]:
    """The Spark event log of the one application run in ``tmp``."""
    logs = list((tmp / "events").iterdir())
    assert len(logs) == 1, logs
    # Spark 4 writes a directory of rolling files events_1_…, events_2_… per app.
    parts = sorted(logs[0].glob("events_*"), key=lambda p: int(p.name.split("_")[1]))
    return [json.loads(line) for part in parts for line in part.read_text().splitlines()]


def bare_python(tmp: Path) -> str:
    """A Python with winnow's dependencies but not winnow: executors running it can
    import winnow only from the ``--py-files`` zip."""
    env_dir = tmp / "bare-env"
    venv.create(env_dir, with_pip=False, symlinks=True)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    # A path in a .pth file is not scanned for .pth files, so the editable install
    # of winnow (itself a .pth) stays invisible.
    (site / "deps.pth").write_text(str(Path(pa.__file__).resolve().parents[1]) + "\n")
    python = str(env_dir / "bin" / "python")
    probe = subprocess.run([python, "-c", "import pyarrow, pyspark; import winnow"],
                           capture_output=True, text=True)
    assert "No module named 'winnow'" in probe.stderr, probe.stderr
    return python


def test_driver_killed_then_rerun_matches_local(cluster, local_run, tmp_path):
    """Kill the driver while it writes: nothing looks complete. Re-run (executors with
    winnow only from --py-files, output as a file:// URI): equal to the local run."""
    out = tmp_path / "out"
    argv, _ = submission(cluster, tmp_path / "first", str(out))
    first = Driver(argv, tmp_path / "driver-killed.log", spark_env())
    first.wait_for_line("stage write", timeout=RUN_TIMEOUT)
    while not list(out.glob("_staging/*/kept")) and first.proc.poll() is None:
        time.sleep(0.05)  # the writer has started on the kept documents
    first.kill()
    assert "published" not in first.output
    assert not (out / "_SUCCESS").exists()
    assert {p.name for p in out.iterdir()} == {"_staging"}, list(out.iterdir())
    cluster.wait_idle()

    python = bare_python(tmp_path)
    argv, _ = submission(cluster, tmp_path / "second", f"file://{out}", "--python", python)
    assert argv[argv.index("--py-files") + 1].endswith("winnow-0.1.0.zip")
    second = Driver(argv, tmp_path / "rerun.log", spark_env())
    interpreters: set[str] = set()
    while second.proc.poll() is None:
        interpreters |= cluster.python_workers()
        time.sleep(0.5)
    assert second.wait(RUN_TIMEOUT) == 0, second.output[-5000:]
    assert interpreters == {python}, interpreters
    assert snapshot(out) == local_run
    cluster.wait_idle()


def test_executor_killed_mid_signal_pass_output_unchanged(cluster, local_run, tmp_path):
    """SIGKILL an executor JVM while it runs signal-pass tasks; Spark re-runs the lost
    tasks on a new executor and the output equals the local run's."""
    out = tmp_path / "out"
    argv, ui = submission(cluster, tmp_path, str(out))
    driver = Driver(argv, tmp_path / "driver.log", spark_env())
    try:
        driver.wait_for_line("stage normalize", timeout=RUN_TIMEOUT)
        killed = kill_busy_executor(cluster, ui, driver)
        assert driver.wait(RUN_TIMEOUT) == 0, driver.output[-5000:]
    finally:
        if driver.proc.poll() is None:
            driver.kill()
    assert snapshot(out) == local_run

    log = events(tmp_path)
    removed = [e for e in log if e["Event"] == "SparkListenerExecutorRemoved"
               and e["Executor ID"] == killed]
    assert removed, f"executor {killed} was never reported lost"
    lost = [e for e in log if e["Event"] == "SparkListenerTaskEnd"
            and e["Task End Reason"]["Reason"] == "ExecutorLostFailure"]
    assert lost, "no task was running on the killed executor"
    props = next(e for e in log if e["Event"] == "SparkListenerEnvironmentUpdate")
    props = props["Spark Properties"]
    assert props["spark.sql.execution.arrow.maxRecordsPerBatch"] == "500"
    assert props["spark.sql.adaptive.skewJoin.enabled"] == "true"  # from cluster.yaml
    assert "spark.default.parallelism" not in props  # the local profile stays out
    cluster.wait_idle()


def kill_busy_executor(cluster, ui: str, driver: Driver, timeout: float = RUN_TIMEOUT) -> str:
    """SIGKILL the JVM of an executor with running tasks (seen on the driver's REST API,
    pid found among its worker's children); return the executor id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and driver.proc.poll() is None:
        try:
            apps = get_json(f"{ui}/api/v1/applications")
            execs = get_json(f"{ui}/api/v1/applications/{apps[0]['id']}/executors")
        except (OSError, IndexError):
            time.sleep(0.2)
            continue
        busy = [e["id"] for e in execs if e["id"] != "driver" and e["activeTasks"] > 0]
        pids = cluster.executors(apps[0]["id"]) if busy else {}
        for exec_id in busy:
            if exec_id in pids:
                os.kill(pids[exec_id][0], signal.SIGKILL)
                return exec_id
        time.sleep(0.05)
    pytest.fail(f"no executor was seen running tasks; driver log: {driver.log}")


"""winnow on a real standalone cluster (master + two workers on localhost).

The job runs the full pipeline (``conf/recipes/full_pipeline.yaml``: every heuristic
family, LID, exact and MinHash dedup) over the shared C4 sample plus near and exact
copies of some of its documents, so that MinHash has clusters to find. It goes
through ``winnow submit`` → ``spark-submit jobs/curate.py`` in its own process; its
output (kept texts, removals, ``dup_cluster``/``duplicate_of``, every stats table)
must equal the in-process ``local[2]`` run's and a ``local[1]`` run's, also after the
driver is killed and the job re-run, and after executor JVMs are killed in the
signal pass and in the MinHash stage.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
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
#: The recipe every cluster test runs: all stages that need no user-trained model.
CONFIG = ROOT / "conf" / "recipes" / "full_pipeline.yaml"
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
#: Stats columns that depend on the run, not on the documents.
VOLATILE = {"run_id", "wall_seconds", "cpu_seconds"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running master and two registered one-core workers; no process left after."""
    c = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield c
    leftover = c.stop()
    assert not leftover, f"processes left after stopping the cluster: {leftover}"


def plant_duplicates(sample: Path, target: Path) -> int:
    """Write copies of every 15th C4 document of ≥ 300 words, with ids of their own:
    a near copy (adjacent words swapped every 60 words: 5-gram Jaccard ≈ 0.8), for
    every second one a longer copy (a sentence appended: it outranks its original
    in the survivor order), for every fifth an exact copy. Return the number written."""
    with gzip.open(sample, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    sources = [d for d in docs if len(d["text"].split()) >= 300][::15]
    planted = []
    for j, doc in enumerate(sources):
        words = doc["text"].split(" ")
        for k in range(30, len(words) - 1, 60):
            words[k], words[k + 1] = words[k + 1], words[k]
        planted.append({"id": f"planted-near-{j:03d}", "url": doc["url"],
                        "text": " ".join(words)})
        if j % 2:
            planted.append({"id": f"planted-longer-{j:03d}", "url": doc["url"],
                            "text": doc["text"] + " The page was last updated in May."})
        if j % 5 == 0:
            planted.append({"id": f"planted-copy-{j:03d}", "url": doc["url"],
                            "text": doc["text"]})
    with open(target, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(d) + "\n" for d in planted)
    return len(planted)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """The C4 sample and its planted copies (one path for every run of the module)."""
    planted = tmp_path_factory.mktemp("input") / "planted.jsonl"
    assert plant_duplicates(C4_SAMPLE, planted) > 20
    return [str(C4_SAMPLE), str(planted)]


def _stable(value):
    """A comparable value: lists as tuples; floats to 12 significant digits, because
    sums over partitions of another shape differ in the last bits."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return tuple(_stable(v) for v in value)
    return value


def stats_tables(out: Path) -> dict[str, list[tuple]]:
    """Every stats table but ``run`` (timings, master), without run-dependent columns,
    as sorted rows."""
    tables = {}
    for path in sorted((out / "stats").iterdir()):
        if path.name == "run":
            continue
        table = pq.read_table(path)
        cols = [c for c in table.schema.names if c not in VOLATILE]
        rows = [tuple(_stable(r[c]) for c in cols) for r in table.select(cols).to_pylist()]
        tables[path.name] = [tuple(cols), *sorted(rows, key=repr)]
    return tables


def snapshot(out: Path) -> dict:
    """What must not depend on where the job ran: kept texts, removals with their
    survivors, MinHash clusters, every stats table, counts."""
    assert (out / "_SUCCESS").is_file()
    cluster_cols = ["dup_cluster", "dup_cluster_size"]
    kept = pq.read_table(out / "kept", columns=["id", "text", *cluster_cols]).to_pylist()
    removed = pq.read_table(out / "removed",
                            columns=["id", "reason", "duplicate_of", *cluster_cols])
    return {
        "kept": {r["id"]: (hashlib.md5(r["text"].encode()).hexdigest(), r["dup_cluster"],
                           r["dup_cluster_size"]) for r in kept},
        "removed": {r["id"]: (r["reason"], r["duplicate_of"], r["dup_cluster"],
                              r["dup_cluster_size"]) for r in removed.to_pylist()},
        "quarantined": pq.read_table(out / "quarantine").num_rows,
        "stats": stats_tables(out),
        "counts": json.loads((out / "manifest.json").read_text())["counts"],
    }


def assert_same(snap: dict, reference: dict) -> None:
    """Equal snapshots; else name the documents and stats rows that differ."""
    problems = []
    for part in ("kept", "removed"):
        here, there = snap[part], reference[part]
        ids = sorted(i for i in here.keys() | there.keys() if here.get(i) != there.get(i))
        problems += [f"{part} {i}: {here.get(i)} != {there.get(i)} (reference)"
                     for i in ids[:20]]
        if len(ids) > 20:
            problems.append(f"{part}: {len(ids) - 20} more documents differ")
    for name in sorted(snap["stats"].keys() | reference["stats"].keys()):
        here, there = snap["stats"].get(name, []), reference["stats"].get(name, [])
        if here != there:
            problems.append(f"stats/{name}: only here {[r for r in here if r not in there][:5]}"
                            f", only in the reference {[r for r in there if r not in here][:5]}")
    problems += [f"{part}: {snap[part]} != {reference[part]} (reference)"
                 for part in ("quarantined", "counts") if snap[part] != reference[part]]
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def local_run(spark, inputs, tmp_path_factory) -> dict:
    """The reference: the same job in the test process's ``local[2]`` session. It must
    exercise every part compared: rules, exact copies, near-duplicate clusters."""
    from winnow import config, job
    from winnow.io.listing import expand_inputs
    from winnow.progress import Progress

    cfg = config.load(CONFIG)
    out = tmp_path_factory.mktemp("local") / "out"
    job.run(spark, cfg, expand_inputs(inputs, cfg.input.format), str(out),
            progress=Progress(quiet=True))
    snap = snapshot(out)
    planted = sum(1 for _ in open(inputs[1], encoding="utf-8"))
    assert snap["counts"]["input"] == 1000 + planted
    reasons = {reason for reason, *_ in snap["removed"].values()}
    assert {"dedup:exact_duplicate", "dedup:near_duplicate"} <= reasons, reasons
    assert {r.split(":")[0] for r in reasons} >= {
        "gopher_quality", "gopher_repetition", "c4", "lang"}, reasons
    near = {i: v for i, v in snap["removed"].items() if v[0] == "dedup:near_duplicate"}
    # Every near duplicate points at a kept survivor of its own cluster, and some
    # survivors are the longer planted copies (priority: -input_chars before id).
    for _, survivor, dup_cluster, size in near.values():
        assert snap["kept"][survivor][1:] == (dup_cluster, size) and size > 1
    assert any(v[1].startswith("planted-longer-") for v in near.values())
    return snap


def submission(cluster, tmp: Path, inputs: list[str], output: str,
               *extra: str) -> tuple[list[str], str]:
    """The spark-submit argv ``winnow submit`` builds, plus the driver's UI address."""
    ui_port = free_port()
    conf = {**SMALL, "spark.ui.port": str(ui_port),
            "spark.checkpoint.dir": str(tmp / "checkpoints"),
            "spark.eventLog.enabled": "true", "spark.eventLog.compress": "false",
            "spark.eventLog.dir": f"file://{tmp / 'events'}"}
    (tmp / "events").mkdir(parents=True, exist_ok=True)
    args = cli.parser().parse_args([
        "submit", "--master", cluster.master_url, "--spark-profile", "cluster",
        "--config", str(CONFIG), "--input", *inputs, "--output", output,
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


def test_driver_killed_then_rerun_matches_local(cluster, inputs, local_run, tmp_path):
    """Kill the driver while it writes: nothing looks complete. Re-run (executors with
    winnow only from --py-files, output as a file:// URI): equal to the local run."""
    out = tmp_path / "out"
    argv, _ = submission(cluster, tmp_path / "first", inputs, str(out))
    first = Driver(argv, tmp_path / "driver-killed.log", spark_env())
    try:
        first.wait_for_line("stage write", timeout=RUN_TIMEOUT)
        while not list(out.glob("_staging/*/kept")) and first.proc.poll() is None:
            time.sleep(0.05)  # the writer has started on the kept documents
    finally:
        first.kill()
    assert "published" not in first.output
    assert not (out / "_SUCCESS").exists()
    assert {p.name for p in out.iterdir()} == {"_staging"}, list(out.iterdir())
    cluster.wait_idle()

    python = bare_python(tmp_path)
    argv, _ = submission(cluster, tmp_path / "second", inputs, f"file://{out}",
                         "--python", python)
    assert argv[argv.index("--py-files") + 1].endswith("winnow-0.1.0.zip")
    # The word lists of the recipe travel with --files.
    assert "banned_words.txt" in argv[argv.index("--files") + 1]
    second = Driver(argv, tmp_path / "rerun.log", spark_env())
    interpreters: set[str] = set()
    try:
        while second.proc.poll() is None:
            interpreters |= cluster.python_workers()
            time.sleep(0.5)
        assert second.wait(RUN_TIMEOUT) == 0, second.output[-5000:]
    finally:
        if second.proc.poll() is None:
            second.kill()
    assert interpreters == {python}, interpreters
    assert_same(snapshot(out), local_run)
    cluster.wait_idle()


def test_executors_killed_mid_signal_pass_and_mid_minhash_output_unchanged(
        cluster, inputs, local_run, tmp_path):
    """SIGKILL an executor JVM while it runs signal-pass tasks, and another while the
    MinHash stage runs (its cached input and signatures are lost with it); Spark
    re-runs the lost tasks on new executors and the output equals the local run's."""
    out = tmp_path / "out"
    argv, ui = submission(cluster, tmp_path, inputs, str(out))
    driver = Driver(argv, tmp_path / "driver.log", spark_env())
    try:
        driver.wait_for_line("stage normalize + url + lid", timeout=RUN_TIMEOUT)
        in_signals = kill_busy_executor(cluster, ui, driver)
        driver.wait_for_line("stage minhash_dedup", timeout=RUN_TIMEOUT)
        in_minhash = kill_busy_executor(cluster, ui, driver)
        assert driver.wait(RUN_TIMEOUT) == 0, driver.output[-5000:]
    finally:
        if driver.proc.poll() is None:
            driver.kill()
    assert in_signals != in_minhash
    assert_same(snapshot(out), local_run)

    log = events(tmp_path)
    gone = {e["Executor ID"] for e in log if e["Event"] == "SparkListenerExecutorRemoved"}
    assert {in_signals, in_minhash} <= gone, gone
    lost = [e for e in log if e["Event"] == "SparkListenerTaskEnd"
            and e["Task End Reason"]["Reason"] == "ExecutorLostFailure"]
    assert lost, "no task was running on a killed executor"
    props = next(e for e in log if e["Event"] == "SparkListenerEnvironmentUpdate")
    props = props["Spark Properties"]
    assert props["spark.sql.execution.arrow.maxRecordsPerBatch"] == "500"
    assert props["spark.sql.adaptive.skewJoin.enabled"] == "true"  # from cluster.yaml
    assert "spark.default.parallelism" not in props  # the local profile stays out
    cluster.wait_idle()


def test_local_one_core_matches_local_two(inputs, local_run, tmp_path):
    """``winnow run --master local[1]`` (one task at a time, other partitioning):
    the same output as the ``local[2]`` run."""
    out = tmp_path / "out"
    winnow = str(Path(sys.executable).with_name("winnow"))
    done = subprocess.run(
        [winnow, "run", "--master", "local[1]", "--config", str(CONFIG), "--input", *inputs,
         "--output", str(out), "--quiet"],
        capture_output=True, text=True, env=spark_env(), timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-5000:]
    assert_same(snapshot(out), local_run)


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


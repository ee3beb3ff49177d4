"""Object storage for real: nightly runs on ``s3a://`` against a running S3 API server.

``moto_server`` on 127.0.0.1 (tests/s3_fixture.py) speaks the S3 HTTP API; winnow
reaches it through Spark's S3A connector (``make jars``, ``--spark-profile s3``) and
pyarrow. One corpus (JSONL.gz and Parquet inputs), three scenarios, five winnow
processes in all:

* two runs start at once on the same ``s3a://`` state, both paused just before they
  create the lease (after each saw none): exactly one proceeds, the other exits with
  the lock message; the one that proceeds gives the same kept ids, removals and
  statistics as the same run on local files (run in-process here);
* a run SIGKILLed before its commit, then again after its commit in the middle of its
  publication (after the first file of its first output move, where S3's rename is a
  copy per file): no output looks complete, the commit survives, and the re-run's
  output equals the clean run's; nothing is admitted twice.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import C4_SAMPLE
from s3_fixture import BUCKET, s3_server, winnow_env  # noqa: F401 - fixture
from winnow import config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = [pytest.mark.s3, pytest.mark.spark]

EXACT = {"stages": [{"stage": "normalize"}, {"stage": "exact_dedup"}]}
LOCK_MESSAGE = "is locked by run"
TIMEOUT = 900


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, s3_server):  # noqa: F811
    """30 C4 documents as JSONL.gz, 10 more plus 5 exact copies as Parquet; the same
    files locally and under ``s3a://winnow/in/``."""
    d = tmp_path_factory.mktemp("s3")
    (d / "exact.yaml").write_text(json.dumps(EXACT))
    with gzip.open(C4_SAMPLE, "rt") as f:
        docs = [dict(json.loads(next(f)), id=f"c4-{i:04d}") for i in range(40)]
    inp = d / "in"
    inp.mkdir()
    with gzip.open(inp / "day1.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(doc) + "\n" for doc in docs[:30])
    copies = [dict(docs[i], id=f"copy-{i:04d}") for i in range(0, 30, 6)]
    rows = [{"id": x["id"], "text": x["text"]} for x in docs[30:] + copies]
    pq.write_table(pa.Table.from_pylist(rows), inp / "day1.parquet")
    # WARC on s3a:// has its own test (tests/test_warc_s3.py: split reads, counts,
    # quarantine); this corpus stays JSONL and Parquet.
    names = ["day1.jsonl.gz", "day1.parquet"]
    for name in names:
        s3_server.upload(inp / name, f"in/{name}")
    return d


def _cli(server, cfg: Path, prefix: str, **env: str) -> subprocess.Popen:
    """``winnow run`` on ``s3a://winnow/in/`` with output and state under ``prefix``."""
    s3 = f"s3a://{BUCKET}/{prefix}"
    return subprocess.Popen(
        [sys.executable, "-m", "winnow.cli", "run", "--config", str(cfg),
         "--input", f"s3a://{BUCKET}/in/", "--output", f"{s3}/out", "--state",
         f"{s3}/state", "--run-id", "day1", "--spark-profile", "s3", "--master", "local[1]",
         "--quiet"],
        env=winnow_env(server, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, err


def _wait_for(paths: list[Path], procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not all(p.exists() for p in paths):
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"run ended early: {proc.communicate()[1][-3000:]}")
        assert time.monotonic() < deadline, "runs never reached the lease"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def local(spark, corpus, tmp_path_factory):
    """The reference: the same nightly run on local files, in this process."""
    out = tmp_path_factory.mktemp("local")
    files = expand_inputs([str(corpus / "in")])
    job.run(spark, config.load(corpus / "exact.yaml"), files, str(out / "out"),
            run_id="day1", state_dir=str(out / "state"), progress=Progress(quiet=True))
    return out


@pytest.fixture(scope="module")
def race(s3_server, corpus, tmp_path_factory):  # noqa: F811
    """Two runs on one state, each paused after it found no lease, released together."""
    gates = tmp_path_factory.mktemp("gates")
    procs = [_cli(s3_server, corpus / "exact.yaml", "race", WINNOW_PAUSE_AT="lease",
                  WINNOW_PAUSE_FILE=str(gates / name)) for name in ("a", "b")]
    try:
        _wait_for([gates / "a.reached", gates / "b.reached"], procs)
        for name in ("a", "b"):
            (gates / name).touch()
        return [_finish(p) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@pytest.fixture(scope="module")
def crashes(s3_server, corpus, race):  # noqa: F811
    """Killed before the commit ('index'), then after it in the middle of the first
    output move ('move-<n>': n = files the state's partitions take, plus one), then a
    clean re-run; returns what each attempt left behind."""
    moved_before_commit = len([k for k in s3_server.keys("race/state/")
                               if "/run_id=day1/" in k and not k.endswith("/")])
    seen = []
    for crash in ("index", f"move-{moved_before_commit + 1}", ""):
        env = {"WINNOW_CRASH_AT": crash} if crash else {}
        code, err = _finish(_cli(s3_server, corpus / "exact.yaml", "crash", **env))
        seen.append((code, err, s3_server.keys("crash/")))
    return seen


def _rows(server, path: str) -> list[tuple]:
    """Sorted (id, reason, duplicate_of) of a document part, local or ``s3a://``."""
    if path.startswith("s3a://"):
        dataset = ds.dataset(path[len("s3a://"):], filesystem=server.filesystem(),
                             format="parquet", partitioning="hive")
    else:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
    table = dataset.to_table()
    cols = [c for c in ("id", "reason", "duplicate_of") if c in table.column_names]
    return sorted(tuple(r[c] for c in cols) for r in table.select(cols).to_pylist())


#: Columns of the statistics tables that differ between two identical runs (timings,
#: where and how they ran); everything else must match.
RUN_DEPENDENT = {"started_at", "finished_at", "config_path", "inputs", "master",
                 "default_parallelism", "stage_wall_seconds", "stage_cpu_seconds",
                 "wall_seconds", "cpu_seconds", "spark_jobs", "spark_stages", "spark_tasks",
                 "python_version"}


def _stats(server, root: str) -> dict[str, list]:
    """Every statistics table of run day1, without its run-dependent columns."""
    from pyarrow import fs as pafs

    s3 = root.startswith("s3a://")
    fs = server.filesystem() if s3 else pafs.LocalFileSystem()
    base = root[len("s3a://"):] if s3 else root
    tables = {}
    for info in fs.get_file_info(pafs.FileSelector(f"{base}/stats")):
        table = ds.dataset(f"{info.path}/run_id=day1", filesystem=fs,
                           format="parquet").to_table()
        table = table.drop_columns([c for c in table.column_names if c in RUN_DEPENDENT])
        tables[info.base_name] = sorted(json.dumps(r, sort_keys=True, default=str)
                                        for r in table.to_pylist())
    assert "stage_summary" in tables and "run" in tables, sorted(tables)
    return tables


def _manifest_counts(server, root: str) -> dict:
    if root.startswith("s3a://"):
        key = root[len(f"s3a://{BUCKET}/"):] + "/manifest.json"
        body = server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return json.loads(body)["counts"]
    return json.loads(Path(root, "manifest.json").read_text())["counts"]


def _same_run(server, got: str, want: str) -> None:
    for part in ("kept", "removed", "quarantine"):
        assert _rows(server, f"{got}/run_id=day1/{part}") == _rows(
            server, f"{want}/run_id=day1/{part}"), part
    assert _manifest_counts(server, f"{got}/run_id=day1") == _manifest_counts(
        server, f"{want}/run_id=day1")
    assert _stats(server, got) == _stats(server, want)


def test_two_runs_at_once_exactly_one_proceeds(race):
    codes = sorted(code for code, _ in race)
    assert codes[0] == 0 and codes[1] != 0, [err[-2000:] for _, err in race]
    loser = next(err for code, err in race if code != 0)
    assert "locked by another run just now" in loser or LOCK_MESSAGE in loser, loser[-2000:]
    assert "Traceback" not in loser


def test_s3_run_matches_the_local_run(s3_server, race, local):  # noqa: F811
    keys = s3_server.keys("race/")
    assert "race/out/run_id=day1/_SUCCESS" in keys
    assert "race/state/commits/day1.json" in keys and "race/state/_lock" not in keys
    # S3A keeps an empty directory as a marker object ("…/_staging/"): not a file.
    assert not [k for k in keys if ("/_staging/" in k or "__magic" in k)
                and not k.endswith("/")], keys
    _same_run(s3_server, f"s3a://{BUCKET}/race/out", str(local / "out"))
    kept = _rows(s3_server, f"s3a://{BUCKET}/race/out/run_id=day1/kept")
    removed = _rows(s3_server, f"s3a://{BUCKET}/race/out/run_id=day1/removed")
    # Every input document is accounted for; the Parquet copies of JSONL documents go.
    assert {r[0] for r in removed if r[1].startswith("dedup")} >= {
        f"copy-{i:04d}" for i in range(0, 30, 6)}
    assert len(kept) >= 35


def test_no_crashed_attempt_looks_complete(crashes):
    (code1, err1, keys1), (code2, err2, keys2), _ = crashes
    assert code1 == -9, err1[-2000:]
    assert "crash/out/run_id=day1/_SUCCESS" not in keys1
    assert "crash/state/commits/day1.json" not in keys1
    assert code2 == -9, err2[-2000:]
    # Killed after its commit, with its publication half done: not complete-looking.
    assert "crash/state/commits/day1.json" in keys2
    assert "crash/out/run_id=day1/_SUCCESS" not in keys2
    assert "crash/out/run_id=day1/manifest.json" not in keys2
    assert [k for k in keys2 if k.endswith(".moving")], "the kill was not inside a move"


def test_rerun_after_crashes_matches_the_clean_run(s3_server, crashes):  # noqa: F811
    code, err, keys = crashes[-1]
    assert code == 0, err[-2000:]
    assert "crash/out/run_id=day1/_SUCCESS" in keys
    assert "crash/state/published/day1" in keys and "crash/state/_lock" not in keys
    assert not [k for k in keys if ("/_staging/" in k and not k.endswith("/"))
                or k.endswith(".moving")], keys
    _same_run(s3_server, f"s3a://{BUCKET}/crash/out", f"s3a://{BUCKET}/race/out")
    # Nothing admitted twice: one ledger row per input, one commit.
    ledger = ds.dataset(f"{BUCKET}/crash/state/ledger", filesystem=s3_server.filesystem(),
                        format="parquet", partitioning="hive").to_table().to_pylist()
    assert sorted(r["path"].rsplit("/", 1)[1] for r in ledger) == sorted(
        k.rsplit("/", 1)[1] for k in s3_server.keys("in/"))
    assert [k for k in keys if k.startswith("crash/state/commits/")] == [
        "crash/state/commits/day1.json"]

"""Nightly trust: recovery across run ids, renewed and checked leases, atomic --overwrite."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from conftest import C4_SAMPLE, ROOT
from winnow import config, job
from winnow.fs import HadoopFS
from winnow.io.listing import expand_inputs
from winnow.progress import Progress
from winnow.state import LockedError, State

pytestmark = pytest.mark.spark

DEFAULT = ROOT / "conf" / "default.yaml"
#: Nightly runs here need an index, not MinHash: normalise and exact dedup keep them quick.
EXACT = {"stages": [{"stage": "normalize"}, {"stage": "exact_dedup"}]}
#: An earlier output's config, with a statistics table (c4_lines) the default lacks.
C4 = {"stages": [{"stage": "normalize"}, {"stage": "c4", "mode": "annotate"}]}


def _write(path: Path, docs: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[Path], list[Path]]:
    """Day 1: 40 C4 documents. Day 2: 30 new ones and exact copies of 8 day-1 documents."""
    d = tmp_path_factory.mktemp("trust")
    for name, cfg in (("exact", EXACT), ("c4", C4)):
        (d / f"{name}.yaml").write_text(json.dumps(cfg))
    with gzip.open(C4_SAMPLE, "rt") as f:
        docs = [dict(json.loads(next(f)), id=f"c4-{i:04d}") for i in range(70)]
    copies = [dict(docs[i], id=f"copy-{i:04d}") for i in range(0, 40, 5)]
    return (d, [_write(d / "in" / "day1.jsonl", docs[:40])],
            [_write(d / "in" / "day2.jsonl", docs[40:] + copies)])


def _run(spark, inputs, out, run_id, cfg, state=None, overwrite=False):
    files = expand_inputs([str(p) for p in inputs])
    return job.run(spark, config.load(cfg), files, str(out), run_id=run_id, overwrite=overwrite,
                   state_dir=str(state) if state else None, progress=Progress(quiet=True))


def _cli(args: list[str], crash: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", WINNOW_CRASH_AT=crash)
    return subprocess.run([sys.executable, "-m", "winnow.cli", "run", *args, "--master",
                           "local[1]", "--quiet"], env=env, capture_output=True, text=True,
                          timeout=600)


def _rows(path: Path) -> list[tuple]:
    table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
    cols = [c for c in ("id", "reason", "duplicate_of") if c in table.column_names]
    return sorted(tuple(r[c] for c in cols) for r in table.select(cols).to_pylist())


def _same_output(got: Path, want: Path) -> None:
    assert (got / "_SUCCESS").exists()
    for part in ("kept", "removed", "quarantine"):
        assert _rows(got / part) == _rows(want / part), part
    counts = [json.loads((p / "manifest.json").read_text())["counts"] for p in (got, want)]
    assert counts[0] == counts[1]


@pytest.fixture(scope="module")
def clean(spark, corpus):
    """Day 1 and day 2 run without faults: the reference."""
    d, day1, day2 = corpus
    out, state = d / "clean" / "out", d / "clean" / "state"
    _run(spark, day1, out, "day1", d / "exact.yaml", state)
    _run(spark, day1 + day2, out, "day2", d / "exact.yaml", state)
    return out, state


def test_next_run_publishes_a_run_that_died_after_its_commit(spark, corpus, clean, tmp_path):
    d, day1, day2 = corpus
    out, state = tmp_path / "out", tmp_path / "state"
    crashed = _cli(["--config", str(d / "exact.yaml"), "--input", str(day1[0]),
                    "--output", str(out), "--state", str(state), "--run-id", "day1"],
                   crash="publish")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert (state / "commits" / "day1.json").exists()
    assert not (out / "run_id=day1" / "_SUCCESS").exists()
    # The next day, under a new run id: day 1 is published first, then day 2 runs.
    _run(spark, day1 + day2, out, "day2", d / "exact.yaml", state)
    for run in ("day1", "day2"):
        _same_output(out / f"run_id={run}", clean[0] / f"run_id={run}")
        assert (state / "published" / run).exists()
        assert (out / "stats" / "run" / f"run_id={run}").is_dir()
    assert not (state / "_staging" / "day1").exists()
    # Day 2's recrawls point at documents that can be read in day 1's output.
    kept1 = {r[0] for r in _rows(out / "run_id=day1" / "kept")}
    dups = {r[0]: r[2] for r in _rows(out / "run_id=day2" / "removed")
            if r[1] == "dedup:duplicate_of_published"}
    assert len(dups) == 8 and set(dups.values()) <= kept1


def _steal_at(point: str, gate: Path, state: Path, spark, monkeypatch) -> threading.Thread:
    """Pause the run at ``point`` and rewrite its lease there: same owner (host:pid, as
    a restarted driver with the same pid would have) but another token."""
    monkeypatch.setenv("WINNOW_PAUSE_AT", point)
    monkeypatch.setenv("WINNOW_PAUSE_FILE", str(gate))
    fs = HadoopFS(spark)

    def steal():
        while not Path(f"{gate}.reached").exists():
            time.sleep(0.05)
        thief = {"owner": f"{socket.gethostname()}:{os.getpid()}", "token": "thief",
                 "run_id": "thief", "expires_at": time.time() + 3600, "ttl": 3600}
        fs.write_text(str(state / "_lock"), json.dumps(thief))
        gate.touch()

    thread = threading.Thread(target=steal, daemon=True)
    thread.start()
    return thread


def test_lease_is_renewed_while_the_run_lasts(spark, corpus, tmp_path, monkeypatch):
    d, day1, _ = corpus
    out, state, gate = tmp_path / "out", tmp_path / "state", tmp_path / "gate"
    ttl = 1.5
    monkeypatch.setenv("WINNOW_LOCK_TTL", str(ttl))
    monkeypatch.setenv("WINNOW_PAUSE_AT", "index")
    monkeypatch.setenv("WINNOW_PAUSE_FILE", str(gate))
    seen: dict = {}

    def watch():
        while not Path(f"{gate}.reached").exists():
            time.sleep(0.05)
        first = json.loads((state / "_lock").read_text())
        time.sleep(3 * ttl)  # twice as long as the lease lives unrenewed
        seen["first"], seen["later"] = first, json.loads((state / "_lock").read_text())
        seen["now"] = time.time()
        try:
            State(spark, str(state)).acquire("intruder")
        except LockedError as exc:
            seen["refused"] = str(exc)
        gate.touch()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = _run(spark, day1, out, "day1", d / "exact.yaml", state)
    watcher.join(timeout=60)
    assert result is not None and (out / "run_id=day1" / "_SUCCESS").exists()
    first, later = seen["first"], seen["later"]
    assert later["token"] == first["token"] and later["acquired_at"] == first["acquired_at"]
    assert later["expires_at"] >= first["expires_at"] + 2 * ttl
    assert later["expires_at"] > seen["now"] > first["acquired_at"] + 2 * ttl
    assert "locked by run day1" in seen["refused"]
    assert not (state / "_lock").exists()


def test_run_that_lost_its_lease_commits_nothing(spark, corpus, clean, tmp_path, monkeypatch):
    d, day1, _ = corpus
    out, state, gate = tmp_path / "out", tmp_path / "state", tmp_path / "gate"
    thief = _steal_at("index", gate, state, spark, monkeypatch)
    with pytest.raises(LockedError, match="run day1 lost its lease .* nothing committed"):
        _run(spark, day1, out, "day1", d / "exact.yaml", state)
    thief.join(timeout=60)
    assert not list((state / "commits").glob("*"))
    assert not (out / "run_id=day1").exists() and not (out / "stats").exists()
    for table in ("ledger", "index/exact", "index/minhash"):
        assert not (state / table).exists(), table
    assert json.loads((state / "_lock").read_text())["token"] == "thief"  # not released
    assert (state / "_staging" / "day1" / "publish" / "ledger").is_dir()  # left for cleanup
    # Once the other writer is done, the same command cleans up and runs day 1.
    monkeypatch.delenv("WINNOW_PAUSE_AT")
    (state / "_lock").unlink()
    _run(spark, day1, out, "day1", d / "exact.yaml", state)
    _same_output(out / "run_id=day1", clean[0] / "run_id=day1")


def test_compaction_that_lost_its_lease_commits_nothing(spark, clean, tmp_path, monkeypatch):
    state_dir = tmp_path / "state"
    shutil.copytree(clean[1], state_dir)
    state = State(spark, str(state_dir))
    before = sorted((r["id"], r["run_id"]) for r in state.index("exact").collect())
    thief = _steal_at("compact", tmp_path / "gate", state_dir, spark, monkeypatch)
    with pytest.raises(LockedError, match="lost its lease"):
        state.compact_index()
    thief.join(timeout=60)
    assert not (state_dir / "compactions").exists()
    assert sorted((r["id"], r["run_id"]) for r in state.index("exact").collect()) == before
    assert len(list((state_dir / "index" / "exact").glob("run_id=*"))) == 2


def test_overwrite_killed_mid_publication_then_rerun(spark, corpus, tmp_path):
    d, day1, day2 = corpus
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    # The old output: another config, with a table (c4_lines) the new one lacks.
    _run(spark, day1, out, "old", d / "c4.yaml")
    assert (out / "stats" / "c4_lines").is_dir()
    args = ["--config", str(DEFAULT), "--input", str(day1[0]), str(day2[0]),
            "--output", str(out), "--run-id", "new", "--overwrite"]
    crashed = _cli(args, crash="publish-part")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert (out / "kept").is_dir()
    assert not (out / "_SUCCESS").exists() and not (out / "manifest.json").exists()
    assert not (out / "stats" / "c4_lines").exists()
    # The same command again completes it: equal to a fresh run, nothing stale.
    _run(spark, day1 + day2, out, "new", DEFAULT, overwrite=True)
    _run(spark, day1 + day2, fresh, "new", DEFAULT)
    _same_output(out, fresh)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in fresh.iterdir())
    assert sorted(p.name for p in (out / "stats").iterdir()) == sorted(
        p.name for p in (fresh / "stats").iterdir())
    assert json.loads((out / "manifest.json").read_text())["run_id"] == "new"

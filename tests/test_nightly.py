"""Nightly incremental runs: ledger, index against published, idempotence, lock, crashes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from conftest import C4_SAMPLE, ROOT
from winnow import config, job, readers
from winnow.errors import WinnowError
from winnow.progress import Progress
from winnow.state import LockedError

pytestmark = pytest.mark.spark

CONFIG = ROOT / "conf" / "default.yaml"


def _docs():
    with gzip.open(C4_SAMPLE, "rt") as f:
        docs = [json.loads(line) for line in f]
    for i, d in enumerate(docs):
        d["id"] = f"c4-{i:04d}"
    return docs


def _write(path: Path, docs: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def _run(spark, inputs, out, state, run_id):
    cfg = config.load(CONFIG)
    files = readers.expand_inputs([str(p) for p in inputs])
    return job.run(spark, cfg, files, str(out), run_id=run_id, state_dir=str(state),
                   progress=Progress(quiet=True))


def _rows(path: Path):
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Day 1: 400 docs in two files. Day 2: 200 new docs, plus 40 exact copies of
    day-1 documents under new ids (the planted copies)."""
    d = tmp_path_factory.mktemp("nightly")
    docs = _docs()
    day1 = [_write(d / "in" / "day1-a.jsonl", docs[:200]),
            _write(d / "in" / "day1-b.jsonl", docs[200:400])]
    copies = [dict(docs[i], id=f"copy-{i:04d}") for i in range(0, 400, 10)]
    day2 = [_write(d / "in" / "day2.jsonl", docs[400:600] + copies)]
    return d, day1, day2, {c["id"]: f"c4-{int(c['id'][5:]):04d}" for c in copies}


@pytest.fixture(scope="module")
def two_days(spark, corpus):
    d, day1, day2, planted = corpus
    out, state = d / "out", d / "state"
    r1 = _run(spark, day1, out, state, "day1")
    r2 = _run(spark, day1 + day2, out, state, "day2")
    return out, state, r1, r2


def test_day2_removes_exactly_the_planted_copies(two_days, corpus):
    out, state, r1, r2 = two_days
    _, _, _, planted = corpus
    kept1 = {r["id"] for r in _rows(out / "run_id=day1" / "kept")}
    removed2 = _rows(out / "run_id=day2" / "removed")
    published = {r["id"]: r["duplicate_of"] for r in removed2
                 if r["reason"] == "dedup:duplicate_of_published"}
    expected = {c: o for c, o in planted.items() if o in kept1}
    assert published == expected
    assert len(expected) >= 30
    kept2 = {r["id"] for r in _rows(out / "run_id=day2" / "kept")}
    assert not kept2 & set(planted)
    # Day 2 processed only its new file; day-1 files are skipped via the ledger.
    assert r2.counts.records == 240
    assert {Path(i["path"]).name for i in r2.manifest["inputs"]} == {"day2.jsonl"}
    # The genuinely new documents are judged on their own merits.
    assert r2.counts.kept == 240 - r2.counts.removed - r2.counts.quarantined
    assert len(kept2) == r2.counts.kept and len(kept2) > 100


def test_stats_append_under_run_partitions(two_days):
    out, *_ = two_days
    summary = _rows(out / "stats" / "stage_summary")
    assert {r["run_id"] for r in summary} == {"day1", "day2"}
    runs = _rows(out / "stats" / "run")
    assert sorted(r["run_id"] for r in runs) == ["day1", "day2"]
    for name in ("kept", "removed", "quarantine"):
        assert (out / "run_id=day1" / name).is_dir()
    assert (out / "run_id=day1" / "_SUCCESS").exists()
    assert (out / "run_id=day2" / "_SUCCESS").exists()


def test_index_and_ledger_grow_with_published(two_days):
    _, state, r1, r2 = two_days
    index = _rows(state / "index" / "exact")
    assert len(index) == r1.counts.kept + r2.counts.kept
    assert {r["run_id"] for r in index} == {"day1", "day2"}
    ledger = _rows(state / "ledger")
    assert sorted(Path(r["path"]).name for r in ledger) == [
        "day1-a.jsonl", "day1-b.jsonl", "day2.jsonl"]
    assert sorted(p.name for p in (state / "commits").glob("*.json")) == ["day1.json", "day2.json"]
    assert not (state / "_lock").exists()


def test_rerun_is_a_no_op(spark, two_days, corpus):
    out, state, *_ = two_days
    _, day1, day2, _ = corpus
    before = sorted(r["id"] for r in _rows(out / "run_id=day2" / "kept"))
    assert _run(spark, day1 + day2, out, state, "day2") is None
    assert _run(spark, day1, out, state, "day1") is None
    assert _run(spark, day1 + day2, out, state, "day3") is None  # nothing new
    assert not (out / "run_id=day3").exists()
    assert sorted(r["id"] for r in _rows(out / "run_id=day2" / "kept")) == before


def test_changed_input_is_reported(spark, two_days, corpus, tmp_path):
    out, state, *_ = two_days
    d, day1, _, _ = corpus
    changed = tmp_path / "day1-a.jsonl"
    changed.write_text(day1[0].read_text() + json.dumps({"text": "one more"}) + "\n")
    files = readers.expand_inputs([str(changed)])
    moved = [readers.InputFile(str(day1[0]), f.size, f.mtime, f.format) for f in files]
    cfg = config.load(CONFIG)
    with pytest.raises(WinnowError, match="changed since run day1"):
        job.run(spark, cfg, moved, str(out), run_id="day4", state_dir=str(state),
                progress=Progress(quiet=True))


def test_second_run_is_locked_out(spark, corpus, tmp_path):
    _, day1, _, _ = corpus
    state = tmp_path / "state"
    state.mkdir()
    (state / "_lock").write_text(json.dumps(
        {"owner": "other-host:1", "run_id": "other", "expires_at": 4102444800}))
    with pytest.raises(LockedError, match="locked by run other"):
        _run(spark, day1, tmp_path / "out", state, "x")
    assert not (tmp_path / "out").exists()


def _cli_run(inputs, out, state, run_id, crash=None):
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    env.pop("WINNOW_CRASH_AT", None)
    if crash:
        env["WINNOW_CRASH_AT"] = crash
    cmd = [sys.executable, "-m", "winnow.cli", "run", "--config", str(CONFIG), "--input",
           *map(str, inputs), "--output", str(out), "--state", str(state), "--run-id", run_id,
           "--master", "local[1]", "--quiet"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("point", ["write", "commit", "publish"])
def test_crash_then_rerun_equals_clean_run(spark, two_days, corpus, tmp_path, point):
    """SIGKILL the driver at a phase of day 2, re-run: same output and index as clean."""
    out_clean, state_clean, *_ = two_days
    d, day1, day2, _ = corpus
    out, state = tmp_path / "out", tmp_path / "state"
    assert _run(spark, day1, out, state, "day1") is not None
    crashed = _cli_run(day1 + day2, out, state, "day2", crash=point)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert not (out / "run_id=day2" / "_SUCCESS").exists()
    # The re-run (in this process) recovers: cleans up or finishes the publication.
    _run(spark, day1 + day2, out, state, "day2")
    assert (out / "run_id=day2" / "_SUCCESS").exists()
    for part in ("kept", "removed", "quarantine"):
        got = sorted((r["id"], r.get("reason")) for r in _rows(out / "run_id=day2" / part))
        want = sorted((r["id"], r.get("reason")) for r in _rows(out_clean / "run_id=day2" / part))
        assert got == want, part
    idx = sorted((r["id"], r["run_id"]) for r in _rows(state / "index" / "exact"))
    want_idx = sorted((r["id"], r["run_id"]) for r in _rows(state_clean / "index" / "exact"))
    assert idx == want_idx
    runs = sorted(r["run_id"] for r in _rows(out / "stats" / "run"))
    assert runs == ["day1", "day2"]

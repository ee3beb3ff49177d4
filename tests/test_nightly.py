"""Nightly incremental runs: ledger, index against published, idempotence, lock, crashes."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml
from conftest import C4_SAMPLE, ROOT
from winnow import config, job
from winnow.errors import ConfigError, WinnowError
from winnow.io.listing import InputFile, expand_inputs
from winnow.progress import Progress
from winnow.state import LockedError, State

pytestmark = pytest.mark.spark

#: Normalisation, exact dedup and MinHash-LSH: both indexes are exercised.
CONFIG = ROOT / "conf" / "recipes" / "minhash.yaml"


def _words(text: str) -> list[str]:
    return text.lower().split()


def _jaccard5(a: str, b: str) -> float:
    """Exact Jaccard of word 5-gram sets (the ground truth, independent of winnow)."""
    def grams(t):
        w = _words(t)
        return {tuple(w[i:i + 5]) for i in range(len(w) - 4)}
    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def _near_copy(text: str, rng: random.Random) -> str:
    """Delete two words of a 200+-word document: a near copy with 5-gram Jaccard > 0.9,
    which 14 x 8 LSH misses with probability (1 - 0.9^8)^14 < 0.001."""
    words = text.split(" ")
    for _ in range(2):
        del words[rng.randrange(len(words))]
    return " ".join(words)


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
    files = expand_inputs([str(p) for p in inputs])
    return job.run(spark, cfg, files, str(out), run_id=run_id, state_dir=str(state),
                   progress=Progress(quiet=True))


def _rows(path: Path):
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Day 1: 400 docs in two files. Day 2: 200 new docs, plus 40 exact copies and
    30 near copies (two words deleted) of day-1 documents under new ids: the
    planted copies, each mapped to its original."""
    d = tmp_path_factory.mktemp("nightly")
    docs = _docs()
    day1 = [_write(d / "in" / "day1-a.jsonl", docs[:200]),
            _write(d / "in" / "day1-b.jsonl", docs[200:400])]
    copies = [dict(docs[i], id=f"copy-{i:04d}") for i in range(0, 400, 10)]
    rng = random.Random(7)
    long_docs = [i for i in range(400) if i % 10 and len(_words(docs[i]["text"])) >= 200][:30]
    near = [dict(docs[i], id=f"near-{i:04d}", text=_near_copy(docs[i]["text"], rng))
            for i in long_docs]
    for n, i in zip(near, long_docs, strict=True):
        assert _jaccard5(n["text"], docs[i]["text"]) >= 0.9
    day2 = [_write(d / "in" / "day2.jsonl", docs[400:600] + copies + near)]
    planted = {c["id"]: f"c4-{int(c['id'][5:]):04d}" for c in copies + near}
    return d, day1, day2, planted


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
    assert sum(c.startswith("copy-") for c in expected) >= 30
    assert sum(c.startswith("near-") for c in expected) >= 25
    kept2 = {r["id"] for r in _rows(out / "run_id=day2" / "kept")}
    assert not kept2 & set(planted)
    # Near copies are caught by the MinHash index and point into the published cluster.
    by_id = {r["id"]: r for r in removed2}
    kept1_rows = {r["id"]: r for r in _rows(out / "run_id=day1" / "kept")}
    for c, o in expected.items():
        if c.startswith("near-"):
            assert by_id[c]["stage"] == "minhash_dedup"
            assert by_id[c]["dup_cluster"] == kept1_rows[o]["dup_cluster"]
    # Day 2 processed only its new file; day-1 files are skipped via the ledger.
    assert r2.counts.records == 270
    assert r2.manifest["counts"]["by_reason"]["dedup:duplicate_of_published"] == len(expected)
    assert {Path(i["path"]).name for i in r2.manifest["inputs"]} == {"day2.jsonl"}
    # The genuinely new documents are judged on their own merits.
    assert r2.counts.kept == 270 - r2.counts.removed - r2.counts.quarantined
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
    # Every published document with a shingle has its signature and band keys indexed.
    minhash = _rows(state / "index" / "minhash")
    assert {r["id"] for r in minhash} == {r["id"] for r in index}
    assert {len(r["signature"]) for r in minhash} == {112}
    assert {len(r["band_keys"]) for r in minhash} == {14}
    assert {r["scheme"] for r in minhash} == {"word5:14x8:seed1"}


def test_compact_index_is_idempotent_and_still_dedups(spark, two_days, corpus, tmp_path):
    out0, state0, r1, r2 = two_days
    d, day1, day2, _ = corpus
    state_dir, out = tmp_path / "state", tmp_path / "out"
    shutil.copytree(state0, state_dir)
    shutil.copytree(out0, out)
    state = State(spark, str(state_dir))

    def index(name):
        return sorted((r["id"], r["run_id"]) for r in state.index(name).collect())

    before = {n: index(n) for n in ("exact", "minhash")}
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    done = subprocess.run(
        [sys.executable, "-m", "winnow.cli", "compact-index", "--state", str(state_dir),
         "--master", "local[1]"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "compacted 2 run(s) and 0 earlier compaction(s)" in done.stdout
    (record_file,) = (state_dir / "compactions").glob("*.json")
    record = json.loads(record_file.read_text())
    assert record["runs"] == ["day1", "day2"] and record["compactions"] == []
    assert record["rows"] == {n: len(rows) for n, rows in before.items()}
    assert {n: index(n) for n in ("exact", "minhash")} == before
    assert not list((state_dir / "index" / "exact").glob("run_id=*"))
    assert state.compact_index() is None  # idempotent: already one compaction
    assert {n: index(n) for n in ("exact", "minhash")} == before

    # A third day against the compacted index: copies of both days are caught.
    docs = _docs()
    kept = {r["id"] for r in _rows(out / "run_id=day1" / "kept")} | {
        r["id"] for r in _rows(out / "run_id=day2" / "kept")}
    def long_kept(part):
        return [d for d in part if d["id"] in kept and len(_words(d["text"])) >= 200][:2]
    originals = long_kept(docs[:400]) + long_kept(docs[400:600])
    day3 = [dict(o, id=f"again-{o['id']}", text=_near_copy(o["text"], random.Random(3)))
            for o in originals]
    fresh = docs[700:720]
    r3 = _run(spark, [_write(tmp_path / "day3.jsonl", day3 + fresh)], out, state_dir, "day3")
    removed = {r["id"]: r for r in _rows(out / "run_id=day3" / "removed")}
    for copy, o in zip(day3, originals, strict=True):
        assert removed[copy["id"]]["reason"] == "dedup:duplicate_of_published"
        assert removed[copy["id"]]["duplicate_of"] == o["id"]
    assert r3.counts.kept > 0
    # A later compaction merges the first compaction and day 3.
    again = state.compact_index()
    assert again["runs"] == ["day3"] and again["compactions"] == [record["id"]]
    assert len(index("exact")) == len(before["exact"]) + r3.counts.kept
    assert [p.name for p in (state_dir / "compacted").iterdir()] == [again["id"]]


def test_changed_minhash_scheme_is_refused(spark, two_days, corpus, tmp_path):
    out0, state0, *_ = two_days
    state_dir = tmp_path / "state"
    shutil.copytree(state0, state_dir)
    raw = yaml.safe_load(CONFIG.read_text())
    raw["stages"][-1].update(bands=8, rows=14)
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(raw))
    docs = _docs()
    files = expand_inputs([str(_write(tmp_path / "day5.jsonl", docs[800:820]))])
    with pytest.raises(ConfigError, match="minhash index was built with word5:14x8:seed1"):
        job.run(spark, config.load(changed), files, str(tmp_path / "out"), run_id="day5",
                state_dir=str(state_dir), progress=Progress(quiet=True))


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
    files = expand_inputs([str(changed)])
    moved = [InputFile(str(day1[0]), f.size, f.mtime, f.format) for f in files]
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
    for name in ("exact", "minhash"):
        idx = sorted((r["id"], r["run_id"]) for r in _rows(state / "index" / name))
        want = sorted((r["id"], r["run_id"]) for r in _rows(state_clean / "index" / name))
        assert idx == want, name
    runs = sorted(r["run_id"] for r in _rows(out / "stats" / "run"))
    assert runs == ["day1", "day2"]

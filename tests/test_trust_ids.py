"""Repeated input ids (merged shards): unique per run, deterministic, safe in every join."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import C4_SAMPLE, ROOT
from winnow import config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark


def _grams(text: str) -> set[tuple[str, ...]]:
    w = text.lower().split()
    return {tuple(w[i:i + 5]) for i in range(len(w) - 4)}


def _near_copy(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(2):
        del words[rng.randrange(len(words))]
    return " ".join(words)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _renamed(record_id: str, source: Path, line: int) -> str:
    return f"{record_id}#{hashlib.sha256(str(source).encode()).hexdigest()[:8]}:{line}"


@pytest.fixture(scope="module")
def repeated(spark, tmp_path_factory):
    """Three files whose ids collide: ``a`` has string ids 0..59, ``b`` the numbers
    0..59 (other texts), ``c`` exact copies of a's first ten documents and near
    copies of ten long ones under the same ids, plus one id repeated in one file."""
    d = tmp_path_factory.mktemp("ids")
    with gzip.open(C4_SAMPLE, "rt") as f:
        docs = [json.loads(line)["text"] for line in f]
    rng = random.Random(3)
    long_docs = [i for i in range(10, 60) if len(docs[i].split()) >= 200][:10]
    near = {i: _near_copy(docs[i], rng) for i in long_docs}
    for i, text in near.items():
        a, b = _grams(text), _grams(docs[i])
        assert len(a & b) / len(a | b) >= 0.9
    a = _write(d / "a.jsonl", [{"id": str(i), "text": docs[i]} for i in range(60)])
    b = _write(d / "b.jsonl", [{"id": i, "text": docs[60 + i]} for i in range(60)])
    c = _write(d / "c.jsonl",
               [{"id": str(i), "text": docs[i]} for i in range(10)]
               + [{"id": str(i), "text": near[i]} for i in long_docs]
               + [{"id": "dup", "text": docs[200]}, {"id": "dup", "text": docs[201]}])
    cfg = config.load(ROOT / "conf" / "recipes" / "minhash.yaml")
    files = expand_inputs([str(a), str(b), str(c)])
    result = job.run(spark, cfg, files, str(d / "out"), run_id="ids",
                     progress=Progress(quiet=True))
    out = d / "out"
    rows = {part: pq.read_table(out / part).to_pylist()
            for part in ("kept", "removed", "quarantine")}
    return result, rows, (a, b, c), long_docs


def test_every_record_once_with_a_unique_id(repeated):
    result, rows, _, long_docs = repeated
    records = 60 + 60 + 10 + len(long_docs) + 2
    ids = [r["id"] for part in rows.values() for r in part]
    assert len(ids) == records
    assert len(set(ids)) == records
    assert result.counts.records == records
    assert result.manifest["counts"]["input"] == records
    assert result.manifest["counts"]["ids_renamed"] == 60 + 10 + len(long_docs) + 1


def test_first_occurrence_keeps_the_id_later_ones_name_file_and_line(repeated):
    _, rows, (a, b, c), long_docs = repeated
    everything = {r["id"]: r for part in rows.values() for r in part}
    for i in range(60):
        assert everything[str(i)]["source"] == str(a)
        assert _renamed(str(i), b, i + 1) in everything  # 7 and "7" are the same id
    assert everything["dup"]["source"] == str(c)
    assert _renamed("dup", c, 10 + len(long_docs) + 2) in everything


def test_exact_and_near_copies_under_the_same_id_are_removed(repeated):
    _, rows, (a, b, c), long_docs = repeated
    removed = {r["id"]: r for r in rows["removed"]}
    for line in range(1, 11):  # exact copies of a's documents 0..9
        r = removed[_renamed(str(line - 1), c, line)]
        assert r["reason"] == "dedup:exact_duplicate"
        assert r["duplicate_of"] == str(line - 1)
    for k, i in enumerate(long_docs):
        r = removed[_renamed(str(i), c, 11 + k)]
        assert r["reason"] == "dedup:near_duplicate"
        assert r["duplicate_of"] == str(i)
    kept = {r["id"] for r in rows["kept"]}
    assert {str(i) for i in range(60)} <= kept
    assert {_renamed(str(i), b, i + 1) for i in range(60)} <= kept

"""Synthetic corpus generator: determinism, ground-truth consistency and realism."""

from __future__ import annotations

import gzip
import json
import statistics
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from winnow import synth

N = 2000
SEED = 7
SHARDS = 3
UNSPACED = {"zh", "ja"}


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _read_docs(root: Path) -> list[dict]:
    """All document records, in shard order."""
    records = []
    for part in sorted((root / "docs").glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            records += [json.loads(line) for line in lines]
    return records


def _shingles(text: str, lang: str, n: int = 5) -> set[tuple[str, ...]]:
    """Word n-grams; characters stand in for words in languages written without spaces."""
    tokens = list("".join(text.split())) if lang in UNSPACED else text.split()
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _jaccard(a: set, b: set) -> float:
    """Intersection over union."""
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "corpus"
    summary = synth.generate(N, str(root), seed=SEED, shards=SHARDS, workers=1)
    assert summary["docs"] == N and summary["shards"] == SHARDS
    assert sum(summary["kinds"].values()) == N
    return root


@pytest.fixture(scope="module")
def docs(corpus: Path) -> dict[str, dict]:
    return {r["id"]: r for r in _read_docs(corpus)}


@pytest.fixture(scope="module")
def truth(corpus: Path) -> dict[str, dict]:
    return {r["id"]: r for r in pq.read_table(corpus / "ground_truth.parquet").to_pylist()}


def _of_kind(truth: dict[str, dict], kind: str) -> list[dict]:
    """Ground-truth rows of one kind."""
    return [row for row in truth.values() if row["kind"] == kind]


def test_same_seed_gives_same_bytes_for_any_worker_count(corpus: Path, tmp_path: Path) -> None:
    synth.generate(N, str(tmp_path), seed=SEED, shards=SHARDS, workers=2)
    assert _files(tmp_path) == _files(corpus)


def test_different_seed_gives_different_corpus(tmp_path: Path) -> None:
    synth.generate(300, str(tmp_path / "a"), seed=SEED, shards=2, workers=1)
    synth.generate(300, str(tmp_path / "b"), seed=SEED + 1, shards=2, workers=1)
    ours, theirs = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert ours.keys() == theirs.keys()
    assert all(ours[name] != theirs[name] for name in ours)


def test_ids_are_unique_and_match_ground_truth(corpus: Path, truth: dict[str, dict]) -> None:
    ids = [r["id"] for r in _read_docs(corpus)]
    assert len(ids) == len(set(ids)) == N
    assert set(ids) == set(truth)
    assert ids[123] == "synth-000000123"


def test_records_have_plausible_fields(docs: dict[str, dict], truth: dict[str, dict]) -> None:
    for doc_id, doc in docs.items():
        assert set(doc) == {"id", "text", "url", "lang"}
        assert doc["lang"] == truth[doc_id]["lang"]
        assert doc["url"].startswith("https://www.") and "/" in doc["url"][len("https://"):]
    domains = Counter(doc["url"].split("/")[2].split(".")[1] for doc in docs.values())
    assert len(domains) > 100
    top = domains.most_common(1)[0][1]
    assert top > 5 * statistics.median(domains.values())  # Zipf-ish popularity


def test_kind_proportions(truth: dict[str, dict]) -> None:
    share = {kind: len(_of_kind(truth, kind)) / N for kind in synth.KINDS}
    assert share["exact_dup"] == pytest.approx(0.05, abs=0.02)
    assert share["near_dup"] == pytest.approx(0.08, abs=0.025)
    bad = ("boilerplate", "spam", "short", "repetitive")
    assert sum(share[k] for k in bad) == pytest.approx(0.15, abs=0.03)
    assert all(share[k] > 0.01 for k in bad)
    assert share["clean"] == pytest.approx(0.72, abs=0.04)


def test_rates_are_configurable(tmp_path: Path) -> None:
    summary = synth.generate(400, str(tmp_path / "clean"), exact_dup=0, near_dup=0, bad=0)
    assert summary["kinds"]["clean"] == 400
    assert summary["shards"] == 1  # default: one shard per 50,000 documents
    summary = synth.generate(400, str(tmp_path / "dups"), exact_dup=0.5, near_dup=0, bad=0)
    assert 150 < summary["kinds"]["exact_dup"] < 250
    with pytest.raises(ValueError):
        synth.generate(10, str(tmp_path / "bad"), exact_dup=0.6, near_dup=0.6)


def test_copies_point_to_clean_originals(truth: dict[str, dict]) -> None:
    for row in truth.values():
        if row["kind"] in ("exact_dup", "near_dup"):
            original = truth[row["copy_of"]]
            assert original["kind"] == "clean"
            assert original["lang"] == row["lang"]
            assert original["id"] != row["id"]
        else:
            assert row["copy_of"] is None and row["edit"] is None
    assert {r["edit"] for r in _of_kind(truth, "exact_dup")} == {"exact"}
    shard_size = -(-N // SHARDS)
    shard = {doc_id: int(doc_id.split("-")[1]) // shard_size for doc_id in truth}
    copies = _of_kind(truth, "exact_dup") + _of_kind(truth, "near_dup")
    assert any(shard[r["id"]] != shard[r["copy_of"]] for r in copies)  # across shards too
    edits = Counter(r["edit"] for r in _of_kind(truth, "near_dup"))
    assert set(edits) == {"edit", "insert", "truncate", "reorder"}


def test_exact_copies_have_identical_text(docs: dict[str, dict], truth: dict[str, dict]) -> None:
    copies = _of_kind(truth, "exact_dup")
    assert copies
    for row in copies:
        assert docs[row["id"]]["text"] == docs[row["copy_of"]]["text"]
        assert docs[row["id"]]["url"] != docs[row["copy_of"]]["url"]


def test_near_copies_differ_but_stay_close(docs: dict[str, dict], truth: dict[str, dict]) -> None:
    scores = []
    for row in _of_kind(truth, "near_dup"):
        copy, original = docs[row["id"]]["text"], docs[row["copy_of"]]["text"]
        assert copy != original
        score = _jaccard(_shingles(copy, row["lang"]), _shingles(original, row["lang"]))
        assert score >= 0.5, (row, score)
        scores.append(score)
    assert sum(s >= 0.7 for s in scores) >= 0.8 * len(scores)


def test_several_languages(docs: dict[str, dict]) -> None:
    langs = Counter(doc["lang"] for doc in docs.values())
    assert len(langs) >= 8
    assert langs["en"] / N == pytest.approx(0.75, abs=0.05)
    for doc in docs.values():
        if doc["lang"] in UNSPACED and " " not in doc["text"]:
            break
    else:
        pytest.fail("no unspaced (zh/ja) document")


def test_length_spread(docs: dict[str, dict]) -> None:
    words = sorted(len(doc["text"].split()) for doc in docs.values())
    assert 100 <= statistics.median(words) <= 1500
    assert words[int(0.95 * N)] > 1200 and words[-1] > 3000


def test_clean_documents_have_layout_and_no_junk_markers(
    docs: dict[str, dict], truth: dict[str, dict]
) -> None:
    junk = set(synth.BAD_WORDS) | {"lorem", "javascript", "cookie", "cookies"}
    clean = [docs[row["id"]]["text"] for row in _of_kind(truth, "clean")]
    assert sum("\n\n" in text for text in clean) > 0.7 * len(clean)
    assert sum("\n" in text.split("\n\n")[-1] for text in clean) > 0.3 * len(clean)
    for text in clean:
        assert text[-1] in ".?!。？！"
        assert len(text.split()) >= 50 or not text.isascii()
        assert not junk & set(text.lower().split())


def test_bad_documents_look_bad(docs: dict[str, dict], truth: dict[str, dict]) -> None:
    for row in _of_kind(truth, "short"):
        assert len(docs[row["id"]]["text"].split()) < 30
    for row in _of_kind(truth, "repetitive"):
        lines = [line for line in docs[row["id"]]["text"].split("\n") if line]
        assert len(set(lines)) <= len(lines) / 2
    markers = ("cookie", "javascript", "lorem ipsum", "privacy", "sign in", "skip to")
    for row in _of_kind(truth, "boilerplate"):
        text = docs[row["id"]]["text"].lower()
        assert any(marker in text for marker in markers)
    for row in _of_kind(truth, "spam"):
        words = docs[row["id"]]["text"].lower().split()
        bad_words = set(words) & set(synth.BAD_WORDS)
        hashtags = sum(w.startswith("#") for w in words)
        assert bad_words or hashtags >= 5 or len(set(words)) < 0.5 * len(words)

"""``exact_dedup`` on a hand-made frame, judged against a plain-Python reference.

The reference is the stage's documented meaning, computed row by row: a kept
document whose text another kept document with a smaller id shares is removed
(``dedup:exact_duplicate``, ``duplicate_of`` = the smallest id); ``exact_copies``
is the number of kept documents with that text (null when there is none); removed
and quarantine rows are never touched; in nightly mode a kept copy of a published
text is removed first (``dedup:duplicate_of_published``, the smallest published id).
"""

from __future__ import annotations

import hashlib
import random

import pytest
from winnow.stage import RunContext, StageParams
from winnow.stages.exact_dedup import ExactDedup

COLUMNS = ["id", "text", "reason", "stage", "duplicate_of", "char_count"]


def corpus(n: int = 400, seed: int = 3) -> list[tuple]:
    """Rows over a few texts: singletons, pairs, large groups; some already removed."""
    rnd = random.Random(seed)
    texts = [f"text number {i}" for i in range(n // 3)]
    rows = []
    for i in range(n):
        text = rnd.choice(texts[:12]) if rnd.random() < 0.4 else rnd.choice(texts)
        removed = rnd.random() < 0.2
        rows.append((f"doc-{rnd.randrange(10**9):09d}-{i}", text,
                     "gopher:too_short" if removed else None,
                     "gopher_quality" if removed else None, None, len(text)))
    return rows


def reference(rows: list[tuple], published: dict[str, str]) -> dict[str, dict]:
    out = {}
    for doc_id, text, reason, stage, dup, _ in rows:
        h = hashlib.md5(text.encode()).hexdigest()
        if reason is None and h in published:
            reason, stage, dup = "dedup:duplicate_of_published", "exact_dedup", published[h]
        out[doc_id] = {"text_hash": h, "reason": reason, "stage": stage, "duplicate_of": dup}
    kept: dict[str, list[str]] = {}
    for doc_id, r in out.items():
        if r["reason"] is None:
            kept.setdefault(r["text_hash"], []).append(doc_id)
    for doc_id, r in out.items():
        group = kept.get(r["text_hash"])
        r["exact_copies"] = len(group) if group else None
        if r["reason"] is None and min(group) != doc_id:
            r.update(reason="dedup:exact_duplicate", stage="exact_dedup",
                     duplicate_of=min(group))
    return out


class _Published:
    def __init__(self, indexes):
        self.indexes = indexes

    def index(self, name):
        return self.indexes.get(name)


def frame(spark, rows, partitions=3):
    schema = ("id string, text string, reason string, stage string, duplicate_of string, "
              "char_count int")
    return spark.createDataFrame(rows, schema).repartition(partitions)


@pytest.mark.parametrize("partitions", [1, 4])
def test_matches_the_reference(spark, partitions):
    rows = corpus()
    out = ExactDedup(StageParams()).apply(frame(spark, rows, partitions), RunContext(spark, "t"))
    # The columns keep their order: the hash first, the count last.
    assert out.columns == ["text_hash", *COLUMNS, "exact_copies"]
    got = {r["id"]: r.asDict() for r in out.collect()}
    expected = reference(rows, {})
    assert len(got) == len(rows) == len(expected)  # none lost, none twice
    for doc_id, want in expected.items():
        have = {k: got[doc_id][k] for k in want}
        assert have == want, doc_id
    removed = [r for r in got.values() if r["reason"] == "dedup:exact_duplicate"]
    assert len(removed) > 50  # the corpus has real duplicates


def test_annotate_mode_removes_nothing(spark):
    rows = corpus(seed=4)
    stage = ExactDedup(StageParams(mode="annotate"))
    got = {r["id"]: r for r in stage.apply(frame(spark, rows), RunContext(spark, "t")).collect()}
    expected = reference(rows, {})
    for doc_id, _, reason, *_ in rows:
        assert got[doc_id]["reason"] == reason
        assert got[doc_id]["exact_copies"] == expected[doc_id]["exact_copies"]


def test_copies_of_published_texts_removed_first(spark):
    day1 = corpus(200, seed=5)
    ctx = RunContext(spark, "day1")
    stage = ExactDedup(StageParams())
    index = stage.index_tables(stage.apply(frame(spark, day1), ctx))["exact"].localCheckpoint()
    published: dict[str, str] = {}
    for h, doc_id in index.collect():
        published[h] = min(doc_id, published.get(h, doc_id))
    day2 = corpus(300, seed=6)
    later = ExactDedup(StageParams())
    out = later.apply(frame(spark, day2), RunContext(spark, "day2", state=_Published(
        {"exact": index})))
    got = {r["id"]: r.asDict() for r in out.collect()}
    expected = reference(day2, published)
    assert sum(r["reason"] == "dedup:duplicate_of_published" for r in expected.values()) > 20
    for doc_id, want in expected.items():
        assert {k: got[doc_id][k] for k in want} == want, doc_id

"""line_dedup on planted boilerplate: real C4 lines planted across synthetic documents.

One job run (module fixture) of ``conf/recipes/dolma_style.yaml``'s line stage
with ``keep: first``; ``keep: none`` and ``unit: line`` through the stage itself.
"""

from __future__ import annotations

import json
from html import escape

import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.errors import ConfigError
from winnow.io.listing import expand_inputs
from winnow.progress import Progress
from winnow.report.page import render
from winnow.report.tables import StatsTables
from winnow.stage import RunContext
from winnow.stages.line_dedup import LineDedup, LineDedupParams
from winnow.subdedup import planted as planted_mod
from winnow.subdedup.rewrite import cut, merge
from winnow.subdedup.units import normalise, split, unit_hash

N_DOCS = 240


@pytest.fixture(scope="module")
def corpus(shared_data):
    return planted_mod.build(shared_data / "web" / "c4-en-sample-1000.jsonl.gz", N_DOCS)


def _expected(p, keep: str, min_copies: int = 2):
    """Per document: the paragraphs line dedup must leave, from the generator's layout."""
    holders: dict[int, list[int]] = {}
    for d, lay in enumerate(p.layout):
        for b in lay:
            if b is not None and d not in holders.setdefault(b, []):
                holders[b].append(d)
    out = []
    for d, lay in enumerate(p.layout):
        paras = p.texts[d].split("\n\n")
        left, seen = [], set()
        for para, b in zip(paras, lay, strict=True):
            repeated = b is not None and len(holders[b]) >= min_copies
            if not repeated or (keep == "first" and holders[b][0] == d and b not in seen):
                left.append(para)
            if b is not None:
                seen.add(b)
        out.append(left)
    return out, holders


@pytest.fixture(scope="module")
def run(spark, corpus, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("line_dedup")
    src = tmp / "in.jsonl"
    with open(src, "w") as f:
        for i, t, u in zip(corpus.ids, corpus.texts, corpus.urls, strict=True):
            f.write(json.dumps({"id": i, "text": t, "url": u}) + "\n")
    cfg = config.parse({"stages": [{"stage": "line_dedup", "unit": "paragraph",
                                    "min_copies": 2, "keep": "first", "min_chars": 30,
                                    "max_removed_fraction": 0.8}]})
    job.run(spark, cfg, expand_inputs([str(src)]), str(tmp / "out"), run_id="ld",
            progress=Progress(quiet=True))
    out = tmp / "out"
    tables = {name: pq.read_table(out / name).to_pylist()
              for name in ("kept", "removed", "stats/stage_summary", "stats/repeated_units")}
    tables["html"] = render(StatsTables(str(out)))
    return tables


def test_keep_first_leaves_one_copy_in_the_smallest_id(run, corpus):
    expected, holders = _expected(corpus, "first")
    kept = {r["id"]: r for r in run["kept"]}
    removed = {r["id"]: r for r in run["removed"]}
    assert len(kept) + len(removed) == N_DOCS
    for d, doc_id in enumerate(corpus.ids):
        if corpus.kinds[d] == "boiler":
            continue
        assert kept[doc_id]["text"].split("\n\n") == expected[d], doc_id
    for b, text in enumerate(corpus.boilerplate):
        if b not in holders:
            continue
        where = [r["id"] for r in run["kept"] if text in r["text"].split("\n\n")]
        assert where == [corpus.ids[holders[b][0]]], b


def test_emptied_documents_are_removed_with_the_reason(run, corpus):
    boiler = {corpus.ids[d] for d, k in enumerate(corpus.kinds) if k == "boiler"}
    assert boiler and {r["id"] for r in run["removed"]} == boiler
    for r in run["removed"]:
        assert r["reason"] == "line_dedup:mostly_duplicate"
        assert r["text"] == corpus.texts[corpus.ids.index(r["id"])]  # original text kept


def test_summary_counts_modified_documents_and_removed_characters(run, corpus):
    expected, _ = _expected(corpus, "first")
    changed = [d for d, k in enumerate(corpus.kinds)
               if k == "normal" and expected[d] != corpus.texts[d].split("\n\n")]
    rows = {(r["stage"], r["outcome"]): r for r in run["stats/stage_summary"]}
    assert rows[("line_dedup", "modified")]["documents"] == len(changed)
    removed_chars = sum(len(corpus.texts[d]) - len("\n\n".join(expected[d])) for d in changed)
    assert sum(r["line_dedup_chars_removed"] for r in run["kept"]) == removed_chars
    assert sum(r["line_dedup_modified"] for r in run["kept"]) == len(changed)
    assert rows[("line_dedup", "modified")]["characters"] == removed_chars


def test_report_shows_characters_removed_and_repeated_units(run, corpus):
    html = run["html"]
    assert "Repeated lines and spans removed" in html and "Most repeated units" in html
    top = run["stats/repeated_units"][0]
    assert escape(top["sample_text"]) in html


def test_repeated_units_table(run, corpus):
    _, holders = _expected(corpus, "first")
    table = run["stats/repeated_units"]
    top = max(holders, key=lambda b: (len(holders[b]), -unit_hash(corpus.boilerplate[b])))
    copies = [r["copies"] for r in table]
    assert copies == sorted(copies, reverse=True)
    assert copies[0] == len(holders[top])
    first = table[0]
    assert corpus.boilerplate[top].startswith(first["sample_text"])
    assert first["kept_id"] == corpus.ids[holders[top][0]]
    hosts = {corpus.urls[d].split("/")[2] for d in holders[top]}
    assert first["domains"] == len(hosts)


def test_keep_none_and_line_units(spark, corpus):
    df = planted_mod.frame_of(spark, corpus, partitions=3)
    stage = LineDedup(LineDedupParams(unit="line", keep="none", max_removed_fraction=1.0))
    rows = {r["id"]: r for r in stage.apply(df, RunContext(spark, "t")).collect()}
    expected, holders = _expected(corpus, "none")
    repeated = {corpus.boilerplate[b] for b, h in holders.items() if len(h) >= 2}
    for d, doc_id in enumerate(corpus.ids):
        r = rows[doc_id]
        if corpus.kinds[d] == "boiler":
            # "Page N" (< min_chars) survives, so the document is kept, nearly empty.
            assert r["reason"] is None and r["text"] == f"Page {d}", r["text"]
            continue
        # Lines are cut with their newline, so the blank separator lines stay.
        assert [x for x in r["text"].split("\n") if x] == expected[d]
        assert not repeated & set(r["text"].split("\n"))


def test_units_split_and_cut():
    text = "Menu Home About\n\n\nBody one.\n \nBody two\nsame para"
    units = list(split(text, "paragraph"))
    assert [text[s:e] for s, e, _ in units] == ["Menu Home About", "Body one.",
                                                "Body two\nsame para"]
    assert [text[s:c] for s, _, c in units][:1] == ["Menu Home About\n\n\n"]
    assert [text[s:e] for s, e, _ in split(text, "line")][:2] == ["Menu Home About", ""]
    assert normalise("  Hello, WORLD 2024!! ") == "hello world 0000"
    assert unit_hash("Hello, world 1") == unit_hash("hello world 7")
    assert merge([(5, 9), (0, 3), (2, 4), (9, 9)]) == [(0, 4), (5, 9)]
    assert cut("abc\n\ndef\n\nghi", [(8, 13)]) == "abc\n\ndef"
    assert cut("abc\n\ndef", [(0, 5)]) == "def"
    assert cut("abc\n\ndef", [(0, 4)]) == "def"  # a line cut at the start


def test_bad_params_are_config_errors():
    with pytest.raises(ConfigError, match="unit: must be one of line, paragraph"):
        config.parse({"stages": [{"stage": "line_dedup", "unit": "sentence"}]})
    with pytest.raises(ConfigError, match="keep: must be one of first, none"):
        config.parse({"stages": [{"stage": "line_dedup", "keep": "last"}]})
    with pytest.raises(ConfigError, match="max_removed_fraction"):
        config.parse({"stages": [{"stage": "line_dedup", "max_removed_fraction": 2}]})


class _Published:
    """The committed indexes of an earlier run (what ``winnow.state.State.index`` returns)."""

    def __init__(self, indexes):
        self.indexes = indexes

    def index(self, name):
        return self.indexes.get(name)


def test_nightly_units_of_published_documents_are_removed_tomorrow(spark, corpus):
    ctx = RunContext(spark, "day1")
    stage = LineDedup(LineDedupParams(max_removed_fraction=1.0, top_units=0))
    half = N_DOCS // 2
    day1 = planted_mod.frame_of(spark, corpus, partitions=2).where(f"position < {half}")
    index = stage.index_tables(stage.apply(day1, ctx))["line_units"].localCheckpoint()
    day2 = planted_mod.frame_of(spark, corpus, partitions=2).where(f"position >= {half}")
    later = LineDedup(LineDedupParams(max_removed_fraction=1.0, top_units=0))
    rows = later.apply(day2, RunContext(spark, "day2", state=_Published(
        {"line_units": index}))).collect()
    published = {corpus.boilerplate[b] for d in range(half) for b in corpus.layout[d]
                 if b is not None}
    assert published
    for r in rows:
        assert not published & set(r["text"].split("\n\n")), r["id"]

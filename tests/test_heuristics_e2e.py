"""The heuristic families through the real job on local Spark: reasons, rewrites, modes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import C4_SAMPLE, ROOT
from winnow import config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark

GOOD = ("The committee met on Tuesday to review the proposal and discuss the budget for next "
        "year. Members agreed that the plan was sound, although several of them asked for "
        "more detail about the costs of maintenance. The chair promised to share a revised "
        "version with everyone before the end of the month.")
MORE = ("Later that week, the engineers visited the old bridge to measure how far the river "
        "had risen. They found that the supports were in good shape and that the repairs "
        "could wait until the summer, when the water is low and the work is safer.")
SHORT_LINES = "\n".join([
    "Old trees stand very tall.", "The river runs with speed.", "Green hills rise and fall.",
    "Small birds sing at dawn.", "The market opens early.", "Farmers bring fresh bread.",
    "Children play with kites.", "The bakery sells cakes.", "Clouds drift over towns.",
    "Winter brings cold winds.", "Lamps glow in windows.", "The road bends to the sea.",
])
HANDMADE = {
    "banned-url": (GOOD + "\n" + MORE, "http://example.com/porn/page"),
    "repeated": ("Buy the best and save big today on every single item with us.\n" * 20, None),
    "too-short": ("Just a few words here, nothing more to read.", None),
    "curly": (GOOD + "\nThe config is {a: 1} in this file today.\n" + MORE, None),
    "lorem": (GOOD + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.\n" + MORE, None),
    "badword": (GOOD + "\nWhat a bastard he was to all of them, they said.\n" + MORE, None),
    "short-lines": (SHORT_LINES, None),
    "rewritten": (GOOD + "\nPlease enable JavaScript to view this page.\n"
                  "This site uses cookies to improve your experience.\n" + MORE, None),
}
EXPECTED = {
    "banned-url": "url:banned_word",
    "repeated": "gopher_repetition:dup_line_frac",
    "too-short": "gopher_quality:too_few_words",
    "curly": "c4:curly_bracket",
    "lorem": "c4:lorem_ipsum",
    "badword": "c4_badwords:badwords",
    "short-lines": "fineweb:short_line_ratio",
}
ALL_FAMILIES = """
stages:
  - stage: url
    banned_words: asset:url-banned/banned_words.txt
    soft_banned_words: asset:url-banned/soft_banned_words.txt
    banned_subwords: asset:url-banned/banned_subwords.txt
  - stage: gopher_quality      # before repetition: short texts repeat their only n-gram
  - stage: gopher_repetition
  - stage: c4
  - stage: c4_badwords
    lists: {en: asset:ldnoobw/en}
  - stage: fineweb
"""


def write_input(path: Path, n_c4: int) -> Path:
    with gzip.open(C4_SAMPLE, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(n_c4), f, strict=False)]
    with open(path, "w", encoding="utf-8") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": f"c4-{i:04d}", "text": r["text"], "url": r["url"]}) + "\n")
        for key, (text, link) in HANDMADE.items():
            f.write(json.dumps({"id": key, "text": text, "url": link}) + "\n")
    return path


def run(spark, yaml_text: str, inp: Path, out: Path) -> job.RunResult:
    cfg = config.parse(yaml.safe_load(yaml_text), base_dir=ROOT / "conf")
    files = expand_inputs([str(inp)])
    return job.run(spark, cfg, files, str(out), progress=Progress(quiet=True))


def rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def families_run(spark, tmp_path_factory):
    d = tmp_path_factory.mktemp("heuristics")
    inp = write_input(d / "docs.jsonl", 120)
    result = run(spark, ALL_FAMILIES, inp, d / "out")
    return result, d / "out"


def test_each_family_removes_with_its_reason(families_run):
    result, out = families_run
    removed = {r["id"]: r["reason"] for r in rows(out / "removed")}
    for doc_id, reason in EXPECTED.items():
        assert removed.get(doc_id) == reason, doc_id
    summary = rows(out / "stats" / "stage_summary")
    reasons = {r["reason"] for r in summary if r["outcome"] == "removed"}
    assert set(EXPECTED.values()) <= reasons
    assert any(r.startswith("gopher_quality:") for r in reasons)
    c = result.counts
    assert c.records == len(HANDMADE) + 120 == c.kept + c.removed + c.quarantined


def test_c4_rewrites_lines_and_counts_them(families_run):
    _, out = families_run
    kept = {r["id"]: r for r in rows(out / "kept")}
    doc = kept["rewritten"]
    assert "JavaScript" not in doc["text"] and "cookies" not in doc["text"]
    assert doc["c4_modified"] and doc["c4_lines_javascript"] == 1 and doc["c4_lines_policy"] == 1
    assert doc["c4_original_chars"] - len(doc["text"]) == doc["c4_chars_removed"] > 0
    for col in ("gopher_word_count", "gopher_dup_5gram_char_frac", "fineweb_newline_ratio",
                "url_domain", "c4_badwords", "c4_sentences"):
        assert col in doc
    lines = {r["rule"]: r for r in rows(out / "stats" / "c4_lines")}
    assert lines["javascript"]["lines"] >= 1 and lines["policy"]["lines"] >= 1
    assert lines["all"]["characters"] > 0
    modified = [r for r in rows(out / "stats" / "stage_summary")
                if r["stage"] == "c4" and r["outcome"] == "modified"]
    assert modified and modified[0]["documents"] >= 1


def test_annotate_computes_without_removing_and_off_skips(spark, tmp_path):
    inp = write_input(tmp_path / "docs.jsonl", 10)
    annotate = """
stages:
  - {stage: gopher_quality, mode: annotate}
  - {stage: c4, mode: annotate}
  - {stage: fineweb, mode: "off"}
"""
    result = run(spark, annotate, inp, tmp_path / "out")
    assert result.counts.removed == 0
    kept = {r["id"]: r for r in rows(tmp_path / "out" / "kept")}
    assert kept["too-short"]["gopher_word_count"] < 50
    assert kept["rewritten"]["c4_lines_javascript"] == 1
    assert "JavaScript" in kept["rewritten"]["text"]  # annotate: the text is not rewritten
    assert "fineweb_newline_ratio" not in kept["rewritten"]

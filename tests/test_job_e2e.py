"""End-to-end runs of the curate job on a real local Spark session and real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import C4_SAMPLE, CC_SAMPLE, ROOT
from winnow import config, job
from winnow.errors import WinnowError
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark


def _run(spark, inputs, out, cfg_path=ROOT / "conf" / "default.yaml", **kw):
    cfg = config.load(cfg_path)
    files = expand_inputs([str(p) for p in inputs], cfg.input.format)
    return job.run(spark, cfg, files, str(out), progress=Progress(quiet=True), **kw)


def _table(path: Path):
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def web_run(spark, tmp_path_factory):
    """One default-config run over both shared web samples plus a malformed file."""
    d = tmp_path_factory.mktemp("web")
    bad = d / "bad.jsonl"
    bad.write_text(
        '{"id": "ok-1", "text": "A perfectly fine document that has enough words '
        + "to pass. " * 10 + '"}\n'
        + "{broken json line\n"
        + '{"id": "no-text"}\n'
        + '{"id": "blank", "text": "   "}\n'
    )
    out = d / "out"
    result = _run(spark, [C4_SAMPLE, CC_SAMPLE, bad], out, run_id="t1")
    return result, out, bad


def test_layout(web_run):
    _, out, _ = web_run
    for part in ("kept", "removed", "quarantine", "stats/stage_summary", "stats/run"):
        assert (out / part).is_dir(), part
    assert (out / "_SUCCESS").exists()
    assert (out / "manifest.json").exists()
    assert not (out / "_staging").exists()
    kept_cols = pq.ParquetDataset(out / "kept").schema.names
    for col in ("id", "text", "url", "source", "char_count", "word_count", "metadata"):
        assert col in kept_cols
    assert "reason" not in kept_cols
    removed_cols = pq.ParquetDataset(out / "removed").schema.names
    for col in ("id", "reason", "stage", "duplicate_of", "url", "text", "word_count"):
        assert col in removed_cols


def test_conservation_from_files_and_stats(web_run):
    result, out, _ = web_run
    kept, removed, quarantine = (pq.read_table(out / p).num_rows
                                 for p in ("kept", "removed", "quarantine"))
    assert kept + removed + quarantine == 1000 + 697 + 4
    summary = _table(out / "stats" / "stage_summary")
    by = {(r["stage"], r["outcome"]): r["documents"] for r in summary if r["reason"] is None}
    removed_by = {}
    for r in summary:
        if r["outcome"] == "removed":
            removed_by[r["stage"]] = removed_by.get(r["stage"], 0) + r["documents"]
    assert by[("input", "in")] == 1701
    assert by[("input", "out")] == 1701 - quarantine
    stages = ["input", "normalize", "length", "exact_dedup"]
    for prev, nxt in zip(stages, stages[1:], strict=False):
        assert by[(prev, "out")] == by[(nxt, "in")]
    for s in stages:
        assert by[(s, "in")] == by[(s, "out")] + removed_by.get(s, 0)
    assert by[("exact_dedup", "out")] == kept
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["kept"] == kept
    assert manifest["counts"]["input"] == 1701
    assert {Path(i["path"]).name for i in manifest["inputs"]} == {
        C4_SAMPLE.name, CC_SAMPLE.name, "bad.jsonl"}
    run = _table(out / "stats" / "run")[0]
    assert run["run_id"] == "t1" and run["documents_kept"] == kept
    assert run["config_hash"] == config.load(ROOT / "conf" / "default.yaml").hash


def test_quarantine_rows_name_file_line_and_reason(web_run):
    _, out, bad = web_run
    rows = [r for r in _table(out / "quarantine") if r["source"] == str(bad)]
    got = {(r["position"], r["reason"]) for r in rows}
    assert got == {(2, "input:malformed_json"), (3, "input:missing_text"),
                   (4, "input:empty_text")}
    assert any(r["raw_excerpt"] == "{broken json line" for r in rows)


def test_reasons_and_exact_duplicates(web_run):
    _, out, _ = web_run
    kept = {r["id"]: r for r in _table(out / "kept")}
    removed = _table(out / "removed")
    reasons = {r["reason"] for r in removed}
    assert reasons <= {"length:too_short", "length:too_long", "dedup:exact_duplicate"}
    assert all(r["word_count"] < 50 for r in removed if r["reason"] == "length:too_short")
    assert all(r["word_count"] >= 50 for r in kept.values())
    dups = [r for r in removed if r["reason"] == "dedup:exact_duplicate"]
    assert dups, "the CC sample holds exact duplicates"
    for d in dups:
        survivor = kept[d["duplicate_of"]]
        assert survivor["text"] == d["text"]
        assert survivor["id"] < d["id"]
    texts = [r["text"] for r in kept.values()]
    assert len(texts) == len(set(texts))


def test_determinism(spark, web_run, tmp_path):
    result, out, bad = web_run
    shutil.copy(bad, tmp_path / "bad.jsonl")
    # Same files (same paths) and config, another run: same kept ids and same stats.
    again = _run(spark, [C4_SAMPLE, CC_SAMPLE, bad], tmp_path / "again", run_id="t1")
    ids1 = sorted(r["id"] for r in _table(out / "kept"))
    ids2 = sorted(r["id"] for r in _table(tmp_path / "again" / "kept"))
    assert ids1 == ids2

    def strip(rows):
        return sorted((r[1:7] for r in rows), key=repr)

    assert strip(result.summary) == strip(again.summary)


def test_complete_output_is_not_overwritten(spark, web_run):
    _, out, _ = web_run
    with pytest.raises(WinnowError, match="already holds a complete run"):
        _run(spark, [C4_SAMPLE], out)


def test_crashed_staging_does_not_look_complete(spark, tmp_path):
    out = tmp_path / "out"
    (out / "_staging" / "old" / "kept").mkdir(parents=True)
    result = _run(spark, [C4_SAMPLE], out, run_id="r2")
    assert (out / "_SUCCESS").exists() and not (out / "_staging").exists()
    assert pq.read_table(out / "kept").num_rows == result.counts.kept


def test_text_work_runs_once_per_run(web_run):
    """Every row passes through the fused signal pass exactly once, although the
    frame feeds dedup, three writers and several statistics tables."""
    _, out, _ = web_run
    run = _table(out / "stats" / "run")[0]
    assert run["signal_passes"] == 1
    assert run["signal_pass_rows"] == run["documents_in"] == 1701


def test_statistics_tables(web_run):
    _, out, _ = web_run
    signals = _table(out / "stats" / "signals")
    wc = {r["subset"]: r for r in signals if r["signal"] == "word_count"}
    assert set(wc) == {"kept", "removed"}
    assert wc["kept"]["p01"] >= 50 and wc["kept"]["min"] >= 50
    assert wc["removed"]["p50"] < wc["kept"]["p50"]
    assert wc["kept"]["p01"] <= wc["kept"]["p50"] <= wc["kept"]["p99"]
    assert len(wc["kept"]["hist_edges"]) == 21 and len(wc["kept"]["hist_counts"]) == 20
    assert sum(wc["kept"]["hist_counts"]) == wc["kept"]["documents"]
    kept_n = pq.read_table(out / "kept").num_rows
    assert wc["kept"]["documents"] == kept_n
    domains = _table(out / "stats" / "domains")
    assert domains and all(d["kept_documents"] + d["removed_documents"] == d["documents"]
                           for d in domains)
    assert sum(d["documents"] for d in domains) == 1701 - pq.read_table(out / "quarantine").num_rows
    examples = _table(out / "stats" / "examples")
    by_reason = {}
    for e in examples:
        by_reason.setdefault(e["reason"], []).append(e)
    assert "length:too_short" in by_reason and "input:malformed_json" in by_reason
    assert all(1 <= len(v) <= 5 for v in by_reason.values())


def test_exact_dedup_matches_synth_ground_truth(spark, tmp_path):
    """Every planted exact copy is removed and points at its original; nothing else is."""
    from winnow import synth

    synth.generate(3000, str(tmp_path / "corpus"), seed=7, workers=1)
    truth = {r["id"]: r for r in _table(tmp_path / "corpus" / "ground_truth.parquet")}
    result = _run(spark, [tmp_path / "corpus" / "docs"], tmp_path / "out")
    removed = {r["id"]: r for r in _table(tmp_path / "out" / "removed")}
    kept = {r["id"] for r in _table(tmp_path / "out" / "kept")}
    planted = {i: t["copy_of"] for i, t in truth.items() if t["kind"] == "exact_dup"}
    assert len(planted) > 100
    survivors = {c: o for c, o in planted.items() if o in kept}
    assert len(survivors) > 0.8 * len(planted)
    for copy, original in planted.items():
        if original in kept:
            assert removed[copy]["reason"] == "dedup:exact_duplicate"
            assert removed[copy]["duplicate_of"] == original
        else:
            # The original fell to a filter (e.g. whitespace word count on ja/zh):
            # its identical copy falls to the same rule, before dedup.
            assert removed[copy]["reason"] == removed[original]["reason"]
    flagged = {i for i, r in removed.items() if r["reason"] == "dedup:exact_duplicate"}
    assert flagged == set(survivors)
    assert result.counts.records == 3000

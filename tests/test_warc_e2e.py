"""``fineweb_from_warc.yaml`` end to end on real WARC files and synth WARC, in Spark.

One job run (module fixture) over the shared WARC files (truncated one included) and
two synth WARC files read in byte ranges (a small ``spark.winnow.input.splitBytes``);
then reads of the same files split and unsplit, differently partitioned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from test_warc import responses
from winnow import config, conservation, job
from winnow.io.listing import expand_inputs
from winnow.io.source import SPLIT_CONF, read_documents
from winnow.progress import Progress
from winnow.synth.warc import generate_warc, page_kind

pytestmark = pytest.mark.spark
RECIPE = ROOT / "conf" / "recipes" / "fineweb_from_warc.yaml"


@pytest.fixture(scope="module")
def crawl(shared_data, tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("crawl")
    generate_warc(120, str(root), seed=5, pages_per_file=60)
    return sorted((shared_data / "warc").glob("*.warc.gz")) + sorted(
        (root / "warc").glob("*.warc.gz"))


@pytest.fixture(scope="module")
def run(spark, crawl, tmp_path_factory):
    out = tmp_path_factory.mktemp("warc_run") / "out"
    cfg = config.load(RECIPE)
    cfg.output.partitions = 2  # 174 rows: few tasks keep the run short
    files = expand_inputs([str(p) for p in crawl], cfg.input.format)
    spark.conf.set(SPLIT_CONF, "30000")  # the synth files (~100 kB) are read in ranges
    try:
        result = job.run(spark, cfg, files, str(out), progress=Progress(quiet=True),
                         run_id="warc1")
    finally:
        spark.conf.unset(SPLIT_CONF)
    parts = {p: pq.read_table(out / p).to_pylist() for p in conservation.DOCUMENT_PARTS}
    return result, out, parts


def test_every_response_is_one_row(run, crawl):
    _, out, parts = run
    expected = {h["WARC-Record-ID"] for p in crawl for _, h in responses(p)}
    rows = [r["id"] for rows in parts.values() for r in rows]
    assert len(rows) == len(expected) == 22 + 15 + 16 + 1 + 120
    assert set(rows) == expected
    manifest = json.loads((out / "manifest.json").read_text())
    assert json.dumps(manifest)  # written after the conservation check passed


def test_truncated_file_quarantined_with_offset(run, shared_data):
    (q,) = run[2]["quarantine"]
    assert q["source"].endswith("truncated-record.warc.gz")
    assert (q["reason"], q["position"]) == ("input:truncated_file", 0)


def test_planted_pages_removed_with_their_reason(run, crawl):
    removed = {r["id"]: r for r in run[2]["removed"]}
    from winnow.synth.warc import record_id

    expect = {"not_html": "extract:content_type", "not_found": "extract:http_status",
              "empty": "extract:no_text", "blocked_url": "url:banned_word"}
    for i in range(120):
        kind = page_kind(i)
        if kind in expect:
            row = removed[record_id(5, i, "response")]
            assert row["reason"] == expect[kind], (i, kind)
            assert row["text"] == ""  # no raw HTML (or image) leaves the pipeline
    blocked = [r for r in removed.values() if r["reason"] == "url:banned_word"]
    assert blocked and all(r["extract_outcome"] == "skipped"
                           and r["extract_html_chars"] is None for r in blocked)


def test_kept_is_text_with_warc_columns(run):
    kept = run[2]["kept"]
    assert kept
    for r in kept:
        assert "<html" not in r["text"].lower() and "<div" not in r["text"].lower()
        assert r["url"].startswith("http") and r["warc_date"] and r["offset"] >= 0
        assert r["content_type"] == "text/html" and r["http_status"] == 200
        assert r["extract_outcome"] == "ok"
    assert not any("We use cookies to improve" in r["text"] for r in kept)
    reasons = {r["reason"].split(":")[0] for r in run[2]["removed"]}
    assert {"url", "extract", "lang"} <= reasons


def test_split_and_unsplit_reads_agree(spark, crawl, run):
    cfg = config.load(RECIPE)
    files = expand_inputs([str(p) for p in crawl], cfg.input.format)
    seen = []
    for partitions, split_bytes in ((3, 1 << 40), (7, 20_000)):
        tally = conservation.record_tally(spark.sparkContext)
        df = read_documents(spark, files, cfg.input, partitions, tally=tally,
                            split_bytes=split_bytes)
        rows = sorted(tuple(r) for r in df.select("id", "source", "offset", "text").collect())
        counts = conservation.source_records(tally, files)
        seen.append((rows, counts))
    (a, ca), (b, cb) = seen
    assert a == b  # same ids, offsets and texts split or not, however partitioned
    assert {Path(k).name: v for k, v in ca.items()} == {p.name: len(responses(p)) for p in crawl}
    assert ca == cb
    out_ids = {r["id"] for rows in run[2].values() for r in rows}
    assert {r[0] for r in a} == out_ids  # and the same ids as the job's run


def test_non_document_records_counted_in_stats_run(run, crawl):
    """request, metadata, warcinfo … records give no row but are counted per type in
    stats/run, the manifest and the summary (issue 15)."""
    from test_warc import members

    result, out, _ = run
    expected: dict[str, int] = {}
    for p in crawl:
        for _, h, _ in members(p):
            kind = h.get("WARC-Type")
            if kind != "response":
                expected[kind] = expected.get(kind, 0) + 1
    assert expected.get("request", 0) > 0  # the shared crawl files hold requests
    (row,) = pq.read_table(out / "stats" / "run").to_pylist()
    got = {r["record_type"]: r["records"] for r in row["non_document_records"]}
    # The truncated file's cut-off record is quarantined, not counted here.
    assert got == expected
    assert result.manifest["counts"]["non_document_records"] == got
    import io
    buf = io.StringIO()
    job.print_summary(result, buf)
    assert "not documents (read, counted, no row): " in buf.getvalue()

"""The curation report from small hand-built stats tables: no Spark, milliseconds.

The tables are written as Parquet in the layouts a run produces (one run:
``stats/<table>/part-*.parquet``) and nightly runs append (``stats/<table>/run_id=ID/``,
the column only in the directory name), then read back by the report.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from winnow import cli
from winnow.errors import WinnowError
from winnow.report import StatsTables, charts, render, write_report
from winnow.report import formatting as fmt
from winnow.report.funnel import removals, run_totals, steps, trends
from winnow.report.page import SCRIPT

#: Explicit types where inference from Python values is ambiguous (the stage timings).
SCHEMAS = {"run": pa.schema([
    ("run_id", pa.string()), ("started_at", pa.timestamp("us")),
    ("finished_at", pa.timestamp("us")), ("config_hash", pa.string()),
    ("config_path", pa.string()), ("inputs", pa.list_(pa.string())),
    ("winnow_version", pa.string()), ("spark_version", pa.string()),
    ("python_version", pa.string()), ("master", pa.string()),
    ("default_parallelism", pa.int32()), ("stage_wall_seconds", pa.list_(
        pa.struct([("stage", pa.string()), ("seconds", pa.float64())]))),
    ("documents_in", pa.int64()), ("documents_kept", pa.int64()),
    ("documents_removed", pa.int64()), ("documents_quarantined", pa.int64()),
    ("signal_passes", pa.int32()), ("signal_pass_rows", pa.int64())])}
XSS = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'


def summary_rows(run_id: str, n: int, short: int, dups: int, quarantined: int = 2) -> list:
    """A tidy stage_summary of input → normalize → length → exact_dedup."""
    chars = 100 * n
    rows = []
    docs, c = n, chars
    plan = [("input", [("input:malformed_json", quarantined, 0)]), ("normalize", []),
            ("length", [("length:too_short", short, 10 * short)]),
            ("exact_dedup", [("dedup:exact_duplicate", dups, 100 * dups)])]
    for i, (stage, removed) in enumerate(plan):
        rows.append(dict(run_id=run_id, stage_index=i, stage=stage, outcome="in", reason=None,
                         documents=docs, characters=c, wall_seconds=1.5, cpu_seconds=0.5))
        for reason, d, ch in removed:
            rows.append(dict(run_id=run_id, stage_index=i, stage=stage, outcome="removed",
                             reason=reason, documents=d, characters=ch, wall_seconds=None,
                             cpu_seconds=None))
            docs, c = docs - d, c - ch
        if stage == "normalize":
            rows.append(dict(run_id=run_id, stage_index=i, stage=stage, outcome="modified",
                             reason=None, documents=7, characters=0, wall_seconds=None,
                             cpu_seconds=None))
        rows.append(dict(run_id=run_id, stage_index=i, stage=stage, outcome="out", reason=None,
                         documents=docs, characters=c, wall_seconds=None, cpu_seconds=None))
    return rows


def run_tables(run_id: str, started: datetime, n: int = 1000, short: int = 120,
               dups: int = 30, optional: bool = False) -> dict[str, list[dict]]:
    """All tables of one run; ``optional`` adds languages, dup_clusters and an unknown one."""
    kept = n - 2 - short - dups
    edges = [50.0 * k for k in range(21)]
    tables = {
        "stage_summary": summary_rows(run_id, n, short, dups),
        "run": [dict(run_id=run_id, started_at=started, finished_at=started + timedelta(
            seconds=75), config_hash="abc123", config_path="conf/default.yaml",
            inputs=["data/a.jsonl.gz", "data/b.jsonl.gz"], winnow_version="0.1.0",
            spark_version="4.1.1", python_version="3.11.7", master="local[2]",
            default_parallelism=2, stage_wall_seconds=[
                {"stage": "input + normalize + length", "seconds": 40.0},
                {"stage": "exact_dedup", "seconds": 12.0}],
            documents_in=n, documents_kept=kept, documents_removed=short + dups,
            documents_quarantined=2, signal_passes=1, signal_pass_rows=n)],
        "signals": [
            dict(run_id=run_id, signal="word_count", subset=subset, documents=docs,
                 mean=mean, min=lo, max=hi, p01=lo, p05=lo + 1, p25=mean / 2, p50=mean,
                 p75=mean * 1.5, p95=hi - 1, p99=hi, hist_edges=edges, hist_counts=counts)
            for subset, docs, mean, lo, hi, counts in [
                ("kept", kept, 400.0, 50.0, 1000.0, [0, 10] + [kept // 18] * 18),
                ("removed", short + dups, 20.0, 1.0, 49.0, [short + dups] + [0] * 19)]],
        "domains": [
            dict(run_id=run_id, domain="example.com", documents=600, characters=60000,
                 kept_documents=500, kept_characters=50000, removed_documents=100,
                 removed_characters=10000),
            dict(run_id=run_id, domain="spam.example<b>", documents=50, characters=500,
                 kept_documents=0, kept_characters=0, removed_documents=50,
                 removed_characters=500),
            dict(run_id=run_id, domain=None, documents=348, characters=39500,
                 kept_documents=min(kept - 500, 348), kept_characters=39000,
                 removed_documents=348 - min(kept - 500, 348), removed_characters=500)],
        "examples": [
            dict(run_id=run_id, reason="length:too_short", stage="length", id="doc-1",
                 url="https://spam.example/\"><b>x</b>", duplicate_of=None, snippet=XSS),
            dict(run_id=run_id, reason="dedup:exact_duplicate", stage="exact_dedup",
                 id="doc-9", url=None, duplicate_of="doc-2", snippet="Same text & more"),
            dict(run_id=run_id, reason="input:malformed_json", stage="input", id="q-1",
                 url=None, duplicate_of=None, snippet="{broken json line")],
    }
    if optional:
        tables["languages"] = [
            dict(run_id=run_id, lang="en", documents=900, characters=90000, kept=800,
                 removed=100),
            dict(run_id=run_id, lang="de", documents=98, characters=9800, kept=kept - 800,
                 removed=98 - (kept - 800))]
        tables["dup_clusters"] = [dict(run_id=run_id, cluster_size=s, clusters=c,
                                       documents=s * c)
                                  for s, c in [(1, 5000), (2, 400), (3, 35), (5, 4), (120, 1)]]
        tables["dup_clusters_largest"] = [dict(run_id=run_id, dup_cluster="c-7", cluster_size=120,
                                               kept_id="doc-7", sample_id="c-7",
                                               sample_snippet="Buy <script>now</script>")]
        tables["quality_scores"] = [dict(run_id=run_id, outcome="kept", documents=800,
                                         mean=0.71, p50=0.7, threshold=0.42)]
    return tables


def write_single(out: Path, tables: dict[str, list[dict]]) -> None:
    """The layout of one run: ``stats/<table>/part-00000.parquet`` with ``run_id``."""
    for name, rows in tables.items():
        (out / "stats" / name).mkdir(parents=True)
        table = pa.Table.from_pylist(rows, schema=SCHEMAS.get(name))
        pq.write_table(table, out / "stats" / name / "part-00000.parquet")
    (out / "_SUCCESS").write_text("")


def write_partitioned(out: Path, tables: dict[str, list[dict]], run_id: str) -> None:
    """The nightly layout: ``stats/<table>/run_id=<ID>/`` without the column in the file."""
    for name, rows in tables.items():
        part = out / "stats" / name / f"run_id={run_id}"
        part.mkdir(parents=True)
        table = pa.Table.from_pylist(rows, schema=SCHEMAS.get(name))
        pq.write_table(table.drop_columns(["run_id"]), part / "part-00000.parquet")


def funnel_numbers(html: str) -> dict[str, tuple[int, int]]:
    """Documents in and out per stage, as the funnel table carries them."""
    found = re.findall(r'data-stage="([^"]+)" data-docs-in="(\d+)" data-docs-out="(\d+)"', html)
    return {stage: (int(i), int(o)) for stage, i, o in found}


@pytest.fixture
def single(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_single(out, run_tables("r1", datetime(2026, 1, 1, 2, 0)))
    return out


def test_funnel_steps_and_reasons_from_tidy_rows():
    got = steps(summary_rows("r1", 1000, 120, 30))
    assert [s.stage for s in got] == ["input", "normalize", "length", "exact_dedup"]
    assert [(s.docs_in, s.docs_out) for s in got] == [
        (1000, 998), (998, 998), (998, 878), (878, 848)]
    assert got[1].modified == 7 and got[0].modified is None
    assert [s.removed for s in got] == [2, 0, 120, 30]
    assert got[2].chars_out == got[2].chars_in - 1200
    assert [(r.reason, r.documents) for r in removals(got)] == [
        ("length:too_short", 120), ("dedup:exact_duplicate", 30), ("input:malformed_json", 2)]


def test_trends_follow_run_order_and_tolerate_missing_stages():
    rows = summary_rows("a", 1000, 100, 0) + [
        r for r in summary_rows("b", 500, 250, 10) if r["stage"] != "normalize"]
    by_stage = {t.stage: t for t in trends(rows, ["b", "a"])}
    assert list(by_stage) == ["input", "normalize", "length", "exact_dedup"]
    assert by_stage["length"].removed_share() == pytest.approx([250 / 498, 100 / 998])
    assert by_stage["normalize"].docs_in == [None, 998]
    assert by_stage["normalize"].removed_share() == [None, 0.0]
    assert run_totals(rows, ["b", "a", "never"]) == ([500, 1000, None], [238, 898, None])


def test_single_run_report_shows_the_funnel_and_every_section(single: Path):
    html = render(StatsTables(str(single)))
    assert funnel_numbers(html) == {"input": (1000, 998), "normalize": (998, 998),
                                    "length": (998, 878), "exact_dedup": (878, 848)}
    for anchor in ("funnel", "reasons", "domains", "signals", "examples", "run"):
        assert f'<section id="{anchor}">' in html, anchor
    # Optional tables are absent here: their sections are skipped, not broken.
    for anchor in ("trend", "languages", "dedup", "more"):
        assert f'<section id="{anchor}">' not in html, anchor
    assert "Not in this output: languages, dup_clusters." in html
    assert "length:too_short" in html and "120 · 12.0%" in html  # the reason bar's note
    assert "848" in html and "84.8% of input" in html              # the kept card
    assert "word_count" in html and "config_path" not in html
    assert "conf/default.yaml" in html and "abc123" in html        # run metadata
    assert "input + normalize + length" in html                    # wall time per step


def test_snippets_and_data_strings_are_escaped(single: Path):
    html = render(StatsTables(str(single)))
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script") == 1 and "<img" not in html
    assert "spam.example&lt;b&gt;" in html and "<b>x</b>" not in html
    assert "Same text &amp; more" in html
    # Every chart is well-formed XML, so no data string broke out of its text node.
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)


def test_page_is_self_contained_and_its_script_allowed_by_hash(single: Path):
    html = render(StatsTables(str(single)))
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and f"<script>{SCRIPT}</script>" in html
    assert "default-src 'none'" in html


def test_optional_tables_get_their_sections(tmp_path: Path):
    out = tmp_path / "out"
    write_single(out, run_tables("r1", datetime(2026, 1, 1), optional=True))
    html = render(StatsTables(str(out)))
    for anchor in ("languages", "dedup", "more"):
        assert f'<section id="{anchor}">' in html, anchor
    langs = html[html.index('<section id="languages">'):]
    assert "<td>de</td>" in langs and "9.8%" in langs
    dedup = html[html.index('<section id="dedup">'):]
    assert "440 clusters of near-duplicates holding 1,045 documents" in dedup
    assert "the largest has 120 members" in dedup
    assert "5,000 documents have no near-duplicate" in dedup
    assert "<code>doc-7</code>" in dedup and "Buy &lt;script&gt;now&lt;/script&gt;" in dedup
    assert "stats/quality_scores" in html and "0.42" in html
    assert "Not in this output" not in html


def test_many_cluster_sizes_are_grouped_in_powers_of_two(tmp_path: Path):
    out = tmp_path / "out"
    tables = run_tables("r1", datetime(2026, 1, 1))
    tables["dup_clusters"] = [dict(run_id="r1", cluster_size=s, clusters=1000 // s,
                                   documents=s * (1000 // s)) for s in range(2, 80)]
    write_single(out, tables)
    html = render(StatsTables(str(out)))
    svg = re.search(r'<svg class="chart columns".*?</svg>', html, flags=re.S).group(0)
    assert ">2<" in svg and ">3–4<" in svg and ">65–128<" in svg
    assert "3–4: 583 clusters" in svg  # 1000 // 3 + 1000 // 4


@pytest.mark.parametrize("layout", ["stats_partitions", "run_dirs"])
def test_several_runs_show_the_trend_and_detail_the_latest(tmp_path: Path, layout: str):
    out = tmp_path / "nightly"
    runs = [("20260101", datetime(2026, 1, 1), 120), ("20260102", datetime(2026, 1, 2), 300),
            ("20260103", datetime(2026, 1, 3), 90)]
    for run_id, started, short in runs:
        tables = run_tables(run_id, started, short=short)
        if layout == "stats_partitions":
            write_partitioned(out, tables, run_id)
        else:
            write_single(out / f"run_id={run_id}", tables)
    stats = StatsTables(str(out))
    assert stats.run_ids() == ["20260101", "20260102", "20260103"]
    assert stats.table("run").schema.field("run_id").type == pa.string()
    html = render(stats)
    trend = html[html.index('<section id="trend">'):html.index('<section id="domains">')]
    assert "Across runs: the trend of each stage" in trend
    assert trend.count('class="chart trend"') == 1 + 4  # overall + one per stage
    # length removed 120/998, 300/998, 90/998 of its input, in run order.
    assert re.search(r"12\.0%.*30\.1%.*9\.0%", trend, flags=re.S)
    assert "20260103 <em>(detailed)</em>" in trend
    assert funnel_numbers(html)["length"] == (998, 908)
    earlier = render(stats, run_id="20260102")
    assert funnel_numbers(earlier)["length"] == (998, 698)
    with pytest.raises(WinnowError, match="not in"):
        render(stats, run_id="nope")


def test_cli_writes_the_report_into_the_output(single: Path, capsys):
    assert cli.main(["report", str(single)]) == 0
    page = (single / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data-docs-out=\"848\"" in page
    assert "report.html" in capsys.readouterr().out
    elsewhere = single.parent / "r.html"
    assert write_report(str(single), str(elsewhere)) == str(elsewhere)
    assert elsewhere.read_text().count("<section") == page.count("<section")


def test_not_an_output_is_a_user_error(tmp_path: Path, capsys):
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "no statistics found" in capsys.readouterr().err


def test_number_formats():
    assert fmt.count(1234567) == "1,234,567" and fmt.count(None) == "—"
    assert [fmt.compact(x) for x in (950, 12_345, 3_400_000, 1.5e9)] == [
        "950", "12k", "3.4M", "1.5G"]
    assert fmt.percent(1, 3) == "33.3%" and fmt.percent(1, 10_000) == "<0.1%"
    assert fmt.percent(0, 5) == "0.0%" and fmt.percent(3, 0) == "—"
    assert [fmt.value(x) for x in (0.01234, 3.14159, 2048.0, 7.0)] == [
        "0.0123", "3.14", "2,048", "7"]
    assert [fmt.short(x) for x in (127_266.0, 10_334.0, 0.9561, 0.00149, 0.000788)] == [
        "127k", "10,334", "0.956", "0.0015", "7.9e-4"]
    assert fmt.seconds(185) == "3 min 05 s"


def test_histogram_scales_each_subset_to_its_share():
    svg = charts.histogram([0.0, 1.0, 2.0], [charts.Series("kept", [30, 10], charts.KEPT),
                                             charts.Series("removed", [1, 3], charts.REMOVED)],
                           [], "x")
    root = ET.fromstring(svg)
    tips = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("kept: 30 documents (75.0%)" in t for t in tips)
    assert any(t.startswith("removed: 25.0%, 75.0%") for t in tips)

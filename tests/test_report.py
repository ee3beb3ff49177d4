"""The curation report of a real run, rendered and opened in headless Chromium.

One default-config run over the shared C4 sample (real local Spark, real Parquet);
``winnow report`` renders its stats tables; Chromium (Debian's ``chromium``, installed
by ``.ci/run``) loads the page, which must run its script without errors or policy
violations and show the run's funnel.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import C4_SAMPLE, ROOT
from winnow import cli, config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Path of the Chromium binary, or skip the test saying how to get it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    return found


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    """One headless Chromium invocation with a throwaway profile, console logged to stderr."""
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def funnel_numbers(html: str) -> dict[str, tuple[int, int]]:
    found = re.findall(r'data-stage="([^"]+)" data-docs-in="(\d+)" data-docs-out="(\d+)"', html)
    return {stage: (int(i), int(o)) for stage, i, o in found}


def expected_funnel(summary: list[tuple]) -> dict[str, tuple[int, int]]:
    """Documents in and out per stage from the job's own stage_summary rows."""
    got: dict[str, dict[str, int]] = {}
    for _, _, stage, outcome, _, docs, *_ in summary:
        if outcome in ("in", "out"):
            got.setdefault(stage, {})[outcome] = docs
    return {stage: (v["in"], v["out"]) for stage, v in got.items()}


@pytest.fixture(scope="module")
def reported(spark, tmp_path_factory):
    """A real run over the C4 sample and its report, written by ``winnow report``."""
    out = tmp_path_factory.mktemp("report") / "out"
    cfg = config.load(ROOT / "conf" / "default.yaml")
    files = expand_inputs([str(C4_SAMPLE)], cfg.input.format)
    result = job.run(spark, cfg, files, str(out), run_id="report-e2e",
                     progress=Progress(quiet=True))
    assert cli.main(["report", str(out)]) == 0
    return result, out, out / "report.html"


def test_report_shows_the_run_as_its_tables_hold_it(reported):
    result, out, html_path = reported
    html = html_path.read_text(encoding="utf-8")
    funnel = funnel_numbers(html)
    assert funnel == expected_funnel(result.summary)
    assert list(funnel) == ["input", "normalize", "length", "exact_dedup"]
    assert funnel["exact_dedup"][1] == result.counts.kept == pq.read_table(out / "kept").num_rows
    for reason, docs in result.counts.by_reason.items():
        assert f"{reason}</a>" in html and f"{docs:,} · " in html, reason
    # Every reason with sampled documents gets its examples block.
    for reason in {r["reason"] for r in pq.read_table(out / "stats" / "examples").to_pylist()}:
        assert f'id="ex-{reason.replace(":", "-")}"' in html
    assert '<section id="signals">' in html and "word_count" in html
    assert '<section id="domains">' in html and '<section id="run">' in html
    assert "report-e2e" in html and '<section id="trend">' not in html


def test_report_loads_in_headless_chromium(reported, tmp_path):
    result, _, html_path = reported
    done = run_chromium(["--dump-dom", html_path.as_uri()], tmp_path / "profile")
    dom = done.stdout
    root = re.search(r"<html[^>]*>", dom).group(0)
    assert 'data-report-loaded="1"' in root, "the load handler did not run"
    assert "data-js-errors" not in root, root
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console  # no script error, no blocked fetch, no CSP violation
    assert funnel_numbers(dom) == expected_funnel(result.summary)
    kept = f"{result.counts.kept:,}"
    assert re.search(rf'<div class="card-label">Kept</div><div class="card-value">{kept}<', dom)

    shot = tmp_path / "report.png"
    run_chromium([f"--screenshot={shot}", "--window-size=1280,2400", html_path.as_uri()],
                 tmp_path / "profile")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2400)
    # A blank page compresses to ~12 kB; charts, tables and text take several times that.
    assert len(png) > 60_000

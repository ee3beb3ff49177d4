"""Run the demo-size job, render its curation report and screenshot it for the README.

    PYTHONPATH=lib .venv/bin/python bench/report_screenshot.py [--docs 20000]
        [--config conf/default.yaml] [--out bench/report-screenshot.png] [--keep DIR]

Like ``make demo``: a synthetic corpus of ``--docs`` documents (``winnow synth``), the
pipeline of ``--config`` in ``local[*]``, then ``winnow report`` and a 1280×2400 headless
Chromium screenshot of the page. Prints the job's docs/s/core, the report's render time
and size, and peak memory. Works in a temporary directory unless ``--keep`` names one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from winnow import config, job, synth
from winnow.io.listing import expand_inputs
from winnow.progress import Progress
from winnow.report import write_report
from winnow.session import build_session

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def screenshot(html: Path, png: Path, work: Path) -> None:
    """A 1280×2400 headless Chromium screenshot of ``html``."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}",
                    f"--screenshot={png}", "--window-size=1280,2400", html.as_uri()],
                   check=True, capture_output=True, timeout=300)


def measure(work: Path, args: argparse.Namespace) -> None:
    """Generate, curate, report and screenshot under ``work``; print the numbers."""
    synth.generate(args.docs, str(work / "corpus"), seed=0)
    cfg = config.load(args.config)
    files = expand_inputs([str(work / "corpus" / "docs")], cfg.input.format)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = build_session("local[*]", profile="local")
    cores = os.cpu_count() or 1  # local[*]: one task thread per core
    began = time.perf_counter()
    result = job.run(spark, cfg, files, str(work / "curated"), run_id="demo",
                     overwrite=True, progress=Progress(quiet=True))
    job_s = time.perf_counter() - began
    spark.stop()

    began = time.perf_counter()
    html = Path(write_report(str(work / "curated")))
    render_s = time.perf_counter() - began
    began = time.perf_counter()
    screenshot(html, args.out, work)
    shot_s = time.perf_counter() - began

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"docs             {args.docs}  (kept {result.counts.kept:,}, removed "
          f"{result.counts.removed:,})")
    print(f"config           {args.config}")
    print(f"job_wall_s       {job_s:.1f}  on {cores} cores")
    print(f"docs_per_s_core  {args.docs / job_s / cores:,.0f}")
    print(f"report_render_s  {render_s:.2f}  ({html.stat().st_size / 1024:,.0f} KiB HTML)")
    print(f"screenshot_s     {shot_s:.1f}  -> {args.out}")
    # ru_maxrss is in KiB on Linux: the driver's Python (the report renders in it).
    print(f"peak_rss_mb      driver python {peak_mb:.0f}")


def main() -> None:
    """Parse arguments and run once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000, help="as `make demo`")
    parser.add_argument("--config", default=str(ROOT / "conf" / "default.yaml"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report-screenshot.png")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work here and keep the corpus, output and report")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        measure(args.keep, args)
    else:
        with tempfile.TemporaryDirectory(prefix="winnow-report-") as tmp:
            measure(Path(tmp), args)


if __name__ == "__main__":
    main()

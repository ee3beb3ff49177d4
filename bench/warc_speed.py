"""WARC speed: pages/s/core for parsing, extraction, the whole ``fineweb_from_warc`` job,
and datatrove's ``WarcReader`` + ``Trafilatura`` on the same files in the same run.

Input: ``winnow synth --format warc`` pages (``--pages``, scaled beyond the small
shared files) plus ``../shared/data/warc/*.warc.gz``. Measured:

* parse: FastWARC through winnow's ``warc`` reader (HTTP decoding, charset), one core;
* extract: the ``extract`` stage's ``compute`` on those pages, one core
  (resiliparse, and trafilatura on ``--trafilatura-pages`` pages if installed);
* Spark extract: a job with ``url`` + ``extract`` only, in ``--master`` (local[2]);
* Spark whole: ``conf/recipes/fineweb_from_warc.yaml``, in ``--master``;
* datatrove: ``WarcReader`` → ``Trafilatura`` in its own interpreter, one core
  (``--datatrove-python``; installed as ``python3.11 -m venv /tmp/dt &&
  /tmp/dt/bin/pip install datatrove warcio trafilatura lxml_html_clean faust-cchardet
  python-magic``; datatrove 0.10 checks for the last three at run time).

Jobs run in one in-process session (JVM start-up not counted; the first job's
Python worker start-up is); the wall time
includes reading, writing and the conservation check. Numbers taken while other
work loads the machine say so (``--note``).

    .venv/bin/python bench/warc_speed.py --pages 2000 --datatrove-python /tmp/dt/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "lib"))

DATATROVE = r"""
import json, sys, time
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.extractors import Trafilatura
folder, glob = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
docs = list(WarcReader(folder, glob_pattern=glob).run(None, 0, 1))
parsed = time.perf_counter() - t0
t1 = time.perf_counter()
kept = sum(1 for _ in Trafilatura(timeout=30.0).run(iter(docs), 0, 1))
print(json.dumps({"pages": len(docs), "parse_s": parsed, "extract_s": time.perf_counter() - t1,
                  "kept": kept}))
"""


def rate(n: int, seconds: float, cores: int = 1) -> str:
    return f"{n / seconds / cores:,.0f} pages/s/core ({n:,} pages, {seconds:.1f}s, {cores} core)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--trafilatura-pages", type=int, default=200)
    ap.add_argument("--datatrove-python", default=None)
    ap.add_argument("--note", default="", help="e.g. 'machine under load (load avg 20)'")
    args = ap.parse_args()
    cores = int(args.master.split("[")[1].rstrip("]")) if "[" in args.master else os.cpu_count()

    import pyarrow as pa
    from winnow.io.warc import WarcReader
    from winnow.stage import TextBatch
    from winnow.stages.extract import Extract, ExtractParams
    from winnow.synth.warc import generate_warc
    from winnow.text.html import trafilatura_available

    fields = {"text": "text", "id": "id", "url": "url"}
    with tempfile.TemporaryDirectory() as tmp:
        generate_warc(args.pages, tmp, seed=11, pages_per_file=max(1, args.pages // 4))
        crawl = Path(tmp) / "warc"
        for p in sorted((SHARED / "warc").glob("*.warc.gz")):
            (crawl / p.name).symlink_to(p)
        files = sorted(crawl.glob("*.warc.gz"))

        t0 = time.perf_counter()
        rows = [r for f in files for b in WarcReader().read(str(f), fields)
                for r in b.to_pylist()]
        parse = time.perf_counter() - t0
        print(f"parse (FastWARC + HTTP + charset): {rate(len(rows), parse)}")

        def extract(sample: list[dict], **params: object) -> float:
            stage = Extract(ExtractParams(**params))
            stage.setup()
            cols = {c: pa.array([r.get(c) for r in sample]) for c in stage.input_columns()}
            t = time.perf_counter()
            stage.compute(TextBatch([r["text"] or "" for r in sample], cols))
            return time.perf_counter() - t

        print(f"extract resiliparse (stage compute): {rate(len(rows), extract(rows))}")
        if trafilatura_available():
            sample = rows[: args.trafilatura_pages]
            print(f"extract trafilatura (stage compute): "
                  f"{rate(len(sample), extract(sample, extractor='trafilatura'))}")

        peer_rate = None  # datatrove's pages/s on one core
        if args.datatrove_python:
            # datatrove's WarcReader raises EOFError on the truncated file (the whole
            # task fails), so its side reads the same files without that one.
            peer = Path(tmp) / "peer"
            peer.mkdir()
            for f in files:
                if "truncated" not in f.name:
                    (peer / f.name).symlink_to(f.resolve())
            script = Path(tmp) / "datatrove_side.py"  # a file: its worker processes
            script.write_text(DATATROVE)                # re-import __main__ (no ``-c``)
            out = subprocess.run(
                [args.datatrove_python, str(script), str(peer), "*.warc.gz"],
                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            dt = json.loads(out)
            peer_rate = dt["pages"] / (dt["parse_s"] + dt["extract_s"])
            print(f"datatrove WarcReader: {rate(dt['pages'], dt['parse_s'])}")
            print(f"datatrove Trafilatura: {rate(dt['pages'], dt['extract_s'])}")
            print(f"datatrove WarcReader + Trafilatura: "
                  f"{rate(dt['pages'], dt['parse_s'] + dt['extract_s'])}; kept {dt['kept']:,}")

        from winnow import config, job
        from winnow.io.listing import expand_inputs
        from winnow.progress import Progress
        from winnow.session import build_session

        # As ``winnow run`` in local mode: the local profile (input-sized partitions,
        # the JVM's client compiler).
        spark = build_session(args.master,
                              profile="local" if args.master.startswith("local") else None)
        only = Path(tmp) / "extract_only.yaml"
        lists = "".join(f"    {k}: asset:url-banned/{k}.txt\n"
                        for k in ("banned_words", "soft_banned_words", "banned_subwords"))
        only.write_text(f"input: {{format: warc}}\nstages:\n  - stage: url\n{lists}"
                        "  - stage: extract\n")
        recipe = ROOT / "conf" / "recipes" / "fineweb_from_warc.yaml"
        runs = [("Spark url+extract", only, files), ("Spark fineweb_from_warc", recipe, files)]
        for label, cfg_path, inputs in runs:
            cfg = config.load(cfg_path)
            listed = expand_inputs([str(f) for f in inputs], cfg.input.format)
            t = time.perf_counter()
            result = job.run(spark, cfg, listed, f"{tmp}/out-{label.replace(' ', '_')}",
                             progress=Progress(quiet=True))
            wall = time.perf_counter() - t
            n = result.counts.records
            ratio = (f"; {n / wall / cores / peer_rate:.1f}x datatrove's WarcReader + "
                     "Trafilatura per core" if peer_rate else "")
            print(f"{label} on {args.master}: {rate(n, wall, cores)}; "
                  f"kept {result.counts.kept:,}{ratio}", flush=True)
        spark.stop()

    if args.note:
        print(f"note: {args.note}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

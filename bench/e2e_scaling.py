"""End-to-end scaling: winnow's full and default pipelines against datatrove, by corpus size.

    python bench/e2e_scaling.py [--sizes 10000,100000] [--corpora synth,c4]
        [--recipes full_pipeline,default] [--datatrove-sizes 10000,100000]
        [--datatrove-python PY] [--master local[2]] [--plot bench/e2e_scaling.png]

For each corpus and size it runs ``winnow run`` in a fresh process (as a user would)
and prints docs/s/core, the wall seconds per phase (from the run's own progress
lines: Spark start, each materialised segment, the tail after the last stage),
the Spark jobs / stages / tasks (``stats/run``) and the peak RSS of the process
tree (driver JVM and Python workers). It also measures the fixed cost: a bare
``SparkSession`` start + one trivial job + stop, and the full pipeline over one
document. datatrove's equivalent pipeline (URL, Gopher repetition and quality, C4,
C4 bad words, FineWeb filters, then its four MinHash steps, 14 bands x 8 rows over
word 5-grams; datatrove needs a downloaded model for LID and has no exact
document dedup, so those two stages are winnow's only) runs on the same inputs and
cores in its own virtualenv (created under the bench's temp dir unless
``--datatrove-python`` is given), as ``bench/compare_datatrove.py`` does. The plot
of docs/s/core against corpus size is drawn with that venv's matplotlib.

Corpora: ``synth`` (``winnow.synth``: planted junk, exact and near copies) and
``c4`` (the shared 1,000-document C4 sample repeated with a per-copy edit: one in
eight copies exact, the rest near copies, so dedup has real work).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
C4 = SHARED / "web" / "c4-en-sample-1000.jsonl.gz"
WORDLISTS = SHARED / "wordlists"
RECIPES = {"full_pipeline": ROOT / "conf" / "recipes" / "full_pipeline.yaml",
           "default": ROOT / "conf" / "default.yaml"}
LINE = re.compile(r"^\[winnow\s+([\d.]+)s\] (.*)$")
DONE = re.compile(r"^\s*done (.+): ([\d,]+) rows in ([\d.]+)s")


# --- inputs -------------------------------------------------------------------------------

def make_synth(n: int, out: Path) -> Path:
    from winnow.synth import generate

    generate(n, str(out), seed=1, shards=max(2, min(64, n // 20_000)))
    return out / "docs"


def make_c4(n: int, out: Path) -> Path:
    """The C4 sample repeated to ``n`` documents: copy k of a document is exact every
    eighth time, else a near copy (a few words of the copy number appended)."""
    with gzip.open(C4, "rt", encoding="utf-8") as f:
        base = [json.loads(line) for line in f]
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    shards = max(2, min(64, n // 20_000))
    files = [gzip.open(docs / f"part-{i:05d}.jsonl.gz", "wt", encoding="utf-8",
                       compresslevel=1) for i in range(shards)]
    try:
        for i in range(n):
            d = base[i % len(base)]
            copy = i // len(base)
            text = d["text"]
            if copy and copy % 8:
                text = f"{text}\nCopy {copy} of page {i % len(base)}."
            row = {"id": f"c4-{i}", "text": text, "url": d.get("url")}
            files[i % shards].write(json.dumps(row) + "\n")
    finally:
        for f in files:
            f.close()
    return docs


# --- measuring a process tree -------------------------------------------------------------

def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def timed(cmd: list[str], log: Path) -> tuple[float, int, int]:
    """Run ``cmd`` with stderr to ``log``; wall seconds, peak tree RSS, return code."""
    peak = 0
    t0 = time.perf_counter()
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.wait(0.5):
                peak = max(peak, _tree_rss(proc.pid))

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        rc = proc.wait()
        done.set()
        t.join()
    return time.perf_counter() - t0, peak, rc


# --- winnow -------------------------------------------------------------------------------

def phases(log: Path, wall: float) -> dict[str, float]:
    """Wall seconds per phase from the progress lines: each materialised segment (as the
    run logs it), ``tail`` (from the last segment's end to the ``published`` line: write,
    statistics, check, publication) and ``spark start/stop`` (the rest of the process:
    interpreter, session start before the first line, stop after the last)."""
    last_done = end = None
    out: dict[str, float] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        t = float(m.group(1))
        end = t
        d = DONE.match(m.group(2))
        if d:
            label = d.group(1)
            if "+" in label and "dedup" not in label:
                label = "signals"
            out[label] = out.get(label, 0.0) + float(d.group(3))
            last_done = t
    if end is None:
        return {}
    out["tail"] = end - (last_done if last_done is not None else end)
    out["spark start/stop"] = max(0.0, wall - end)
    return out


def run_winnow(recipe: str, inp: Path, out: Path, master: str, log: Path) -> dict:
    cmd = [sys.executable, "-m", "winnow.cli", "run", "--config", str(RECIPES[recipe]),
           "--input", str(inp), "--output", str(out), "--master", master, "--overwrite"]
    wall, peak, rc = timed(cmd, log)
    if rc != 0:
        raise SystemExit(f"winnow failed ({rc}); see {log}")
    import pyarrow.parquet as pq

    run = pq.read_table(out / "stats" / "run").to_pylist()[0]
    return {"wall": wall, "rss": peak, "docs": run["documents_in"],
            "kept": run["documents_kept"], "jobs": run.get("spark_jobs"),
            "stages": run.get("spark_stages"), "tasks": run.get("spark_tasks"),
            "phases": phases(log, wall)}


BARE = """
import time, sys
sys.path.insert(0, {lib!r})
from winnow.session import build_session
s = build_session({master!r})
s.range(1).count()
s.stop()
"""


def bare_spark(master: str, log: Path) -> float:
    wall, _, rc = timed([sys.executable, "-c", BARE.format(lib=str(ROOT / "lib"),
                                                          master=master)], log)
    if rc:
        raise SystemExit(f"bare Spark failed; see {log}")
    return wall


# --- datatrove ----------------------------------------------------------------------------

DATATROVE = r'''
import functools, os, sys, time
from pathlib import Path
import tldextract
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import (MinhashDedupBuckets, MinhashDedupCluster,
                                      MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.filters import (C4BadWordsFilter, C4QualityFilter,
    FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter, URLFilter, c4_filters)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.hashing import HashConfig

# Offline: bad words and the public-suffix list from local files (compare_datatrove.py).
# At module level: the workers import this module again and need the same patches.
wordlists = Path(os.environ["BENCH_WORDLISTS"])
c4_filters.cached_asset_path_or_download = lambda *a, **k: str(wordlists / "ldnoobw" / "en")
tldextract.TLDExtract = functools.partial(tldextract.TLDExtract, suffix_list_urls=())

# datatrove's executor starts its workers through a forkserver, which imports this
# module again: without the guard every worker re-ran the whole pipeline (a hang).
if __name__ == "__main__":
    inp, work, cores = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    lists = {n: (wordlists / "url-banned" / f"{n}.txt").read_text().splitlines()
             for n in ("banned_words", "banned_subwords", "soft_banned_words")}
    files = sorted(Path(inp).glob("*.jsonl.gz"))
    tasks = len(files)
    cfg = MinhashConfig(hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8,
                        n_grams=5)
    steps = {
      "filters": [JsonlReader(inp, glob_pattern="*.jsonl.gz"),
                  URLFilter(use_integrated_lists=False, **lists), GopherRepetitionFilter(),
                  GopherQualityFilter(), C4QualityFilter(), C4BadWordsFilter(
                      fail_on_missing_language=False), FineWebQualityFilter(),
                  JsonlWriter(str(work / "filtered"))],
      "signatures": [JsonlReader(str(work / "filtered")),
                     MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg)],
      "buckets": [MinhashDedupBuckets(input_folder=str(work / "sigs"),
                                      output_folder=str(work / "buckets"), config=cfg)],
      "cluster": [MinhashDedupCluster(input_folder=str(work / "buckets"),
                                      output_folder=str(work / "remove_ids"), config=cfg)],
      "filter": [JsonlReader(str(work / "filtered")),
                 MinhashDedupFilter(input_folder=str(work / "remove_ids")),
                 JsonlWriter(str(work / "deduped"))],
    }
    counts = {"filters": tasks, "signatures": tasks, "buckets": cfg.num_buckets, "cluster": 1,
              "filter": tasks}
    for name, pipeline in steps.items():
        t0 = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=counts[name], workers=cores,
                              logging_dir=str(work / "logs" / name)).run()
        print(f"PHASE {name} {time.perf_counter() - t0:.2f}", flush=True)
'''


def datatrove_python(tmp: Path, given: str | None) -> str:
    if given:
        return given
    venv = tmp / "datatrove-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    # xxhash 4 refuses str input, which datatrove 0.10 MinHash passes (TypeError).
    subprocess.run([*pip, "datatrove", "spacy", "tldextract", "pyahocorasick", "regex",
                    "tokenizers", "xxhash<4", "orjson", "nltk", "fasteners", "matplotlib"],
                   check=True)
    return str(venv / "bin" / "python")


def run_datatrove(py: str, inp: Path, work: Path, cores: int, log: Path) -> dict:
    script = work.parent / "datatrove_pipeline.py"
    script.write_text(DATATROVE)
    cmd = [py, str(script), str(inp), str(work), str(cores), str(WORDLISTS)]
    with open(log, "w"):
        pass
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "BENCH_WORDLISTS": str(WORDLISTS)})
    wall = time.perf_counter() - t0
    log.write_text(proc.stderr[-20000:])
    if proc.returncode:
        raise SystemExit(f"datatrove failed; see {log}")
    ph = {m.group(1): float(m.group(2))
          for m in re.finditer(r"^PHASE (\w+) ([\d.]+)$", proc.stdout, re.M)}
    return {"wall": wall, "rss": peak, "phases": ph}


# --- plot ---------------------------------------------------------------------------------

PLOT = r'''
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows, out, title = json.loads(open(sys.argv[1]).read()), sys.argv[2], sys.argv[3]
fig, ax = plt.subplots(figsize=(7, 4.2))
for label in sorted({r["label"] for r in rows}):
    pts = sorted((r["docs"], r["rate"]) for r in rows if r["label"] == label)
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("documents"); ax.set_ylabel("docs / s / core (end to end)")
ax.set_title(title, fontsize=9); ax.grid(True, which="both", alpha=0.3); ax.legend(fontsize=8)
fig.tight_layout(); fig.savefig(out, dpi=120)
'''


def plot(py: str, rows: list[dict], out: Path, title: str, tmp: Path) -> None:
    data, script = tmp / "plot.json", tmp / "plot.py"
    data.write_text(json.dumps(rows))
    script.write_text(PLOT)
    subprocess.run([py, str(script), str(data), str(out), title], check=True)


# --- main ---------------------------------------------------------------------------------

def _cores(master: str) -> int:
    m = re.match(r"local\[(\d+|\*)\]", master)
    if m and m.group(1) != "*":
        return int(m.group(1))
    return os.cpu_count() or 1


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--corpora", default="synth,c4")
    ap.add_argument("--recipes", default="full_pipeline,default")
    ap.add_argument("--datatrove-sizes", default="10000,100000",
                    help="sizes datatrove runs on (empty: none)")
    ap.add_argument("--datatrove-python", help="interpreter with datatrove (default: a new "
                    "virtualenv under the temp dir)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--plot", default=str(ROOT / "bench" / "e2e_scaling.png"))
    ap.add_argument("--work", help="keep inputs and outputs here (default: a temp dir)")
    ap.add_argument("--load-note", default="", help="e.g. 'machine shared with 8 sessions'")
    args = ap.parse_args()
    cores = _cores(args.master)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(args.work or t)
        tmp.mkdir(parents=True, exist_ok=True)
        # The recipes' word lists are winnow assets: copied from the shared local copy.
        subprocess.run([sys.executable, "-m", "winnow.cli", "assets", "fetch", "--from",
                        str(WORDLISTS)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        bare = bare_spark(args.master, tmp / "bare.log")
        one = tmp / "one"
        one_in = make_synth(1, one)
        single = run_winnow("full_pipeline", one_in, one / "out", args.master,
                            tmp / "one.log")
        print(f"fixed cost: bare Spark start + 1 job + stop {bare:.1f} s; full pipeline on 1 "
              f"document {single['wall']:.1f} s ({single['wall'] / bare:.1f}x); "
              f"{single['jobs']} Spark jobs")
        print(f"\n{'corpus':<6} {'docs':>9} {'pipeline':<14} {'wall s':>8} {'docs/s/core':>12} "
              f"{'tail %':>7} {'jobs':>5} {'RSS GB':>7}  phases (s)")
        rows: list[dict] = []
        dt_py = None
        for corpus in args.corpora.split(","):
            for n in _ints(args.sizes):
                base = tmp / f"{corpus}-{n}"
                inp = (make_synth if corpus == "synth" else make_c4)(n, base / "in")
                walls = {}
                for recipe in args.recipes.split(","):
                    r = run_winnow(recipe, inp, base / f"out-{recipe}", args.master,
                                   base / f"{recipe}.log")
                    walls[recipe] = r["wall"]
                    rate = r["docs"] / r["wall"] / cores
                    tail = 100 * r["phases"].get("tail", 0.0) / r["wall"]
                    ph = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
                    print(f"{corpus:<6} {n:>9,} {recipe:<14} {r['wall']:>8.1f} {rate:>12,.0f} "
                          f"{tail:>6.0f}% {r['jobs']:>5} {r['rss'] / 1e9:>7.2f}  {ph}",
                          flush=True)
                    rows.append({"label": f"winnow {recipe} ({corpus})", "docs": n,
                                 "rate": rate})
                if n in _ints(args.datatrove_sizes):
                    dt_py = dt_py or datatrove_python(tmp, args.datatrove_python)
                    d = run_datatrove(dt_py, inp, base / "datatrove", cores,
                                      base / "datatrove.log")
                    rate = n / d["wall"] / cores
                    ph = ", ".join(f"{k} {v:.1f}" for k, v in d["phases"].items())
                    speedup = d["wall"] / walls.get("full_pipeline", float("nan"))
                    print(f"{corpus:<6} {n:>9,} {'datatrove':<14} {d['wall']:>8.1f} "
                          f"{rate:>12,.0f} {'':>7} {'':>5} {'':>7}  {ph}  "
                          f"(winnow full_pipeline {speedup:.1f}x faster)", flush=True)
                    rows.append({"label": f"datatrove ({corpus})", "docs": n, "rate": rate})
        note = f"{args.master}, load avg {load:.1f} at start {args.load_note}".strip()
        print(f"\n{note}")
        if args.plot and rows:
            py = dt_py or args.datatrove_python
            if py:
                plot(py, rows, Path(args.plot), f"end to end, {note}", tmp)
                print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

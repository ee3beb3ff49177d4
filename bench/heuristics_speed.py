"""Throughput of the heuristic signal families, fused, on C4 and synthetic documents.

Measures docs/s/core of the pure signal pass (the stages' ``compute`` over Arrow-
sized batches in this process, no Spark) per family and all together, then the
same fused pass through the real job in Spark ``local[2]`` (docs/s divided by the
2 cores), on two corpora: the C4 sample (1,000 documents, ~2.2 kB each) repeated
to ``--docs`` documents, and a synthetic corpus of ``--synth-docs`` documents
from ``winnow.synth`` (web-like text with boilerplate, spam and duplicates).
Reference: datatrove 0.10 runs Gopher repetition + Gopher quality + C4 + FineWeb
at ~42 docs/s/core on this kind of machine (docs/heuristics.md).

    .venv/bin/python bench/heuristics_speed.py [--docs 20000] [--synth-docs 100000]
        [--master local[2]] [--no-spark]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
BATCH = 2000  # spark.sql.execution.arrow.maxRecordsPerBatch in conf/spark/local.yaml

FAMILIES = """
stages:
  - stage: url
    banned_words: ../shared/data/wordlists/url-banned/banned_words.txt
    soft_banned_words: ../shared/data/wordlists/url-banned/soft_banned_words.txt
    banned_subwords: ../shared/data/wordlists/url-banned/banned_subwords.txt
  - stage: gopher_repetition
  - stage: gopher_quality
  - stage: c4
    terminal_punctuation: false
  - stage: c4_badwords
    lists: {en: ../shared/data/wordlists/ldnoobw/en}
  - stage: fineweb
"""
#: The issue's target set: the four families datatrove's ~42 docs/s/core refers to.
FOUR = ("gopher_repetition", "gopher_quality", "c4", "fineweb")


def four_families() -> dict:
    """The FAMILIES config with only the four target families."""
    import yaml

    cfg = yaml.safe_load(FAMILIES)
    cfg["stages"] = [s for s in cfg["stages"] if s["stage"] in FOUR]
    return cfg


def load_synth(n: int, directory: Path) -> tuple[list[dict], list[str]]:
    """Generate ``n`` synthetic documents under ``directory``; their rows and files."""
    from winnow.synth import generate

    generate(n, str(directory), seed=7)
    files = sorted(str(p) for p in (directory / "docs").glob("part-*.jsonl.gz"))
    docs = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs += [{"text": r.get("text") or "", "url": r.get("url") or ""}
                     for r in map(json.loads, f)]
    return docs, files


def load_docs(n: int) -> list[dict]:
    """The C4 sample repeated to ``n`` documents (ids made unique)."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        base = [json.loads(line) for line in f]
    return [{"id": f"{i}", "text": base[i % len(base)]["text"], "url": base[i % len(base)]["url"]}
            for i in range(n)]


def stages():
    import yaml
    from winnow import config

    return config.parse(yaml.safe_load(FAMILIES), base_dir=ROOT / "conf").stages


def pure_pass(docs: list[dict], label: str) -> None:
    """Per-family and fused CPU time of ``compute`` over batches, one process."""
    import pyarrow as pa
    from winnow.stage import TextBatch

    fused = stages()
    for s in fused:
        s.setup()
    batches = [docs[i:i + BATCH] for i in range(0, len(docs), BATCH)]
    warm = TextBatch([d["text"] for d in batches[0][:50]],
                     {"url": pa.array([d["url"] for d in batches[0][:50]])})
    for s in fused:
        s.compute(warm)  # compile / load the numba kernels outside the timing
    per_stage = dict.fromkeys((s.name for s in fused), 0.0)
    t_all = time.process_time()
    for b in batches:
        tb = TextBatch([d["text"] for d in b], {"url": pa.array([d["url"] for d in b])})
        for s in fused:
            t0 = time.process_time()
            s.compute(tb)
            per_stage[s.name] += time.process_time() - t0
    total = time.process_time() - t_all
    four = [s for s in fused if s.name in FOUR]
    t_four = time.process_time()
    for b in batches:
        tb = TextBatch([d["text"] for d in b], {"url": pa.array([d["url"] for d in b])})
        for s in four:
            s.compute(tb)
    t_four = time.process_time() - t_four
    print(f"pure signal pass, {label}, {len(docs):,} docs, batches of {BATCH} (CPU seconds):")
    for name, sec in per_stage.items():
        print(f"  {name:<18} {sec:7.2f} s  {len(docs) / sec:10,.0f} docs/s/core")
    print(f"  {'all six fused':<18} {total:7.2f} s  {len(docs) / total:10,.0f} docs/s/core")
    print(f"  {'the four fused':<18} {t_four:7.2f} s  {len(docs) / t_four:10,.0f} docs/s/core"
          f"  ({', '.join(FOUR)})")


def spark_pass(spark, cores: int, files: list[str], n: int, label: str, tmp: Path) -> None:
    """The four families fused through the real job (read JSON, signals, rules, write,
    stats); the signal pass's wall time is the issue's docs/s/core figure."""
    from winnow import config, job
    from winnow.io.listing import expand_inputs
    from winnow.progress import Progress

    cfg = config.parse(four_families(), base_dir=ROOT / "conf")
    t0 = time.perf_counter()
    result = job.run(spark, cfg, expand_inputs(files), str(tmp / f"out-{label}"),
                     progress=Progress(quiet=True))
    wall = time.perf_counter() - t0
    names = {s.name for s in cfg.stages}
    rows = [r for r in result.summary if r[3] == "in" and r[2] in names]
    pass_wall = rows[0][7]
    cpu = sum(r[8] or 0.0 for r in rows)  # wall time inside compute(), per stage, all cores
    print(f"Spark {spark.sparkContext.master}, four families, {label}, {n:,} docs "
          f"(docs/s/core = docs / wall / {cores} cores):")
    print(f"  whole job (read, signals, rules, write, stats) {wall:7.1f} s "
          f"{n / wall / cores:10,.0f} docs/s/core")
    print(f"  read + fused signal pass (wall)                {pass_wall:7.1f} s "
          f"{n / pass_wall / cores:10,.0f} docs/s/core")
    print(f"  signal stages' compute in the Python workers   {cpu:7.1f} s "
          f"{n / cpu:10,.0f} docs/s/core")


def executor_cores(master: str) -> int:
    """Cores of a ``local[N]`` master (``local[*]``: all; ``local``: 1)."""
    inside = master[master.find("[") + 1:master.find("]")] if "[" in master else "1"
    return (os.cpu_count() or 1) if inside == "*" else int(inside.split(",")[0])


def write_jsonl(docs: list[dict], path: Path, shards: int = 1) -> list[str]:
    """Write ``docs`` as ``shards`` JSON-lines files (one Spark task each at least,
    so every core of ``local[N]`` gets work: a 44 MB file is one input split)."""
    step = -(-len(docs) // shards)
    files = []
    for k in range(0, len(docs), step):
        files.append(str(path.with_suffix(f".{k // step}.jsonl")))
        with open(files[-1], "w", encoding="utf-8") as f:
            f.writelines(json.dumps(d) + "\n" for d in docs[k:k + step])
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20_000, help="C4 sample repeated to this")
    ap.add_argument("--synth-docs", type=int, default=100_000, help="0: no synthetic corpus")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()
    print("load average at start: {:.1f} {:.1f} {:.1f} on {} cores".format(
        *os.getloadavg(), os.cpu_count()))
    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-"))
    try:
        corpora = {"C4 sample repeated": load_docs(args.docs)}
        files = {"C4 sample repeated": write_jsonl(corpora["C4 sample repeated"],
                                                   tmp / "c4.jsonl", shards=4)}
        if args.synth_docs:
            corpora["synth"], files["synth"] = load_synth(args.synth_docs, tmp / "synth")
        for label, docs in corpora.items():
            pure_pass(docs, label)
        if not args.no_spark:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from winnow.session import build_session

            spark = build_session(args.master, profile="local",
                                  extra={"spark.ui.enabled": "false"})
            cores = executor_cores(args.master)
            # Warm the Python workers (numba kernels, word lists) on a few documents.
            warm = write_jsonl(corpora["C4 sample repeated"][:300], tmp / "warm.jsonl")
            spark_pass(spark, cores, warm, 300, "warm-up", tmp)
            for label, docs in corpora.items():
                spark_pass(spark, cores, files[label], len(docs), label, tmp)
            spark.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

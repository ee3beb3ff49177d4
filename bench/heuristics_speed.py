"""Throughput of the heuristic signal families, fused, on C4 documents.

Measures docs/s/core of the pure signal pass (the stages' ``compute`` over Arrow-
sized batches in this process, no Spark) per family and all together, then the
same fused pass through the real job in Spark ``local[1]`` (one core). The C4
sample (1,000 documents, ~2.2 kB each) is repeated to ``--docs`` documents.
Reference: datatrove 0.10 runs Gopher repetition + Gopher quality + C4 + FineWeb
at ~42 docs/s/core on this kind of machine (docs/heuristics.md).

    .venv/bin/python bench/heuristics_speed.py [--docs 20000] [--no-spark]
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


def pure_pass(docs: list[dict]) -> None:
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
    print(f"pure signal pass, {len(docs):,} docs, batches of {BATCH} (CPU seconds):")
    for name, sec in per_stage.items():
        print(f"  {name:<18} {sec:7.2f} s  {len(docs) / sec:10,.0f} docs/s/core")
    print(f"  {'all fused':<18} {total:7.2f} s  {len(docs) / total:10,.0f} docs/s/core")


def spark_pass(docs: list[dict]) -> None:
    """The fused families through the real job in Spark local[1] (one core)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import yaml
    from winnow import config, job, readers
    from winnow.progress import Progress
    from winnow.session import build_session

    tmp = Path(tempfile.mkdtemp(prefix="winnow-bench-"))
    try:
        paths = {}
        for name, part in (("warm", docs[:300]), ("docs", docs)):
            paths[name] = tmp / f"{name}.jsonl"
            with open(paths[name], "w", encoding="utf-8") as f:
                f.writelines(json.dumps(d) + "\n" for d in part)
        spark = build_session("local[1]", profile="local", extra={"spark.ui.enabled": "false"})
        cfg = config.parse(yaml.safe_load(FAMILIES), base_dir=ROOT / "conf")
        quiet = Progress(quiet=True)
        # Warm the Python worker (numba kernels, word lists) on a few documents.
        job.run(spark, cfg, readers.expand_inputs([str(paths["warm"])]), str(tmp / "w"),
                progress=quiet)
        t0 = time.perf_counter()
        result = job.run(spark, cfg, readers.expand_inputs([str(paths["docs"])]),
                         str(tmp / "out"), progress=quiet)
        wall = time.perf_counter() - t0
        spark.stop()
        names = {s.name for s in cfg.stages}
        rows = [r for r in result.summary if r[3] == "in" and r[2] in names]
        pass_wall = rows[0][7]
        cpu = sum(r[8] or 0.0 for r in rows)  # wall time inside compute(), per stage
        n = len(docs)
        print(f"Spark local[1], {n:,} docs:")
        print(f"  whole job (read, signals, rules, write, stats) {wall:7.1f} s "
              f"{n / wall:10,.0f} docs/s/core")
        print(f"  read + fused signal pass (wall)                {pass_wall:7.1f} s "
              f"{n / pass_wall:10,.0f} docs/s/core")
        print(f"  signal stages' compute in the Python worker    {cpu:7.1f} s "
              f"{n / cpu:10,.0f} docs/s/core")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()
    docs = load_docs(args.docs)
    print("load average at start: {:.1f} {:.1f} {:.1f} on {} cores".format(
        *os.getloadavg(), os.cpu_count()))
    pure_pass(docs)
    if not args.no_spark:
        spark_pass(docs)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

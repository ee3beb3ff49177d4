"""MinHash dedup speed: docs/s/core for signatures alone and for the whole stage.

    .venv/bin/python bench/minhash_speed.py [--docs 100000 [1000000 ...]] [--master local[2]]
        [--driver-memory 4g] [--corpus-dir DIR]

1. Signature kernel alone, in this process on one core: C4 documents
   (../shared/data, ~2.2 kB each), normalisation + 5-gram shingles + 14×8
   permutations + band keys.
2. For each ``--docs`` size: a synth corpus (C4-like documents with planted
   duplicates, generated once into ``--corpus-dir``) is read, normalised and
   exact-deduplicated and materialised; then the ``minhash_dedup`` stage runs
   and its result is materialised. Reported per phase (signature pass alone, whole
   stage): wall seconds, docs/s/core (docs / wall / cores), docs per CPU-second
   of the whole process tree (JVM + Python workers; robust to other load on the
   machine) and the tree's peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from winnow.minhash.signatures import Permutations, band_keys, signatures

ROOT = Path(__file__).resolve().parents[1]
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(root: int) -> list[int]:
    """``root`` and all its descendant process ids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process tree, including its reaped children."""
    total = 0
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])
    return total / TICK


def tree_rss_bytes(root: int) -> int:
    total = 0
    for pid in _tree(root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


class Meter:
    """Wall, process-tree CPU and sampled peak RSS of a block of work."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def __enter__(self) -> Meter:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.cpu0 = tree_cpu_seconds(self.pid)
        self.t0 = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = tree_cpu_seconds(self.pid) - self.cpu0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def line(self, label: str, docs: int, cores: int) -> str:
        return (f"{label:<26} {docs:>9,} docs {self.wall:8.1f} s  "
                f"{docs / self.wall / cores:8,.0f} docs/s/core  "
                f"{docs / max(self.cpu, 1e-9):8,.0f} docs/cpu-s  "
                f"peak RSS {self.peak / 2**30:5.2f} GiB")


def kernel_alone(repeat: int) -> None:
    with gzip.open(C4, "rt") as f:
        texts = pa.array([json.loads(line)["text"] for line in f] * repeat)
    perms = Permutations.from_seed(112, 1)
    signatures(texts.slice(0, 10), perms)  # compile / load the numba cache
    t0, c0 = time.perf_counter(), time.process_time()
    sigs, counts = signatures(texts, perms)
    band_keys(sigs, 14, 8)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"signature kernel alone: {len(texts):,} C4 docs "
          f"(mean {np.mean(pa.compute.utf8_length(texts).to_numpy()):,.0f} chars, "
          f"{counts.mean():.0f} shingles), {cpu:.2f} cpu-s -> {len(texts) / cpu:,.0f} "
          f"docs/s/core ({len(texts) / wall:,.0f} docs/s wall)")


def stage_runs(sizes: list[int], master: str, corpus_dir: Path, driver_memory: str) -> None:
    from pyspark import StorageLevel
    from winnow import config, synth
    from winnow.io.listing import expand_inputs
    from winnow.io.source import read_documents
    from winnow.pipeline import annotate
    from winnow.progress import Progress
    from winnow.session import build_session
    from winnow.stage import RunContext

    spark = build_session(master, app_name="minhash-bench", profile="local",
                          extra={"spark.driver.memory": driver_memory})
    cores = spark.sparkContext.defaultParallelism if master == "local[*]" else int(
        master.split("[")[1].rstrip("]"))
    cfg = config.load(ROOT / "conf" / "recipes" / "minhash.yaml")
    prep, (stage,) = cfg.stages[:2], cfg.stages[2:]
    for n in sizes:
        corpus = corpus_dir / f"synth-{n}"
        if not (corpus / "ground_truth.parquet").exists():
            print(f"generating {n:,} synth docs into {corpus} ...", flush=True)
            synth.generate(n, str(corpus), seed=0)
        files = expand_inputs([str(corpus / "docs")], "auto")
        # ~10k documents per task keeps every task's sort and hash memory small.
        partitions = max(cores * 4, n // 10_000)
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
        df = read_documents(spark, files, cfg.input, partitions)
        ctx = RunContext(spark=spark, run_id="bench")
        prepared, _, persisted = annotate(df, prep, ctx, Progress(quiet=True))
        kept = prepared.where("reason IS NULL").count()
        print(f"\n{n:,} synth docs, {kept:,} left after exact dedup, master {master}")
        with Meter() as m:
            stage.signature_frame(prepared, []).write.format("noop").mode("overwrite").save()
        print(m.line("signature pass (Spark)", kept, cores))
        with Meter() as m:
            out = stage.apply(prepared, ctx).persist(StorageLevel.MEMORY_AND_DISK)
            removed = out.where("reason = 'dedup:near_duplicate'").count()
        print(m.line("whole minhash_dedup stage", kept, cores))
        print(f"near duplicates removed: {removed:,}")
        out.unpersist()
        for frame in persisted:
            frame.unpersist()
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[100_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=20, help="C4 copies for the kernel")
    parser.add_argument("--driver-memory", default="4g",
                        help="JVM heap of the local driver/executor (conf/spark/local.yaml: 4g)")
    parser.add_argument("--corpus-dir", default=None,
                        help="where synth corpora are generated/reused (default: a temp dir)")
    args = parser.parse_args()
    kernel_alone(args.repeat)
    if args.corpus_dir:
        stage_runs(args.docs, args.master, Path(args.corpus_dir), args.driver_memory)
    else:
        with tempfile.TemporaryDirectory(prefix="winnow-minhash-") as tmp:
            stage_runs(args.docs, args.master, Path(tmp), args.driver_memory)


if __name__ == "__main__":
    main()

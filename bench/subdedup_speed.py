"""Sub-document dedup speed: docs/s/core and shuffle bytes of line_dedup and substring_dedup.

    .venv/bin/python bench/subdedup_speed.py [--docs 10000 100000 [1000000]]
        [--master local[2]] [--corpus-dir DIR]

For each ``--docs`` size a planted corpus (``winnow.subdedup.planted``: synthetic
bodies over a real vocabulary, real C4 lines planted as boilerplate in 2-30
documents each; ~1.9 kB a document) is written once to Parquet under
``--corpus-dir``. Each stage then runs alone on it as an annotated frame and its
result is materialised (``noop`` sink, so the rewrite pass runs). Reported: wall
seconds, docs/s/core (docs / wall / cores of the master), Spark shuffle write bytes
(from the driver's status store) and how both grow with corpus size.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"


def shuffle_bytes(spark) -> int:
    """Shuffle bytes written by all stages of this application so far (the driver's
    status store, what the UI's REST API serves, read without HTTP)."""
    store = spark.sparkContext._jsc.sc().statusStore()
    defaults = [getattr(store, f"stageList$default${i}")() for i in (2, 3, 4, 5)]
    stages = store.stageList(None, *defaults)
    return sum(int(stages.apply(i).shuffleWriteBytes()) for i in range(stages.size()))


def corpus(spark, n: int, corpus_dir: Path) -> str:
    from winnow.subdedup import planted

    path = corpus_dir / f"planted-{n}.parquet"
    if not path.exists():
        chunk = 20_000
        for lo in range(0, n, chunk):
            p = planted.build(C4, min(chunk, n - lo), seed=1 + lo)
            p.ids = [f"doc{lo + i:08d}" for i in range(len(p.ids))]
            planted.frame_of(spark, p, partitions=4).write.mode("append").parquet(str(path))
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--corpus-dir", default=os.path.join(tempfile.gettempdir(),
                                                         "winnow-subdedup-bench"))
    args = ap.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from winnow.session import build_session
    from winnow.stage import RunContext
    from winnow.stages.line_dedup import LineDedup, LineDedupParams
    from winnow.stages.substring_dedup import SubstringDedup, SubstringDedupParams

    spark = build_session(args.master, app_name="subdedup-bench", extra={
        "spark.ui.enabled": "false",
        "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "8"})
    cores = spark.sparkContext.defaultParallelism
    corpus_dir = Path(args.corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.docs:
        path = corpus(spark, n, corpus_dir)
        for stage in (LineDedup(LineDedupParams(unit="paragraph")),
                      SubstringDedup(SubstringDedupParams())):
            df = spark.read.parquet(path)
            before = shuffle_bytes(spark)
            t0 = time.perf_counter()
            out = stage.apply(df, RunContext(spark, "bench"))
            out.write.format("noop").mode("overwrite").save()
            wall = time.perf_counter() - t0
            moved = shuffle_bytes(spark) - before
            results.append((stage.name, n, wall, moved))
            print(f"{stage.name:<16} {n:>9,} docs  {wall:8.1f} s  "
                  f"{n / wall / cores:8.1f} docs/s/core  shuffle {moved / 1e6:8.1f} MB",
                  flush=True)
    for name in ("line_dedup", "substring_dedup"):
        rows = [r for r in results if r[0] == name]
        for (_, n0, w0, s0), (_, n1, w1, s1) in zip(rows, rows[1:], strict=False):
            print(f"{name}: ×{n1 / n0:.0f} docs → time ×{w1 / w0:.2f}, "
                  f"shuffle ×{s1 / max(s0, 1):.2f}")
    spark.stop()


if __name__ == "__main__":
    main()

"""Cost of a nightly run as a function of the published index size.

    .venv/bin/python bench/nightly_speed.py [--new 100000] [--index 0 250000 1000000]
        [--master local[2]] [--driver-memory 6g] [--work-dir DIR]

For each index size S, a fresh state directory is seeded with S published
documents in both dedup indexes (``exact``: MD5 keys; ``minhash``: 112-value
signatures and 14 band keys, the scheme of ``conf/recipes/minhash.yaml``), as one
committed run. The index rows are pseudo-random (derived from the row number), so
they cost what real rows cost to read, shuffle and join but match nothing. Then
one nightly run (``winnow run --state`` with ``conf/recipes/minhash.yaml``:
normalise, exact dedup, MinHash-LSH) processes the same ``--new`` synth documents.
Printed per S: index size on disk, wall seconds of the run and of its dedup
stages, docs/s/core of the new documents, and the process tree's peak RSS.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from minhash_speed import Meter
from pyspark.sql import functions as F

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "conf" / "recipes" / "minhash.yaml"
SEED_RUN = "seed"


def seed_index(spark, state_dir: Path, rows: int, scheme: str, bands: int, perms: int) -> int:
    """Write ``rows`` published documents into both indexes as committed run ``seed``."""
    from winnow.state import State

    state = State(spark, str(state_dir))
    if rows:
        base = spark.range(rows, numPartitions=max(2, rows // 250_000)).select(
            F.concat(F.lit("idx-"), F.col("id").cast("string")).alias("id"))
        base.select(F.md5(F.col("id")).alias("text_hash"), "id").write.parquet(
            state.partition("index/exact", SEED_RUN))
        sig = F.transform(F.sequence(F.lit(1), F.lit(perms)),
                          lambda i: F.hash(F.col("id"), i))
        keys = F.transform(F.sequence(F.lit(1), F.lit(bands)),
                           lambda i: F.xxhash64(F.col("id"), i, F.lit("band")))
        base.select("id", F.col("id").alias("dup_cluster"), F.lit(scheme).alias("scheme"),
                    sig.alias("signature"), keys.alias("band_keys")).write.parquet(
            state.partition("index/minhash", SEED_RUN))
    state.commit(SEED_RUN, {"run_id": SEED_RUN, "seeded_rows": rows})
    return sum(f.stat().st_size for f in (state_dir / "index").rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", type=int, default=100_000, help="new documents per night")
    parser.add_argument("--index", type=int, nargs="+", default=[0, 250_000, 1_000_000],
                        help="published documents already in the index")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--work-dir", default=None,
                        help="where the new-docs corpus is generated/reused (default: temp)")
    args = parser.parse_args()

    from winnow import config, job, synth
    from winnow.io.listing import expand_inputs
    from winnow.progress import Progress
    from winnow.session import build_session

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="winnow-nightly-"))
    corpus = work / f"new-{args.new}"
    if not (corpus / "ground_truth.parquet").exists():
        print(f"generating {args.new:,} synth docs into {corpus} ...", flush=True)
        synth.generate(args.new, str(corpus), seed=11)
    files = expand_inputs([str(corpus / "docs")], "auto")

    spark = build_session(args.master, app_name="nightly-bench", profile="local",
                          extra={"spark.driver.memory": args.driver_memory})
    cores = spark.sparkContext.defaultParallelism
    cfg = config.load(RECIPE)
    stage = cfg.stages[-1]
    print(f"{args.new:,} new synth docs per night, recipe {RECIPE.name}, master "
          f"{args.master}, scheme {stage.scheme}")
    print(f"{'index docs':>12} {'index MiB':>10} {'run s':>8} {'exact s':>8} "
          f"{'minhash s':>10} {'docs/s/core':>12} {'peak RSS GiB':>13}")
    for size in args.index:
        state_dir, out = work / f"state-{size}", work / f"out-{size}"
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        nbytes = seed_index(spark, state_dir, size, stage.scheme, stage.banding.bands,
                            stage.banding.num_perm)
        with Meter() as m:
            result = job.run(spark, cfg, files, str(out), run_id="night",
                             state_dir=str(state_dir), progress=Progress(quiet=True))
        wall = {r[2]: r[7] for r in result.summary if r[3] == "in"}
        print(f"{size:>12,} {nbytes / 2**20:>10,.1f} {m.wall:>8.1f} "
              f"{wall.get('exact_dedup') or 0:>8.1f} {wall.get('minhash_dedup') or 0:>10.1f} "
              f"{args.new / m.wall / cores:>12,.0f} {m.peak / 2**30:>13.2f}", flush=True)
    spark.stop()
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""``winnow mix --config MIX.yaml --output MIX``: draw a mixture, write shards and manifest.

Config problems are one line before Spark starts; groups named in ``weights`` that
the data lacks are one line right after the sources are read (it takes the data to
know). The output is ``MIX/shards/shard-NNNNN.<ext>``, ``MIX/manifest.json``,
``MIX/stats/mixture/`` (Parquet) and ``MIX/_SUCCESS`` last.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime

from winnow.errors import WinnowError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True,
                   help="mixture YAML (e.g. conf/recipes/mix_example.yaml)")
    p.add_argument("--output", required=True, help="output directory (local or URI)")
    p.add_argument("--master", default=None,
                   help="Spark master URL (default local[*]; under spark-submit: its own)")
    p.add_argument("--spark-profile", default=None,
                   help="Spark settings: a name under conf/spark/ or a YAML file")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier mix output")
    p.add_argument("--quiet", action="store_true", help="no summary lines")


def _check_local_output(output: str, overwrite: bool) -> None:
    from winnow.config import check_output_path

    check_output_path(output)
    if "://" in output or not os.path.isdir(output) or not os.listdir(output):
        return
    if not overwrite:
        raise WinnowError(f"--output {output}: exists and is not empty (give --overwrite "
                          "to replace an earlier mix)")
    if not os.path.exists(os.path.join(output, "manifest.json")) and not os.path.isdir(
            os.path.join(output, "shards")):
        raise WinnowError(f"--output {output}: not a winnow mix output; refusing to replace it")


def cmd_mix(args: argparse.Namespace) -> int:
    from winnow.mix import config

    cfg = config.load(args.config)
    _check_local_output(args.output, args.overwrite)

    from winnow.session import build_session, under_spark_submit

    master = args.master or (None if under_spark_submit() else "local")
    profile = args.spark_profile or ("local" if master and master.startswith("local") else None)
    spark = build_session(args.master, profile=profile)
    result = run(spark, cfg, args.output, overwrite=args.overwrite)
    if not args.quiet:
        print(summary(result))
    return 0


def run(spark, cfg, output: str, overwrite: bool = False) -> dict:
    """Draw the mixture of ``cfg`` into ``output``; returns the manifest."""
    from winnow.fs import HadoopFS
    from winnow.mix import manifest as mf
    from winnow.mix import sampling, sharding

    started = datetime.now(UTC)
    fs = HadoopFS(spark)
    root = output.rstrip("/")
    if fs.exists(root) and fs.list(root):
        if not overwrite:
            raise WinnowError(f"--output {output}: exists and is not empty (give --overwrite "
                              "to replace an earlier mix)")
        if not fs.exists(f"{root}/manifest.json") and not fs.exists(f"{root}/shards"):
            raise WinnowError(f"--output {output}: not a winnow mix output; refusing to "
                              "replace it")
        for part in ("_SUCCESS", "manifest.json", "shards", "stats", "_staging"):
            fs.delete(f"{root}/{part}")
    df = sampling.read_sources(spark, cfg)
    plan = sampling.plan(df, cfg)
    shards = sharding.shard_count(spark, cfg, plan.groups)
    drawn = sampling.sample(df, plan.groups)
    paths, counts = sharding.write(drawn, cfg, shards, f"{root}/_staging/shards",
                                   f"{root}/shards", fs)
    if counts is None:  # Parquet: counted from the shards as written
        measured, per_shard = mf.measure(sharding.read(spark, cfg, paths), cfg)
    else:
        measured, per_shard = mf.tally(counts)
    rows = mf.mixture_rows(cfg, plan, measured)
    mf.mixture_frame(spark, rows).repartition(1).write.parquet(f"{root}/stats/mixture")
    sizes = [sharding.path_bytes(spark, p) for p in paths]
    manifest = mf.manifest(cfg, plan, rows, paths, per_shard, sizes, started)
    fs.write_text(f"{root}/manifest.json", json.dumps(manifest, indent=2, default=str))
    fs.delete(f"{root}/_staging")
    fs.write_text(f"{root}/_SUCCESS", "")
    return manifest


def summary(manifest: dict) -> str:
    unit = manifest["budget"]["unit"]
    lines = [f"{'group':<24} {'target':>8} {'share':>8} {unit:>14} {'documents':>11} "
             f"{'repeats':>9}"]
    for g in manifest["groups"]:
        amount = g["tokens"] if unit == "tokens" else g["rows"]
        lines.append(f"{g['group']:<24} {g['target_share']:>8.4f} {g['share']:>8.4f} "
                     f"{amount:>14,} {g['documents']:>11,} {g['repeats']:>9,}")
    t = manifest["totals"]
    lines.append(f"\n{t[unit]:,} {unit} in {t['rows']:,} rows ({t['repeats']:,} repeats), "
                 f"{len(manifest['shards'])} shard(s)")
    return "\n".join(lines)

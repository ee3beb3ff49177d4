"""``winnow decontaminate``: check published documents against benchmarks added later.

Reads the kept documents of a published output (one run's ``OUTPUT/kept/``, or every
``OUTPUT/run_id=*/kept/`` of nightly runs; with ``--state`` only the runs committed
there), finds those sharing n-grams with the given benchmarks by the Spark-join path
of the ``decontaminate`` stage, and writes the ids to retract to ``--retract`` as
Parquet (id, run_id, benchmark, benchmarks, decontam_ngrams). Published files are
never rewritten: removing the documents is the publisher's decision.
"""

from __future__ import annotations

import argparse

from winnow.errors import WinnowError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", required=True, help="published output directory to check")
    p.add_argument("--state", default=None,
                   help="state directory of nightly runs: check only its committed runs")
    p.add_argument("--benchmark", action="append", required=True, metavar="NAME=PATH",
                   help="a benchmark (JSONL, Parquet or a directory); repeat for more")
    p.add_argument("--fields", nargs="+", default=["text"], help="text fields of an item")
    p.add_argument("--ngram", type=int, default=13, help="n-gram length (GPT-3: 13)")
    p.add_argument("--max-corpus-count", type=int, default=None,
                   help="ignore n-grams found in more than this many documents (GPT-3)")
    p.add_argument("--retract", required=True, help="where to write the ids to retract")
    p.add_argument("--master", default=None, help="Spark master URL (default local[*])")


def parse_benchmarks(values: list[str]) -> dict[str, str]:
    from winnow.stages.decontaminate import _NAME

    out: dict[str, str] = {}
    for v in values:
        name, eq, path = v.partition("=")
        if not eq or not _NAME.match(name) or not path:
            raise WinnowError(f"--benchmark {v!r}: expected NAME=PATH")
        if name in out:
            raise WinnowError(f"--benchmark {name}: given twice")
        out[name] = path
    return out


def published_kept(spark, output: str, state_dir: str | None):
    """The kept documents of ``output`` with their ``run_id`` (null for a single run)."""
    from pyspark.sql import functions as F

    from winnow.fs import HadoopFS

    fs = HadoopFS(spark)
    root = output.rstrip("/")
    if state_dir is not None:
        from winnow.state import State

        runs = State(spark, state_dir).committed_runs()
        paths = [(r, f"{root}/run_id={r}/kept") for r in runs]
    elif fs.exists(f"{root}/kept"):
        paths = [(None, f"{root}/kept")]
    else:
        paths = [(n.split("=", 1)[1], f"{root}/{n}/kept")
                 for n in fs.list(root) if n.startswith("run_id=")]
    paths = [(r, p) for r, p in paths if fs.exists(p)]
    if not paths:
        raise WinnowError(f"--output {output}: no published kept/ documents found")
    frames = [spark.read.parquet(p).select("id", "text").withColumn("run_id", F.lit(r))
              for r, p in paths]
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    return df.withColumn("reason", F.lit(None).cast("string")).withColumn(
        "stage", F.lit(None).cast("string"))


def retractions(spark, docs, benchmarks: dict[str, str], fields: list[str], ngram: int,
                max_corpus_count: int | None):
    """(id, run_id, benchmark, benchmarks, decontam_ngrams) of the contaminated documents."""
    from pyspark.sql import functions as F

    from winnow import config
    from winnow.stage import RunContext

    stage = config.parse({"stages": [{
        "stage": "decontaminate", "benchmarks": benchmarks, "fields": fields, "ngram": ngram,
        "method": "join", "max_corpus_count": max_corpus_count}]}).stages[0]
    hits = stage.matches(docs, RunContext(spark, "recheck"))
    common = stage._common(hits)
    stage.common = common
    names = list(benchmarks)
    keep = "true" if not len(common) else (
        f"NOT array_contains(array({', '.join(f'{h}L' for h in common)}), x.hash)")
    masks = F.expr(f"aggregate(filter(decontam_matched, x -> {keep}), 0L, "
                   "(acc, x) -> acc | x.mask)")
    found = hits.withColumn("_mask", masks).where(F.col("_mask") != 0)
    named = F.filter(F.array(*[F.when((F.col("_mask").bitwiseAND(1 << b)) != 0, F.lit(n))
                               for b, n in enumerate(names)]), lambda x: x.isNotNull())
    return (found.join(docs.select("id", "run_id"), "id")
            .withColumn("benchmarks", named)
            .select("id", "run_id", F.col("benchmarks")[0].alias("benchmark"), "benchmarks",
                    "decontam_ngrams")
            .orderBy("run_id", "id"))


def cmd_decontaminate(args: argparse.Namespace) -> int:
    from winnow.session import build_session

    benchmarks = parse_benchmarks(args.benchmark)
    spark = build_session(args.master)
    from winnow.fs import HadoopFS

    if HadoopFS(spark).exists(args.retract):
        raise WinnowError(f"--retract {args.retract}: already exists (not overwritten)")
    docs = published_kept(spark, args.output, args.state)
    out = retractions(spark, docs, benchmarks, args.fields, args.ngram, args.max_corpus_count)
    out.coalesce(1).write.parquet(args.retract)
    rows = spark.read.parquet(args.retract).groupBy("benchmark").count().collect()
    total = sum(r["count"] for r in rows)
    by = ", ".join(f"{r['benchmark']} {r['count']:,}" for r in sorted(rows, key=lambda r: r[0]))
    print(f"{total:,} published document(s) to retract ({by or 'none'}): {args.retract}")
    return 0

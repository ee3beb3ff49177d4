"""The ``winnow`` command: ``run``, ``synth``, ``submit``, ``compact-index``, ….

Everything that can be checked without Spark (config, input paths) is checked
first; user errors print one line and exit with status 2. A failed invariant
(conservation, unique ids) prints one line and exits with status 3.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from winnow.errors import InvariantError, WinnowError

EXIT_USAGE = 2
#: A checked invariant failed (e.g. conservation): a bug or a faulty stage, not the user.
EXIT_INVARIANT = 3


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pipeline config over input files")
    p.add_argument("--config", required=True, help="pipeline YAML (e.g. conf/default.yaml)")
    p.add_argument("--input", required=True, nargs="+", help="files, directories or globs")
    p.add_argument("--output", required=True, help="output directory (local or URI)")
    p.add_argument("--master", default=None,
                   help="Spark master URL (default local[*]; under spark-submit: its own)")
    p.add_argument("--spark-profile", default=None,
                   help="Spark settings: a name under conf/spark/ or a YAML file")
    p.add_argument("--run-id", default=None,
                   help="run id: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit "
                        "(default: UTC time + random suffix; with --state: today, UTC)")
    p.add_argument("--state", default=None,
                   help="state directory for nightly runs: only new inputs are processed, "
                        "deduplicated against everything published; output in OUTPUT/run_id=ID/")
    p.add_argument("--overwrite", action="store_true", help="replace a complete output")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from winnow import config
    from winnow.io.listing import check_output_outside_inputs, expand_inputs
    from winnow.names import check_name

    if args.run_id is not None:
        check_name(args.run_id, "--run-id")  # it names paths: checked before anything else

    cfg = config.load(args.config)
    config.check_output_path(args.output)
    files = expand_inputs(args.input, cfg.input.format)
    check_output_outside_inputs(args.input, args.output)

    from winnow import job
    from winnow.progress import Progress
    from winnow.session import build_session, under_spark_submit

    # Under spark-submit without --master, spark-submit's master and --conf rule.
    master = args.master or (None if under_spark_submit() else "local")
    profile = args.spark_profile or ("local" if master and master.startswith("local") else None)
    spark = build_session(args.master, profile=profile)
    result = job.run(spark, cfg, files, args.output, run_id=args.run_id,
                     overwrite=args.overwrite, progress=Progress(args.quiet),
                     state_dir=args.state)
    if result is not None:
        job.print_summary(result)
    return 0


def _add_compact_index(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compact-index",
                       help="rewrite a state directory's dedup index into a few large files")
    p.add_argument("--state", required=True, help="state directory of nightly runs")
    p.add_argument("--master", default=None,
                   help="Spark master URL (default local[*]; under spark-submit: its own)")
    p.add_argument("--spark-profile", default=None,
                   help="Spark settings: a name under conf/spark/ or a YAML file")
    p.set_defaults(func=cmd_compact_index)


def cmd_compact_index(args: argparse.Namespace) -> int:
    from winnow.session import build_session, under_spark_submit
    from winnow.state import State

    master = args.master or (None if under_spark_submit() else "local")
    profile = args.spark_profile or ("local" if master and master.startswith("local") else None)
    spark = build_session(args.master, profile=profile)
    state = State(spark, args.state)
    if not state.fs.exists(f"{state.root}/commits"):
        raise WinnowError(f"--state {args.state}: no committed run here")
    record = state.compact_index()
    if record is None:
        print(f"index of {args.state} is already compact: nothing to do")
    else:
        rows = ", ".join(f"{n} {c:,} rows" for n, c in record["rows"].items())
        print(f"compacted {len(record['runs'])} run(s) and {len(record['compactions'])} "
              f"earlier compaction(s) into {record['id']}: {rows}")
    return 0


def _add_synth(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="write a deterministic web-like corpus with ground truth")
    p.add_argument("--docs", type=int, required=True, help="number of documents")
    p.add_argument("--output", required=True, help="directory to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from winnow import synth

    if args.docs <= 0:
        raise WinnowError("--docs: must be positive")
    summary = synth.generate(args.docs, args.output, seed=args.seed, workers=args.workers)
    print(f"wrote {args.docs:,} documents to {args.output}: {summary}")
    return 0


def _add_submit(sub: argparse._SubParsersAction) -> None:
    from winnow.submit import add_arguments, cmd_submit

    p = sub.add_parser("submit", help="print or run the spark-submit line for a cluster master")
    add_arguments(p)
    p.set_defaults(func=cmd_submit)


def _add_train_quality(sub: argparse._SubParsersAction) -> None:
    from winnow.quality.command import add_arguments, cmd_train_quality

    p = sub.add_parser("train-quality", help="train a fastText quality classifier (DCLM style)")
    add_arguments(p)
    p.set_defaults(func=cmd_train_quality)


def _add_report(sub: argparse._SubParsersAction) -> None:
    from winnow.report.command import add_arguments, cmd_report

    p = sub.add_parser("report", help="write the HTML curation report of an output directory")
    add_arguments(p)
    p.set_defaults(func=cmd_report)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_run, _add_compact_index, _add_synth, _add_submit, _add_train_quality, _add_report]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="winnow", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InvariantError as exc:
        print(f"winnow: invariant violated, nothing published: {exc}", file=sys.stderr)
        return EXIT_INVARIANT
    except WinnowError as exc:
        print(f"winnow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

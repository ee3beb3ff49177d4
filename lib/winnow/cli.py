"""The ``winnow`` command: ``run``, ``synth``, ``submit``, ``compact-index``, ….

Everything that can be checked without Spark (config, input paths, the output, the
master URL and whether a ``spark://`` master answers) is checked first; user errors
print one line and exit with status 2. So do infrastructure errors that surface only
inside Spark (a failed write, a lost master): one line naming what failed, the trace
with ``--debug``. A failed invariant (conservation, unique ids) prints one line and
exits with status 3.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from winnow.errors import InfrastructureError, InvariantError, WinnowError

EXIT_USAGE = 2
#: A checked invariant failed (e.g. conservation): a bug or a faulty stage, not the user.
EXIT_INVARIANT = 3
#: Seconds to wait for a ``spark://`` master to accept a TCP connection before Spark starts.
CONNECT_TIMEOUT = 3.0
DESCRIPTION = ("winnow: curate text corpora on Apache Spark (filters, dedup, statistics). "
               "Start with: winnow run --help; winnow stages; winnow assets --help.")

# The master URLs Spark accepts (SparkContext / SparkSubmit): local, local[N|*],
# local[N|*,F], local-cluster[N,C,M], spark://HOST:PORT[,HOST:PORT…], yarn,
# k8s://[http(s)://]HOST[:PORT].
_HOST_PORT = r"[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]"
MASTER_FORMS = (
    re.compile(r"local(\[(\d+|\*)(,\d+)?\])?"),
    re.compile(r"local-cluster\[\d+,\d+,\d+\]"),
    re.compile(rf"spark://({_HOST_PORT}):\d+(,({_HOST_PORT}):\d+)*"),
    re.compile(r"yarn"),
    re.compile(r"k8s://(https?://)?[A-Za-z0-9_.\-\[\]:]+(/\S*)?"),
)


def check_master(master: str | None) -> None:
    """Refuse a malformed ``--master`` and a ``spark://`` master that does not answer,
    before the JVM starts (Spark would print a long trace, or retry for a minute)."""
    if master is None:
        return
    if not any(form.fullmatch(master) for form in MASTER_FORMS):
        raise WinnowError(f"--master {master[:80]}: not a Spark master URL (use local[*], "
                          "local[N], spark://HOST:PORT, yarn or k8s://HOST:PORT)")
    if not master.startswith("spark://"):
        return
    errors = []
    for hostport in master[len("spark://"):].split(","):
        host, _, port = hostport.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)),
                                          timeout=CONNECT_TIMEOUT):
                return  # one live master of the list is enough (standby masters)
        except OSError as exc:
            errors.append(f"{hostport} ({exc.strerror or exc})")
    raise InfrastructureError(f"--master {master}: cannot connect to {', '.join(errors)}; "
                              "is the master running? (or run locally: --master 'local[*]')")


def kernels_cached() -> bool:
    """Whether numba's cache holds compiled winnow kernels (in-tree ``__pycache__`` of a
    checkout, or ``numba_cache.cache_root()`` when winnow runs from a zip). A cache made
    by other sources still recompiles: the message then stays silent, a small miss."""
    import winnow
    from winnow.numba_cache import cache_root

    package = Path(winnow.__file__).parent
    if next(package.glob("*/__pycache__/*.nbi"), None) is not None:
        return True
    root = Path(cache_root())
    return root.is_dir() and next(root.glob("*/*.nbi"), None) is not None


def check_output_free(output: str, overwrite: bool, state: str | None) -> None:
    """Refuse, before Spark starts, a local ``--output`` that already holds a complete run
    (the publication refuses it again, for object storage and races)."""
    if overwrite or state is not None:
        return
    local = output[len("file://"):] if output.startswith("file://") else output
    if "://" in local:
        return
    if (Path(local) / "_SUCCESS").is_file():
        raise WinnowError(f"output {output} already holds a complete run; choose another "
                          "--output or pass --overwrite")


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
    p.add_argument("--spark-log-level", default=None,
                   help="Spark's own log level (default ERROR; e.g. WARN, INFO)")
    help_text = p.format_help

    def with_stages() -> str:  # stage modules load only when help is asked for
        p.epilog = "stages: " + ", ".join(_stage_names()) + " (parameters: winnow stages)"
        return help_text()

    p.format_help = with_stages  # type: ignore[method-assign]
    p.set_defaults(func=cmd_run)


def _stage_names() -> list[str]:
    from winnow.config import load_stage_modules
    from winnow.stage import REGISTRY

    load_stage_modules()
    return sorted(REGISTRY)


def cmd_run(args: argparse.Namespace) -> int:
    from winnow import config
    from winnow.io.listing import check_output_outside_inputs, expand_inputs
    from winnow.names import check_name

    if args.run_id is not None:
        check_name(args.run_id, "--run-id")  # it names paths: checked before anything else

    cfg = config.load(args.config)
    config.check_output_path(args.output)
    check_output_free(args.output, args.overwrite, args.state)
    files = expand_inputs(args.input, cfg.input.format)
    check_output_outside_inputs(args.input, args.output)
    check_master(args.master)
    from winnow.io.fields import sample_check

    # Roles mapped to another name than their own (`url: url` is the default, not a choice).
    mapped = [r for r, name in ((cfg.raw.get("input") or {}).get("fields") or {}).items()
              if name != r]
    for warning in sample_check(files, cfg.input.fields, explicit=mapped):  # once per run
        print(f"winnow: warning: {warning}", file=sys.stderr)
    if not args.quiet and not kernels_cached():
        print("winnow: first run on this machine: numba compiles winnow's kernels during the "
              "first pass (about a minute, once; cached afterwards)", flush=True)

    from winnow import job
    from winnow.progress import Progress
    from winnow.session import build_session, under_spark_submit

    # Under spark-submit without --master, spark-submit's master and --conf rule.
    master = args.master or (None if under_spark_submit() else "local")
    profile = args.spark_profile or ("local" if master and master.startswith("local") else None)
    spark = build_session(args.master, profile=profile, log_level=args.spark_log_level)
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

    check_master(args.master)
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
    p.add_argument("--format", choices=("jsonl", "warc", "wet"), default="jsonl",
                   help="jsonl (default), or crawl files: warc (HTML pages) or wet")
    p.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    from winnow import synth

    if args.docs <= 0:
        raise WinnowError("--docs: must be positive")
    if args.format != "jsonl":
        from winnow.synth.warc import generate_warc

        summary = generate_warc(args.docs, args.output, seed=args.seed,
                                wet=args.format == "wet")
        print(f"wrote {args.docs:,} pages to {args.output}/warc: {summary}")
        return 0
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


def _add_decontaminate(sub: argparse._SubParsersAction) -> None:
    from winnow.decontam.recheck import add_arguments, cmd_decontaminate

    p = sub.add_parser("decontaminate",
                       help="list published documents to retract for benchmarks added later")
    add_arguments(p)
    p.set_defaults(func=cmd_decontaminate)


def _add_assets(sub: argparse._SubParsersAction) -> None:
    from winnow.assets import add_arguments, cmd_assets

    p = sub.add_parser("assets", help="word lists of the shipped recipes: fetch, list, path",
                       description="The word lists that recipes name as asset:NAME, looked "
                                   "up on $WINNOW_ASSETS, the config's `assets` key, then "
                                   "the user cache. Nothing is downloaded unless you ask.")
    add_arguments(p)
    p.set_defaults(func=cmd_assets)


def _add_stages(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stages", help="list the stages with their parameters and defaults")
    p.add_argument("names", nargs="*", help="stages to show (default: all)")
    p.set_defaults(func=cmd_stages)


def cmd_stages(args: argparse.Namespace) -> int:
    """Generated from each stage's ``Params`` dataclass: name, type, default, range."""
    import dataclasses
    import typing

    from winnow.config import DEFAULT_RANGE, load_stage_modules
    from winnow.stage import REGISTRY, param_fields

    load_stage_modules()
    names = args.names or sorted(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise WinnowError(f"unknown stage {unknown[0]!r} (known: {', '.join(sorted(REGISTRY))})")
    for name in names:
        cls = REGISTRY[name]
        doc = (cls.__doc__ or "").replace("``", "").strip().splitlines()
        print(f"{name}: {doc[0] if doc else ''}".rstrip())
        hints = typing.get_type_hints(cls.Params)
        for fname, f in param_fields(cls.Params).items():
            if f.default is not dataclasses.MISSING:
                default = repr(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = repr(f.default_factory())
            else:
                default = "(required)"
            rng = f.metadata.get("range")
            extra = f"  {rng}" if rng is not None and rng != DEFAULT_RANGE else ""
            print(f"  {fname}: {_type_text(hints[fname])} = {default}{extra}")
        print()
    return 0


def _add_mix(sub: argparse._SubParsersAction) -> None:
    from winnow.mix.command import add_arguments, cmd_mix

    p = sub.add_parser("mix", help="sample curated outputs into a training mixture at a budget")
    add_arguments(p)
    p.set_defaults(func=cmd_mix)


def _type_text(tp: object) -> str:
    """A parameter's type as a user writes it: ``file``, ``list[str]``, ``float | None``."""
    from winnow.stage import FilePath, ModelPath

    names = {ModelPath: "model file", FilePath: "file", type(None): "None"}
    if tp in names:
        return names[tp]
    import types
    import typing

    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if args and origin is not None and origin is not typing.Literal:
        if origin in (typing.Union, types.UnionType):
            return " | ".join(_type_text(a) for a in args)
        return f"{getattr(origin, '__name__', origin)}[{', '.join(_type_text(a) for a in args)}]"
    return getattr(tp, "__name__", str(tp))


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_run, _add_compact_index, _add_synth, _add_submit, _add_train_quality, _add_report,
    _add_assets, _add_stages, _add_mix, _add_decontaminate]


def parser() -> argparse.ArgumentParser:
    from winnow import __version__

    p = argparse.ArgumentParser(prog="winnow", description=DESCRIPTION)
    p.add_argument("--version", action="version", version=f"winnow {__version__}")
    p.add_argument("--debug", action="store_true",
                   help="print the full trace of an error (default: one line)")
    sub = p.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return p


def _one_line(exc: BaseException) -> str:
    """What failed, in one line: a Java exception's own class and message, not py4j's."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            text = str(java.toString())
        except Exception:  # noqa: BLE001 (the gateway may be gone)
            text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return first[:300]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug anywhere (also after the subcommand, or from WINNOW_DEBUG=1).
    debug = "--debug" in argv or os.environ.get("WINNOW_DEBUG") == "1"
    args = parser().parse_args([a for a in argv if a != "--debug"])
    try:
        return args.func(args)
    except InvariantError as exc:
        print(f"winnow: invariant violated, nothing published: {exc}", file=sys.stderr)
        return EXIT_INVARIANT
    except WinnowError as exc:
        if debug:
            raise
        print(f"winnow: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("winnow: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (Spark, Java, the file system: one line)
        if debug:
            raise
        print(f"winnow: error: {_one_line(exc)} (full trace: --debug)", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

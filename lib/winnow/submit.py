"""``winnow submit``: the ``spark-submit`` line that runs ``jobs/curate.py`` on a cluster.

Executors need the library and the files a config names. The library goes as a zip
of the pure-Python ``winnow`` package (``--py-files``); its compiled dependencies
(numpy, pyarrow, numba …) must already be on the executors: installed on every node,
baked into the image (``docker/``), or shipped as a packed virtual environment
(``--archives env.tar.gz#environment``). Model and word-list files named in the
config go with ``--files`` (directories as zips with ``--archives``); stages find a
path missing on an executor by its base name in ``SparkFiles.getRootDirectory()``.
Spark settings come from a profile (``conf/spark/<name>.yaml``) as ``--conf`` pairs,
so ``spark-submit`` applies them before the driver JVM starts (driver memory).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import winnow
from winnow.errors import WinnowError

#: The spark-submit entry point, in a source checkout (the image has one at /opt/winnow).
ENTRY_POINT = Path(__file__).resolve().parents[2] / "jobs" / "curate.py"
#: Where a packed virtual environment is unpacked in each executor's working directory.
ENV_ALIAS = "environment"
#: Fixed timestamp of zip members, so the same sources give the same archive bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class Submission:
    """Everything that goes into one spark-submit command line."""

    master: str
    run_args: list[str]
    deploy_mode: str = "client"
    conf: dict[str, str] = field(default_factory=dict)
    py_files: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    archives: list[str] = field(default_factory=list)
    entry_point: str = str(ENTRY_POINT)
    spark_submit: str = "spark-submit"

    def argv(self) -> list[str]:
        """The command as an argument list (what ``--run`` executes)."""
        cmd = [self.spark_submit, "--master", self.master, "--deploy-mode", self.deploy_mode,
               "--name", "winnow"]
        for key, value in self.conf.items():
            cmd += ["--conf", f"{key}={value}"]
        for flag, values in (("--py-files", self.py_files), ("--files", self.files),
                             ("--archives", self.archives)):
            if values:
                cmd += [flag, ",".join(values)]
        return [*cmd, self.entry_point, *self.run_args]

    def shell(self) -> str:
        """The command for a shell, one option per line (all options take a value)."""
        argv = [shlex.quote(a) for a in self.argv()]
        start = len(argv) - len(self.run_args) - 1
        options = [f"{argv[i]} {argv[i + 1]}" for i in range(1, start, 2)]
        return " \\\n  ".join([argv[0], *options, " ".join(argv[start:])])


def _zip_tree(source: Path, target: Path, prefix: str) -> Path:
    """Zip ``source`` (without caches) under ``prefix/`` with fixed timestamps."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(source).as_posix()}", ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    os.replace(partial, target)
    return target


def package_library(dist: Path) -> Path:
    """``dist/winnow-<version>.zip``: the ``winnow`` package for ``--py-files``."""
    package = Path(winnow.__file__).resolve().parent
    return _zip_tree(package, dist / f"winnow-{winnow.__version__}.zip", "winnow")


def config_files(config_path: str) -> list[str]:
    """Local files and directories named by file parameters of the config's enabled stages."""
    import dataclasses

    from winnow import config
    from winnow.stage import FilePath

    cfg = config.load(config_path)
    found: list[str] = []
    for stage in cfg.stages:
        if stage.mode == "off":
            continue
        for f in dataclasses.fields(stage.params):
            value = getattr(stage.params, f.name)
            # File parameters may be lists or mappings (c4_badwords: language -> list).
            values = (list(value.values()) if isinstance(value, dict)
                      else value if isinstance(value, list) else [value])
            for v in values:
                if isinstance(v, FilePath) and "://" not in v and v not in found:
                    found.append(str(v))
    return found


def ship_files(paths: list[str], dist: Path) -> tuple[list[str], list[str]]:
    """Split config files into ``--files`` and ``--archives`` (directories, zipped)."""
    files: list[str] = []
    archives: list[str] = []
    names: dict[str, str] = {}
    for p in paths:
        name = Path(p).name
        if names.setdefault(name, p) != p:
            raise WinnowError(
                f"config files {names[name]} and {p} share the name {name!r}; executors "
                "find shipped files by name: rename one or put both on a shared path"
            )
        if Path(p).is_dir():
            archive = _zip_tree(Path(p), dist / "files" / f"{name}.zip", ".")
            archives.append(f"{archive}#{name}")
        else:
            files.append(p)
    return files, archives


def find_spark_submit() -> str:
    """``spark-submit`` from ``$SPARK_HOME``, the PATH, or the installed pyspark."""
    home = os.environ.get("SPARK_HOME")
    if home and Path(home, "bin", "spark-submit").is_file():
        return str(Path(home, "bin", "spark-submit"))
    on_path = shutil.which("spark-submit")
    if on_path:
        return on_path
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def build(args: argparse.Namespace) -> Submission:
    """Turn ``winnow submit`` arguments into a :class:`Submission` (builds the zips)."""
    from winnow.objectstore import with_object_store
    from winnow.session import JVM_OPTIONS, PROFILE_DIR, load_profile

    overrides: dict[str, str] = {}
    for item in args.conf:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise WinnowError(f"--conf {item!r}: expected KEY=VALUE")
        overrides[key] = value
    master: str = args.master
    local = master.startswith("local")
    k8s = master.startswith("k8s://")
    deploy_mode = args.deploy_mode or ("cluster" if k8s else "client")
    profile = args.spark_profile or ("local" if local else "cluster")
    # A profile with S3A settings (conf/spark/s3.yaml): its jars, endpoint and region.
    conf = with_object_store(load_profile(profile))
    run_args = ["--config", args.config, "--input", *args.input, "--output", args.output]
    run_args += ["--run-id", args.run_id] if args.run_id else []
    run_args += ["--state", args.state] if args.state else []
    run_args += ["--overwrite"] * args.overwrite + ["--quiet"] * args.quiet
    sub = Submission(master, run_args, deploy_mode, conf, spark_submit=find_spark_submit())

    if k8s:
        # Cluster mode on Kubernetes: the image holds winnow, its models and the job.
        if not args.image:
            raise WinnowError("--image: required for a k8s:// master (e.g. winnow:latest)")
        sub.conf["spark.kubernetes.container.image"] = args.image
        sub.entry_point = f"local://{args.image_root}/jobs/curate.py"
        if not os.path.isabs(args.config) and "://" not in args.config:
            sub.run_args[1] = f"{args.image_root}/{args.config}"
    else:
        local_inputs = [i for i in args.input if "://" not in i]
        if local_inputs:
            from winnow.io.listing import expand_inputs

            try:
                expand_inputs(local_inputs)
            except WinnowError as e:
                if getattr(args, "run", True):
                    raise
                # Only printing: the input may exist on the cluster alone (a mount of
                # its nodes); say so and print the line anyway.
                print(f"winnow submit: note: {e} (here; the line assumes the cluster has it)",
                      file=sys.stderr)
        dist = Path(args.dist)
        if not ENTRY_POINT.is_file():
            raise WinnowError(f"{ENTRY_POINT} not found: run winnow submit from a source checkout")
        sub.py_files.append(str(package_library(dist)))
        sub.files, sub.archives = ship_files(config_files(args.config), dist)
        log4j = PROFILE_DIR / "log4j2.properties"
        if deploy_mode == "client" and log4j.is_file():
            sub.conf.setdefault("spark.driver.extraJavaOptions",
                                f"{JVM_OPTIONS} -Dlog4j.configurationFile=file:{log4j}")
        if args.archive:
            sub.archives.insert(0, f"{args.archive}#{ENV_ALIAS}")
            sub.conf["spark.pyspark.python"] = f"./{ENV_ALIAS}/bin/python"
            if master == "yarn" and deploy_mode == "cluster":
                sub.conf["spark.yarn.appMasterEnv.PYSPARK_PYTHON"] = f"./{ENV_ALIAS}/bin/python"
        else:
            sub.conf.setdefault("spark.pyspark.python", args.python or sys.executable)
        if deploy_mode == "client":
            sub.conf.setdefault("spark.pyspark.driver.python", sys.executable)
    sub.conf.update(overrides)
    return sub


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``winnow submit`` (the run options are those of ``winnow run``)."""
    p.add_argument("--master", required=True,
                   help="spark://HOST:7077, yarn, k8s://https://HOST:443 or local[N]")
    p.add_argument("--config", required=True, help="pipeline YAML (e.g. conf/default.yaml)")
    p.add_argument("--input", required=True, nargs="+",
                   help="files, directories or globs every executor can read (shared path or URI)")
    p.add_argument("--output", required=True, help="output directory (shared path or URI)")
    p.add_argument("--run-id", default=None, help="run id (default: UTC time + random suffix)")
    p.add_argument("--state", default=None,
                   help="state directory of nightly runs (shared path or URI)")
    p.add_argument("--overwrite", action="store_true", help="replace a complete output")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--spark-profile", default=None,
                   help="conf/spark/NAME.yaml or a YAML file (default: cluster; local[N]: local)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                   help="extra Spark setting, overriding the profile (repeatable)")
    p.add_argument("--deploy-mode", choices=("client", "cluster"), default=None,
                   help="where the driver runs (default: client; k8s: cluster)")
    p.add_argument("--archive", default=None, metavar="ENV.tar.gz",
                   help="packed virtual environment for the executors (venv-pack)")
    p.add_argument("--python", default=None,
                   help="Python on the executors (default: this interpreter's path)")
    p.add_argument("--image", default=None, help="container image (k8s:// masters)")
    p.add_argument("--image-root", default="/opt/winnow",
                   help="where the image holds the project (default /opt/winnow)")
    p.add_argument("--dist", default="dist", help="where to build the zips (default dist/)")
    p.add_argument("--run", action="store_true",
                   help="run spark-submit (default: print the command line)")


def cmd_submit(args: argparse.Namespace) -> int:
    """Print the spark-submit line, or run it and return its exit status."""
    sub = build(args)
    if not args.run:
        print(sub.shell())
        return 0
    print(f"winnow: {sub.shell()}", file=sys.stderr, flush=True)
    return subprocess.call(sub.argv())

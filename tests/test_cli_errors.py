"""The CLI driven like a user for each error case of issue #21 (item 4): every one is a
single line on stderr and exit status 2, found before Spark starts (no JVM, seconds).

One case runs ``python -m winnow.cli`` as a process (what the terminal shows, and how
long it takes); the others call ``winnow.cli.main`` with the same arguments (the same
code path, without paying the interpreter's import time again for each case).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

CONFIG = str(ROOT / "conf" / "default.yaml")


def process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "winnow.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


@pytest.fixture
def winnow(capsys, monkeypatch):
    """``winnow ARGS`` in this process: its exit status and what it printed."""
    from winnow.cli import main

    def call(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = exc.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return call


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    (d / "in.jsonl").write_text('{"id": "a", "text": "one two three"}\n')
    return d


def assert_one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("winnow: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and "py4j" not in proc.stderr
    return lines[0]


def test_output_naming_an_existing_file(corpus, winnow):
    (corpus / "afile").write_text("x")
    proc = winnow("run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
                  "--output", str(corpus / "afile"))
    assert_one_line(proc, "--output", "is an existing file")


@pytest.mark.parametrize("master", ["spark:/host:7077", "spark://host", "lokal[2]",
                                    "local[two]", "spark://h:7077,"])
def test_malformed_master(corpus, master, winnow):
    proc = winnow("run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
                  "--output", str(corpus / "out"), "--master", master)
    assert_one_line(proc, f"--master {master}", "not a Spark master URL")
    assert not (corpus / "out").exists()


def test_unreachable_master_fails_fast(corpus):
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    proc = process("run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
                   "--output", str(corpus / "out"), "--master", f"spark://127.0.0.1:{port}")
    assert_one_line(proc, f"spark://127.0.0.1:{port}", "cannot connect", "is the master running")
    assert time.monotonic() - started < 120  # import time under load; no 83 s retry loop
    assert not (corpus / "out").exists()


def test_unreachable_master_of_compact_index(tmp_path, winnow):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = winnow("compact-index", "--state", str(tmp_path), "--master",
                  f"spark://127.0.0.1:{port}")
    assert_one_line(proc, "cannot connect")


def test_output_already_holding_a_complete_run(corpus, winnow):
    done = corpus / "done"
    done.mkdir()
    (done / "_SUCCESS").write_text("")
    proc = winnow("run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
                  "--output", str(done))
    assert_one_line(proc, "already holds a complete run", "--overwrite")


def test_missing_asset_says_where_it_looked_and_what_to_run(corpus, tmp_path, winnow):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = winnow("run", "--config", str(ROOT / "conf" / "recipes" / "c4.yaml"), "--input",
                  str(corpus / "in.jsonl"), "--output", str(corpus / "out"),
                  env={"WINNOW_ASSETS": str(empty), "XDG_CACHE_HOME": str(tmp_path / "c")})
    line = assert_one_line(proc, "asset 'ldnoobw/en' not found", str(empty),
                           str(tmp_path / "c" / "winnow" / "assets"), "winnow assets fetch")
    assert "stages[2].lists.en" in line


def test_debug_raises_instead_of_one_line(corpus):
    from winnow.cli import main
    from winnow.errors import WinnowError

    with pytest.raises(WinnowError, match="not a Spark master URL"):
        main(["--debug", "run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
              "--output", str(corpus / "out"), "--master", "lokal"])


class _JavaError(Exception):
    """Shaped like py4j's Py4JJavaError: the Java exception behind ``java_exception``."""

    class _Java:
        def toString(self) -> str:  # noqa: N802 (the Java method's name)
            return ("org.apache.hadoop.fs.FileAlreadyExistsException: /out/kept exists\n"
                    "\tat org.apache.hadoop.fs.RawLocalFileSystem.create(...)\n" * 50)

    java_exception = _Java()


def test_a_failure_inside_spark_is_one_line(corpus, winnow, monkeypatch):
    """What passes every check but fails in Spark (here: where the session starts) prints
    the Java exception's first line, not py4j's 100-line trace."""
    from winnow import session

    def fail(*args, **kwargs):
        raise _JavaError("An error occurred while calling o42.save.\n" + "trace\n" * 100)

    monkeypatch.setattr(session, "build_session", fail)
    proc = winnow("run", "--config", CONFIG, "--input", str(corpus / "in.jsonl"),
                  "--output", str(corpus / "out2"), "--quiet")
    line = assert_one_line(proc, "FileAlreadyExistsException: /out/kept exists", "--debug")
    assert "\tat " not in line

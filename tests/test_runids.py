"""Run ids and other names that become paths: refused before any file is touched,
and deletes that cannot leave the output or state directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import C4_SAMPLE, ROOT
from winnow import cli, config, job
from winnow.errors import WinnowError
from winnow.fs import HadoopFS, UnsafeDeleteError
from winnow.io.listing import expand_inputs
from winnow.names import check_name
from winnow.output import Publication
from winnow.progress import Progress
from winnow.state import State

HOSTILE = ["..", "../../x", "a/b", ".", "", "a\\b", "day 1", "run_id=x", "_x", ".hidden",
           "x" * 129, "/abs", "s3a:x", "day1\n"]
MODES = {"one-shot": [], "overwrite": ["--overwrite"], "nightly": ["--state", "STATE"]}


def test_check_name_rule():
    for ok in ("day1", "2026-12-02", "20261202T010000Z-ab12cd", "a.b_c-d", "x" * 128, "7"):
        assert check_name(ok, "run id") == ok
    for bad in HOSTILE:
        with pytest.raises(WinnowError, match="not a safe name"):
            check_name(bad, "run id")


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes and every directory under ``root``."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A complete earlier output, a state directory and a sibling directory."""
    out = tmp_path / "work" / "out"
    for rel, data in {"_SUCCESS": b"", "manifest.json": b'{"run_id": "old"}',
                      "kept/part-0.parquet": b"PAR1old", "_staging/keep.txt": b"x",
                      "run_id=day1/_SUCCESS": b"", "run_id=day1/kept/p.parquet": b"PAR1"}.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    state = tmp_path / "work" / "state"
    (state / "commits").mkdir(parents=True)
    (state / "commits" / "day1.json").write_text(json.dumps({"run_id": "day1"}))
    (state / "ledger" / "run_id=day1").mkdir(parents=True)
    (state / "ledger" / "run_id=day1" / "p.parquet").write_bytes(b"PAR1")
    (tmp_path / "work" / "sibling").mkdir()
    (tmp_path / "work" / "sibling" / "precious.txt").write_text("keep me")
    (tmp_path / "work" / "x").mkdir()
    (tmp_path / "work" / "x" / "precious.txt").write_text("keep me too")
    return tmp_path / "work"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("run_id", HOSTILE)
def test_hostile_run_id_is_refused_by_the_cli(world, mode, run_id, capsys):
    before = _tree(world)
    extra = [str(world / "state") if a == "STATE" else a for a in MODES[mode]]
    argv = ["run", "--config", str(ROOT / "conf" / "default.yaml"), "--input", str(C4_SAMPLE),
            "--output", str(world / "out"), "--run-id", run_id, *extra]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--run-id" in err and "not a safe name" in err
    assert _tree(world) == before


@pytest.mark.spark
@pytest.mark.parametrize("nightly", [False, True])
@pytest.mark.parametrize("run_id", ["..", "../../x", "a/b", ""])
def test_hostile_run_id_is_refused_by_the_job(spark, world, nightly, run_id):
    """``job.run`` checks again (library callers bypass the CLI), before any file."""
    before = _tree(world)
    cfg = config.load(ROOT / "conf" / "default.yaml")
    files = expand_inputs([str(C4_SAMPLE)])
    with pytest.raises(WinnowError, match="not a safe name"):
        job.run(spark, cfg, files, str(world / "out"), run_id=run_id, overwrite=True,
                progress=Progress(quiet=True),
                state_dir=str(world / "state") if nightly else None)
    assert _tree(world) == before


@pytest.mark.spark
def test_deletes_stay_inside_their_root(spark, world):
    fs = HadoopFS(spark)
    out = str(world / "out")
    for outside in (out, f"{out}/", f"{out}/..", f"{out}/_staging/../..", str(world / "x"),
                    f"{out}/../sibling", str(world / "outside"), str(world)):
        assert not fs.inside(out, outside), outside
        with pytest.raises(UnsafeDeleteError, match="refusing to delete"):
            fs.delete_within(outside, out)
    (world / "out2").mkdir()  # a shared name prefix is not inside
    with pytest.raises(UnsafeDeleteError):
        fs.delete_within(str(world / "out2"), out)
    before = _tree(world)
    pub = Publication(fs, out, f"{out}/_staging/r")
    pub.after_commit = [(f"{out}/_staging/r/kept", f"{out}/../sibling")]
    (world / "out" / "_staging" / "r" / "kept").mkdir(parents=True)
    with pytest.raises(UnsafeDeleteError):
        pub.move(pub.after_commit)
    (world / "out" / "_staging" / "r" / "kept").rmdir()
    (world / "out" / "_staging" / "r").rmdir()
    assert _tree(world) == before
    fs.delete_within(f"{out}/_staging/keep.txt", out)
    assert not (world / "out" / "_staging" / "keep.txt").exists()
    state = State(spark, str(world / "state"))
    for bad in ("..", "a/b"):
        with pytest.raises(WinnowError, match="not a safe name"):
            state.discard_uncommitted(bad, ["ledger"])
    with pytest.raises(WinnowError, match="index name"):
        state.index("../ledger")
    assert (world / "state" / "ledger" / "run_id=day1" / "p.parquet").exists()

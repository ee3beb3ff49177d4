"""The small things of a newcomer's first hour (issue #21, item 7): --version, a plain
description, `winnow stages` generated from the Params dataclasses, the stages listed
in `winnow run --help`, and the demo recipe's shape (item 2)."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import ROOT
from winnow import __version__, config
from winnow.cli import main, parser
from winnow.stage import REGISTRY, param_fields


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"winnow {__version__}"


def test_description_has_no_raw_markup():
    text = parser().format_help()
    assert "``" not in text and "`" not in text
    assert "winnow stages" in text


def test_run_help_lists_every_stage(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    config.load_stage_modules()
    for name in REGISTRY:
        assert name in out, name
    assert "(parameters: winnow stages)" in out


def test_stages_lists_every_parameter_with_its_default(capsys):
    assert main(["stages"]) == 0
    out = capsys.readouterr().out
    blocks = {b.split(":", 1)[0]: b for b in out.strip().split("\n\n")}
    assert set(blocks) == set(REGISTRY)
    for name, cls in REGISTRY.items():
        for fname, f in param_fields(cls.Params).items():
            line = next(ln for ln in blocks[name].splitlines()
                        if ln.startswith(f"  {fname}: "))
            if f.default is not dataclasses.MISSING:
                assert line.split(" = ", 1)[1].startswith(repr(f.default)), line
    assert "  min_score: float = 0.65  in [0, 1]" in blocks["lid"]
    assert "  lists: dict[str, file] = {}" in blocks["c4_badwords"]


def test_stages_unknown_name(capsys):
    assert main(["stages", "lenght"]) == 2
    assert "unknown stage 'lenght'" in capsys.readouterr().err


def test_demo_recipe_shows_the_product():
    cfg = config.load(ROOT / "conf" / "recipes" / "demo.yaml")
    names = [s.name for s in cfg.stages]
    for wanted in ("lid", "gopher_repetition", "gopher_quality", "c4", "fineweb",
                   "minhash_dedup"):
        assert wanted in names
    assert not any(isinstance(v, str) and v.startswith("/") for s in cfg.stages
                   for v in vars(s.params).values()), "the demo needs no files"
    makefile = (ROOT / "Makefile").read_text()
    assert "conf/recipes/demo.yaml" in makefile and "winnow report" in makefile


def test_first_run_compile_notice_depends_on_the_numba_cache(tmp_path, monkeypatch):
    import winnow
    from winnow.cli import kernels_cached

    pkg = tmp_path / "winnow"
    (pkg / "text" / "__pycache__").mkdir(parents=True)
    monkeypatch.setattr(winnow, "__file__", str(pkg / "__init__.py"))
    monkeypatch.setenv("WINNOW_NUMBA_CACHE_DIR", str(tmp_path / "zipcache"))
    assert not kernels_cached()
    (tmp_path / "zipcache" / "winnow.text.words-0123").mkdir(parents=True)
    (tmp_path / "zipcache" / "winnow.text.words-0123" / "words._hash-1.py311.nbi").touch()
    assert kernels_cached()
    (pkg / "text" / "__pycache__" / "words._hash-1.py311.nbi").touch()
    monkeypatch.setenv("WINNOW_NUMBA_CACHE_DIR", str(tmp_path / "none"))
    assert kernels_cached()

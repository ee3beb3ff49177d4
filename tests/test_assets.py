"""``winnow assets``: the word lists of the shipped recipes on a search path (issue #21,
item 1). Fetching is tested against a real HTTP server on 127.0.0.1 serving the shared
copies; nothing here reaches the network.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest
from conftest import ROOT, SHARED
from winnow import assets, config
from winnow.cli import main
from winnow.errors import ConfigError, WinnowError

WORDLISTS = SHARED / "wordlists"
#: The pipeline recipes (conf/recipes also holds other YAML, e.g. a mix's sources).
RECIPES = sorted(p for p in (ROOT / "conf" / "recipes").glob("*.yaml")
                 if "stages" in (config.read_yaml_file(p) or {}))


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """An empty search path: no $WINNOW_ASSETS, the user cache in a temporary dir."""
    monkeypatch.delenv(assets.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


@pytest.fixture(scope="module")
def mirror():
    """A local HTTP server with the shared word lists under the catalog's names."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(WORDLISTS))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_catalog_covers_the_shared_lists_and_cites_published_sources():
    shipped = {str(p.relative_to(WORDLISTS)) for p in WORDLISTS.rglob("*") if p.is_file()}
    assert set(assets.CATALOG) <= shipped
    assert {n for n in shipped if n.startswith("url-banned/")} <= set(assets.CATALOG)
    assert {f"ldnoobw/{lang}" for lang in ("en", "de", "zh", "fr-CA-u-sd-caqc")} <= set(
        assets.CATALOG)
    for a in assets.CATALOG.values():
        assert a.source.startswith("https://raw.githubusercontent.com/"), a
        assert a.source.endswith("/" + a.name.split("/", 1)[1]), a


def test_every_recipe_names_assets_not_relative_folders():
    for recipe in [*RECIPES, *(ROOT / "conf" / "schedule").iterdir()]:
        assert "../shared" not in recipe.read_text(), recipe


def test_every_shipped_recipe_loads_from_a_fetched_copy(isolated, monkeypatch, capsys):
    """A fresh clone: `winnow assets fetch --from DIR --to TMP`, WINNOW_ASSETS=TMP."""
    home = isolated / "assets"
    assert main(["assets", "fetch", "--from", str(WORDLISTS), "--to", str(home)]) == 0
    assert f"to {home}" in capsys.readouterr().out
    monkeypatch.setenv(assets.ENV, str(home))
    for recipe in [ROOT / "conf" / "default.yaml", *RECIPES]:
        cfg = config.load(recipe)
        for stage in cfg.stages:
            for value in vars(stage.params).values():
                paths = value.values() if isinstance(value, dict) else [value]
                for p in paths:
                    if isinstance(p, str) and "wordlists" in p:
                        raise AssertionError(f"{recipe}: {p} not from the asset path")
    c4 = config.load(ROOT / "conf" / "recipes" / "c4.yaml")
    assert c4.stages[-1].params.lists["en"] == str((home / "ldnoobw" / "en").resolve())


def test_missing_asset_error_names_every_directory_and_the_command(isolated, monkeypatch):
    monkeypatch.setenv(assets.ENV, f"{isolated / 'a'}:{isolated / 'b'}")
    with pytest.raises(ConfigError) as err:
        config.load(ROOT / "conf" / "recipes" / "full_pipeline.yaml")
    msg = str(err.value)
    assert msg.startswith("stages[1].banned_words: asset 'url-banned/banned_words.txt'")
    for d in (isolated / "a", isolated / "b", isolated / "xdg" / "winnow" / "assets"):
        assert str(d) in msg
    assert "winnow assets fetch" in msg and "\n" not in msg


def test_fetch_downloads_from_a_mirror_into_the_cache(isolated, mirror, capsys):
    assert main(["assets", "fetch", "--mirror", mirror]) == 0
    cache = isolated / "xdg" / "winnow" / "assets"
    for name in assets.CATALOG:
        assert (cache / name).read_bytes() == (WORDLISTS / name).read_bytes(), name
    manifest = json.loads((cache / assets.MANIFEST).read_text())["files"]
    en = next(r for r in manifest if r["name"] == "ldnoobw/en")
    assert en["source"] == mirror + "ldnoobw/en"
    assert en["sha256"] == hashlib.sha256((WORDLISTS / "ldnoobw" / "en").read_bytes()).hexdigest()
    # Found by default now: the recipes load with nothing set.
    config.load(ROOT / "conf" / "recipes" / "fineweb_pipeline.yaml")
    capsys.readouterr()
    assert main(["assets", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(assets.CATALOG)
    assert all(str(cache) in line for line in listed)


def test_fetch_one_name_and_a_failed_download(isolated, mirror, capsys):
    dest = isolated / "one"
    assert main(["assets", "fetch", "ldnoobw/de", "--mirror", mirror, "--to", str(dest)]) == 0
    assert [p.name for p in dest.rglob("*") if p.is_file() and p.name != assets.MANIFEST] == [
        "de"]
    with pytest.raises(WinnowError, match="HTTP 404"):
        assets.fetch(dest, ["ldnoobw/en"], mirror=mirror + "nowhere/")
    with pytest.raises(WinnowError, match="cannot download"):
        assets.fetch(dest, ["ldnoobw/en"], mirror="http://127.0.0.1:9/", timeout=2)
    assert not (dest / "ldnoobw" / "en").exists()  # nothing half-written
    assert main(["assets", "fetch", "nope/x", "--to", str(dest)]) == 2
    assert "unknown asset 'nope/x'" in capsys.readouterr().err


def test_config_key_assets_relative_to_the_config(isolated, tmp_path):
    home = tmp_path / "proj" / "lists"
    assets.fetch(home, ["ldnoobw/en"], source_dir=WORDLISTS)
    recipe = tmp_path / "proj" / "c4.yaml"
    recipe.write_text("assets: lists\nstages:\n  - stage: c4_badwords\n"
                      "    lists: {en: 'asset:ldnoobw/en'}\n")
    cfg = config.load(recipe)
    assert cfg.stages[0].params.lists["en"] == str((home / "ldnoobw" / "en").resolve())
    recipe.write_text("assets: [1]\nstages:\n  - stage: normalize\n")
    with pytest.raises(ConfigError, match="^assets: expected a directory"):
        config.load(recipe)


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "a//b", "ldnoobw/./en", ""])
def test_asset_names_stay_inside_the_search_path(isolated, name):
    raw = {"stages": [{"stage": "c4_badwords", "lists": {"en": f"asset:{name}"}}]}
    with pytest.raises(ConfigError, match="must be a relative path"):
        config.parse(raw)


def test_search_path_order(isolated, monkeypatch, capsys):
    monkeypatch.setenv(assets.ENV, f"{isolated / 'first'}:{isolated / 'second'}")
    assert main(["assets", "path"]) == 0
    assert capsys.readouterr().out.split() == [
        str(isolated / "first"), str(isolated / "second"),
        str(isolated / "xdg" / "winnow" / "assets")]
    assert assets.destination(None) == isolated / "first"

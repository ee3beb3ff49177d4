"""Word lists the shipped recipes use, found on a search path instead of a fixed folder.

A config names an asset as ``asset:NAME`` (e.g. ``asset:ldnoobw/en``); the file is
looked up, first match wins, in

1. every directory of ``$WINNOW_ASSETS`` (``os.pathsep``-separated),
2. every directory of the config's top-level ``assets`` key (relative to the config file),
3. the user cache, ``$XDG_CACHE_HOME/winnow/assets`` (default ``~/.cache/winnow/assets``).

Nothing is downloaded unless the user asks: ``winnow assets fetch`` copies the lists
from their published sources (or a mirror, or a local folder with ``--from DIR``) into
the first directory of that path. A missing asset is a one-line config error naming
every directory searched and the command to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from winnow.errors import ConfigError, WinnowError

#: Environment variable holding the user's asset directories.
ENV = "WINNOW_ASSETS"
#: How a config names an asset instead of a path.
PREFIX = "asset:"
#: Seconds a download may stall before it fails.
TIMEOUT = 30.0
#: Provenance of every fetched file (name, source, sha256), written beside them.
MANIFEST = "winnow-assets.json"

# "List of Dirty, Naughty, Obscene and Otherwise Bad Words", the bad-words list of C4
# (Raffel et al. 2020, https://arxiv.org/abs/1910.10683, §2.2), CC-BY-4.0; one file per
# language code at https://github.com/LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words
_LDNOOBW = ("https://raw.githubusercontent.com/LDNOOBW/"
            "List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words/master/")
LDNOOBW_LANGUAGES = (
    "ar", "cs", "da", "de", "en", "eo", "es", "fa", "fi", "fil", "fr", "fr-CA-u-sd-caqc",
    "hi", "hu", "it", "ja", "kab", "ko", "nl", "no", "pl", "pt", "ru", "sv", "th", "tlh",
    "tr", "zh",
)
# The URL filter's word lists of datatrove (Apache-2.0), the URL filter of FineWeb
# (Penedo et al. 2024, https://arxiv.org/abs/2406.17557):
# https://github.com/huggingface/datatrove/tree/main/src/datatrove/assets
_DATATROVE = "https://raw.githubusercontent.com/huggingface/datatrove/main/src/datatrove/assets/"
URL_LISTS = ("banned_words.txt", "soft_banned_words.txt", "banned_subwords.txt")


@dataclass(frozen=True)
class Asset:
    name: str  # path under an asset directory, "/"-separated
    source: str  # canonical URL


CATALOG: dict[str, Asset] = {
    a.name: a for a in [
        *(Asset(f"ldnoobw/{lang}", _LDNOOBW + lang) for lang in LDNOOBW_LANGUAGES),
        Asset("ldnoobw/LICENSE", _LDNOOBW + "LICENSE"),
        *(Asset(f"url-banned/{f}", _DATATROVE + f) for f in URL_LISTS),
    ]
}


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "winnow" / "assets"


def env_dirs() -> list[Path]:
    return [Path(d).expanduser() for d in os.environ.get(ENV, "").split(os.pathsep) if d]


def config_dirs(value: object, base_dir: Path | None) -> list[Path]:
    """The config's ``assets`` key (a directory or a list of them) as directories."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(d, str) and d for d in items):
        raise ConfigError("assets: expected a directory or a list of directories")
    out = []
    for d in items:
        p = Path(d).expanduser()
        out.append(p if p.is_absolute() or base_dir is None else base_dir / p)
    return out


def search_path(extra: Sequence[Path] = ()) -> list[Path]:
    """Where ``asset:`` names are looked up, in order (duplicates removed)."""
    seen, out = set(), []
    for d in [*env_dirs(), *extra, default_cache()]:
        if str(d) not in seen:
            seen.add(str(d))
            out.append(d)
    return out


def _check_name(name: str, key: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ConfigError(f"{key}: asset name {name[:80]!r} must be a relative path "
                          "without '.' or '..' parts (e.g. asset:ldnoobw/en)")
    return name


def resolve(name: str, key: str, extra: Sequence[Path] = ()) -> str:
    """The absolute path of asset ``name``, or a one-line error saying where it looked."""
    _check_name(name, key)
    dirs = search_path(extra)
    for d in dirs:
        candidate = d / name
        if candidate.is_file():
            return str(candidate.resolve())
    looked = ", ".join(str(d) for d in dirs)
    hint = ("run `winnow assets fetch` (downloads the published lists) or "
            "`winnow assets fetch --from DIR` (a local copy)") if name in CATALOG else (
            f"put it under one of them or set {ENV}")
    raise ConfigError(f"{key}: asset {name!r} not found (looked in {looked}); {hint}")


def destination(to: str | None) -> Path:
    """Where ``fetch`` writes: ``--to``, else the first ``$WINNOW_ASSETS`` entry, else the
    user cache."""
    if to:
        return Path(to).expanduser()
    dirs = env_dirs()
    return dirs[0] if dirs else default_cache()


def _download(url: str, timeout: float) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise WinnowError(f"{url}: only http(s) sources can be fetched")
    req = urllib.request.Request(url, headers={"User-Agent": "winnow-assets"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) only)
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise WinnowError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WinnowError(f"{url}: cannot download ({reason}); fetch from a local copy "
                          "with `winnow assets fetch --from DIR`") from None


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)


def fetch(dest: Path, names: Iterable[str] | None = None, *, source_dir: Path | None = None,
          mirror: str | None = None, timeout: float = TIMEOUT) -> list[dict[str, str]]:
    """Copy the catalog's assets (or ``names``) into ``dest``: from ``source_dir`` (same
    layout, e.g. a checkout's word-list folder), from ``mirror`` (``MIRROR/NAME``), or
    from each asset's canonical source. Returns one provenance record per file."""
    wanted = list(names) if names else list(CATALOG)
    unknown = [n for n in wanted if n not in CATALOG]
    if unknown:
        raise WinnowError(f"unknown asset {unknown[0]!r} (see `winnow assets list`)")
    if source_dir is not None and not source_dir.is_dir():
        raise WinnowError(f"--from {source_dir}: not a directory")
    records = []
    for name in wanted:
        if source_dir is not None:
            src = source_dir / name
            if not src.is_file():
                raise WinnowError(f"--from {source_dir}: no file {name}")
            data, origin = src.read_bytes(), str(src.resolve())
        else:
            origin = (mirror.rstrip("/") + "/" + name) if mirror else CATALOG[name].source
            data = _download(origin, timeout)
        _write(dest / name, data)
        records.append({"name": name, "source": origin,
                        "sha256": hashlib.sha256(data).hexdigest(), "bytes": str(len(data))})
    manifest = dest / MANIFEST
    known = {}
    if manifest.is_file():
        try:
            known = {r["name"]: r for r in json.loads(manifest.read_text())["files"]}
        except (ValueError, KeyError, TypeError):
            known = {}
    known.update({r["name"]: r for r in records})
    _write(manifest, json.dumps({"files": sorted(known.values(), key=lambda r: r["name"])},
                                indent=2).encode())
    return records


# --- the `winnow assets` command --------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="assets_command", required=True)
    f = sub.add_parser("fetch", help="copy the word lists into the asset cache (downloads "
                                     "from the published sources unless --from is given)")
    f.add_argument("names", nargs="*", help="assets to fetch (default: all; see list)")
    f.add_argument("--to", default=None,
                   help=f"directory to fill (default: first ${ENV} entry, else {default_cache()})")
    src = f.add_mutually_exclusive_group()
    src.add_argument("--from", dest="source_dir", default=None,
                     help="copy from a local directory of the same layout instead of downloading")
    src.add_argument("--mirror", default=None,
                     help="download MIRROR/NAME instead of each list's canonical URL")
    f.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per download")
    sub.add_parser("list", help="each asset, its source, and where it is found")
    sub.add_parser("path", help="print the search path, one directory a line")


def cmd_assets(args: argparse.Namespace) -> int:
    if args.assets_command == "path":
        for d in search_path():
            print(d)
        return 0
    if args.assets_command == "list":
        dirs = search_path()
        for name, asset in CATALOG.items():
            found = next((str(d / name) for d in dirs if (d / name).is_file()), "missing")
            print(f"{name}\t{found}\t{asset.source}")
        return 0
    dest = destination(args.to)
    records = fetch(dest, args.names or None,
                    source_dir=Path(args.source_dir) if args.source_dir else None,
                    mirror=args.mirror, timeout=args.timeout)
    size = sum(int(r["bytes"]) for r in records)
    print(f"wrote {len(records)} files ({size:,} bytes) to {dest}")
    if dest not in search_path():
        print(f"note: {dest} is not on the search path; set {ENV}={dest}")
    return 0

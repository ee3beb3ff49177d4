"""The mixture config: sources, groups, budget, weights, repeats, seed and shards.

Everything here is checked before Spark starts, each problem as one line naming
the key: unknown keys, weights that are negative or do not sum to 1, a budget that
is not a positive integer, a source path that does not exist, and (for local
Parquet) a ``group_by`` column or ``token_count`` missing from a source's schema.
Whether each weighted group exists needs the data: that is checked right after
the sources are read (:func:`winnow.mix.sampling.plan`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.errors import ConfigError
from winnow.names import check_name

KEYS = ("sources", "group_by", "budget_tokens", "budget_documents", "weights", "repeat",
        "seed", "shards")
REPEATS = ("allow", "error")
FORMATS = ("parquet", "jsonl.zst")
#: Weights must sum to 1 within this.
WEIGHT_TOLERANCE = 1e-6
#: The group column made from the ``sources`` keys.
SOURCE = "source"
#: Group keys join the ``group_by`` values with this; a null value reads ``null``.
SEPARATOR = "/"
NULL = "null"


@dataclass
class Shards:
    format: str = "parquet"
    target_mb: float = 512.0


@dataclass
class MixConfig:
    """A checked mixture config (``raw``: as read, for the manifest)."""

    sources: dict[str, str]
    group_by: list[str]
    weights: dict[str, float]
    budget_tokens: int | None = None
    budget_documents: int | None = None
    repeat: str = "error"
    seed: int = 1
    shards: Shards = field(default_factory=Shards)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def budget(self) -> int:
        return self.budget_tokens if self.budget_tokens is not None else self.budget_documents

    @property
    def unit(self) -> str:
        """What the budget counts: ``tokens`` or ``documents``."""
        return "tokens" if self.budget_tokens is not None else "documents"


def load(path: str) -> MixConfig:
    """Read and check a mixture config file."""
    from winnow.config import read_yaml_file

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--config {path}: file not found")
    return parse(read_yaml_file(p), base_dir=p.parent)


def _integer(raw: dict[str, Any], key: str, lo: int) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ConfigError(f"{key}: expected an integer >= {lo}, got {value!r}")
    return value


def parse(raw: Any, base_dir: Path | None = None) -> MixConfig:
    """A ``MixConfig`` from the parsed YAML mapping, or a one-line ``ConfigError``."""
    if not isinstance(raw, dict):
        raise ConfigError("mix config: top level must be a mapping")
    for key in raw:
        if key not in KEYS:
            raise ConfigError(f"{key}: unknown key (known: {', '.join(KEYS)})")
    sources = raw.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise ConfigError("sources: required, a mapping of name -> curated output (kept/) "
                          "or Parquet directory")
    resolved = {}
    for name, where in sources.items():
        check_name(str(name), "sources:")
        if SEPARATOR in str(name):
            raise ConfigError(f"sources.{name}: a name may not contain {SEPARATOR!r}")
        if not isinstance(where, str) or not where:
            raise ConfigError(f"sources.{name}: expected a path")
        resolved[str(name)] = _resolve(where, f"sources.{name}", base_dir)
    group_by = raw.get("group_by", [SOURCE])
    if isinstance(group_by, str):
        group_by = [group_by]
    if (not isinstance(group_by, list) or not group_by
            or not all(isinstance(g, str) and g for g in group_by)):
        raise ConfigError("group_by: expected a non-empty list of column names")
    if len(set(group_by)) != len(group_by):
        raise ConfigError("group_by: a column is listed twice")
    budget_tokens = _integer(raw, "budget_tokens", 1)
    budget_documents = _integer(raw, "budget_documents", 1)
    if (budget_tokens is None) == (budget_documents is None):
        raise ConfigError("budget_tokens: set exactly one of budget_tokens and budget_documents")
    weights = raw.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise ConfigError("weights: required, a mapping of group -> share (summing to 1), "
                          f"groups named by their {'/'.join(group_by)} values")
    checked: dict[str, float] = {}
    for group, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ConfigError(f"weights.{group}: expected a number >= 0, got {w!r}")
        parts = str(group).split(SEPARATOR)
        if len(parts) != len(group_by):
            raise ConfigError(f"weights.{group}: a group names {len(group_by)} value(s) "
                              f"({SEPARATOR.join(group_by)}), got {len(parts)}")
        if SOURCE in group_by and parts[group_by.index(SOURCE)] not in resolved:
            raise ConfigError(f"weights.{group}: no source "
                              f"{parts[group_by.index(SOURCE)]!r} (sources: "
                              f"{', '.join(resolved)})")
        checked[str(group)] = float(w)
    total = sum(checked.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ConfigError(f"weights: must sum to 1, they sum to {total:.6g}")
    repeat = raw.get("repeat", "error")
    if repeat not in REPEATS:
        raise ConfigError(f"repeat: must be one of {', '.join(REPEATS)}, got {repeat!r}")
    seed = _integer(raw, "seed", 0)
    shards_raw = raw.get("shards", {}) or {}
    if not isinstance(shards_raw, dict):
        raise ConfigError("shards: expected a mapping (format, target_mb)")
    for key in shards_raw:
        if key not in ("format", "target_mb"):
            raise ConfigError(f"shards.{key}: unknown key (known: format, target_mb)")
    fmt = shards_raw.get("format", "parquet")
    if fmt not in FORMATS:
        raise ConfigError(f"shards.format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    target = shards_raw.get("target_mb", 512)
    if (isinstance(target, bool) or not isinstance(target, int | float)
            or not math.isfinite(target) or not 0 < target <= 1_000_000):
        raise ConfigError(f"shards.target_mb: expected a number in (0, 1000000], got {target!r}")
    cfg = MixConfig(resolved, list(group_by), checked, budget_tokens, budget_documents,
                    repeat, 1 if seed is None else seed, Shards(fmt, float(target)), raw)
    check_schemas(cfg)
    return cfg


def _resolve(where: str, key: str, base_dir: Path | None) -> str:
    if "://" in where:
        return where
    for candidate in [Path(where)] + ([base_dir / where] if base_dir else []):
        if candidate.exists():
            return str(candidate.resolve())
    raise ConfigError(f"{key}: {where} does not exist")


def parquet_files(path: str) -> list[str]:
    """The data files of a local Parquet directory (or the file itself), sorted."""
    if os.path.isfile(path):
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        found += [os.path.join(root, f) for f in sorted(files)
                  if not f.startswith(("_", ".")) and f.endswith(".parquet")]
    return found


def required_columns(cfg: MixConfig) -> list[str]:
    """Columns every source must have: id, the group columns, token_count for a token budget."""
    cols = ["id"] + [g for g in cfg.group_by if g != SOURCE]
    if cfg.budget_tokens is not None:
        cols.append("token_count")
    return cols


def missing_message(name: str, column: str, cfg: MixConfig, present: list[str]) -> str:
    if column == "token_count":
        return (f"sources.{name}: no token_count column, but budget_tokens is set (run the "
                "'tokens' stage, or give budget_documents)")
    what = "group_by" if column in cfg.group_by else "id"
    return f"{what}: source {name!r} has no column {column!r} (columns: {', '.join(present)})"


def check_schemas(cfg: MixConfig) -> None:
    """For local sources, check the columns from one Parquet footer (no Spark)."""
    import pyarrow.parquet as pq

    for name, path in cfg.sources.items():
        if "://" in path:
            continue  # checked from the Spark schema once read
        files = parquet_files(path)
        if not files:
            raise ConfigError(f"sources.{name}: no Parquet files under {path}")
        try:
            schema = pq.read_schema(files[0])
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
            raise ConfigError(f"sources.{name}: {files[0]} is not Parquet ({exc})") from None
        for column in required_columns(cfg):
            if column not in schema.names:
                raise ConfigError(missing_message(name, column, cfg, schema.names))

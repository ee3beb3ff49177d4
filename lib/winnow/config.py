"""Load and validate a pipeline config (YAML) before any Spark work starts.

Every problem is a ``ConfigError`` whose one-line message names the key, e.g.
``stages[2].min_wrods: unknown key for stage 'length' (known: max_words, min_words, mode)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pkgutil
import types
import typing
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml

from winnow.errors import ConfigError
from winnow.stage import MODES, REGISTRY, FilePath, Stage, StageParams

INPUT_FORMATS = ("auto", "jsonl", "parquet")


@dataclass
class InputConfig:
    """How input records map to documents."""

    format: str = "auto"
    fields: dict[str, str] = field(
        default_factory=lambda: {"text": "text", "id": "id", "url": "url"}
    )


@dataclass
class OutputConfig:
    """What the writer keeps."""

    removed_text: bool = True
    partitions: int = 0  # 0: chosen from the cluster's parallelism


@dataclass
class Config:
    """A validated pipeline: input mapping, output options and stages in order."""

    input: InputConfig
    output: OutputConfig
    stages: list[Stage]
    raw: dict[str, Any]
    source: str

    @property
    def hash(self) -> str:
        """Stable hash of the config content (key order independent)."""
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def load_stage_modules() -> None:
    """Import every module of ``winnow.stages`` so their ``@register`` runs."""
    import winnow.stages as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        import_module(f"{pkg.__name__}.{mod.name}")


def load(path: str | os.PathLike) -> Config:
    """Read and validate the YAML file at ``path``."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{p}: not valid YAML{where}") from None
    return parse(raw, source=str(p), base_dir=p.parent)


def parse(raw: Any, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate a config mapping; relative file params resolve against ``base_dir``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: top level must be a mapping")
    known = {"input", "output", "stages"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{key}: unknown top-level key (known: {', '.join(sorted(known))})")
    inp = _dataclass_from(InputConfig, raw.get("input") or {}, "input", base_dir)
    if inp.format not in INPUT_FORMATS:
        raise ConfigError(f"input.format: must be one of {', '.join(INPUT_FORMATS)}")
    unknown_fields = set(inp.fields) - {"text", "id", "url"}
    if unknown_fields:
        raise ConfigError(
            f"input.fields.{sorted(unknown_fields)[0]}: unknown field role (known: id, text, url)"
        )
    inp.fields = {"text": "text", "id": "id", "url": "url", **inp.fields}
    out = _dataclass_from(OutputConfig, raw.get("output") or {}, "output", base_dir)
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError("stages: must be a non-empty list")
    load_stage_modules()
    stages = [
        _build_stage(entry, i, base_dir) for i, entry in enumerate(stages_raw)
    ]
    names = [s.name for s in stages]
    for name in set(names):
        if names.count(name) > 1 and not getattr(REGISTRY.get(name), "repeatable", False):
            raise ConfigError(f"stages: stage '{name}' listed more than once")
    return Config(inp, out, stages, raw, source)


def _build_stage(entry: Any, index: int, base_dir: Path | None) -> Stage:
    where = f"stages[{index}]"
    if not isinstance(entry, dict) or "stage" not in entry:
        raise ConfigError(f"{where}: must be a mapping with a 'stage' key")
    name = entry["stage"]
    if name not in REGISTRY:
        raise ConfigError(
            f"{where}.stage: unknown stage {name!r} (known: {', '.join(sorted(REGISTRY))})"
        )
    cls = REGISTRY[name]
    params_raw = {k: v for k, v in entry.items() if k != "stage"}
    params = _dataclass_from(cls.Params, params_raw, where, base_dir, stage=name)
    if params.mode not in MODES:
        raise ConfigError(f"{where}.mode: must be one of {', '.join(MODES)}")
    stage = cls(params, index)
    check = getattr(stage, "validate", None)
    if check is not None:
        try:
            check()
        except ConfigError as exc:
            raise ConfigError(f"{where}.{exc}") from None
    return stage


def _dataclass_from(
    cls: type, values: Any, where: str, base_dir: Path | None, stage: str | None = None
) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: must be a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            what = f"for stage '{stage}'" if stage else f"in '{where}'"
            raise ConfigError(
                f"{where}.{key}: unknown key {what} (known: {', '.join(sorted(fields))})"
            )
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}", base_dir)
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING and (
            f.default_factory is dataclasses.MISSING
        ):
            raise ConfigError(f"{where}.{name}: required key missing")
    return cls(**kwargs)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str, base_dir: Path | None) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, base_dir)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        return [_coerce(v, args[0], f"{key}[{i}]", base_dir) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__}")
        return {
            str(k): _coerce(v, args[1], f"{key}.{k}", base_dir) for k, v in value.items()
        }
    if tp is FilePath:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a file path, got {type(value).__name__}")
        return FilePath(resolve_file(value, key, base_dir))
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    if tp is Any:
        return value
    raise ConfigError(f"{key}: unsupported parameter type {_type_name(tp)}")


def resolve_file(value: str, key: str, base_dir: Path | None) -> str:
    """Resolve a file parameter; local files must exist, remote URIs are trusted."""
    if "://" in value:
        return value
    candidates = [Path(value)]
    if base_dir is not None and not Path(value).is_absolute():
        # Relative paths: first as given (from the working directory), then beside
        # the config file, then from the project root (for bundled recipes).
        candidates += [base_dir / value, Path(__file__).resolve().parents[2] / value]
    for c in candidates:
        if c.exists():
            return str(c.resolve())
    raise ConfigError(f"{key}: file not found: {value}")


def stage_params_dict(params: StageParams) -> dict[str, Any]:
    return dataclasses.asdict(params)

"""Load and validate a pipeline config (YAML) before any Spark work starts.

Every problem is a ``ConfigError`` whose one-line message names the key, e.g.
``stages[2].min_wrods: unknown key for stage 'length' (known: max_words, min_words, mode)``.
Messages never hold a whole user value (``_shown`` cuts it), and hostile YAML is
bounded: at most ``MAX_CONFIG_BYTES`` on disk and after alias expansion, at most
``MAX_ALIASES`` aliases.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import math
import os
import pkgutil
import re
import reprlib
import struct
import types
import typing
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml

from winnow import assets
from winnow.errors import ConfigError, WinnowError
from winnow.io.reader import input_formats
from winnow.stage import (
    MODES,
    REGISTRY,
    FilePath,
    FrameStage,
    ModelPath,
    Range,
    SignalStage,
    Stage,
    StageParams,
    bounded,
)

MIB = 1 << 20
#: Largest config accepted: its file, and its content after YAML alias expansion.
MAX_CONFIG_BYTES = MIB
#: Most YAML aliases (``*name``) a config may use.
MAX_ALIASES = 100
#: Longest rendering of a user's value (or key) inside an error message.
SHOWN_CHARS = 80
#: Longest message a stage's ``validate()`` may add after the key.
MESSAGE_CHARS = 400
#: The range of a number whose parameter declares none (``stage.bounded`` declares one).
DEFAULT_RANGE = Range()


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
    #: 0: from the input size and the cluster's parallelism (``job.read_partitions``)
    partitions: int = bounded(Range(1, 100_000, zero=True), 0)


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
        # Stages reading data files whose content decides (benchmarks) add its digest.
        for s in self.stages:
            if hasattr(s, "content_digest"):
                blob += b"\n" + s.content_digest().encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def load_stage_modules() -> None:
    """Import every module of ``winnow.stages`` so their ``@register`` runs."""
    import winnow.stages as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        import_module(f"{pkg.__name__}.{mod.name}")


def load(path: str | os.PathLike) -> Config:
    """Read and validate the YAML file at ``path`` (at most ``MAX_CONFIG_BYTES``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    return parse(read_yaml_file(p), source=str(p), base_dir=p.parent)


def read_yaml_file(p: Path) -> Any:
    """The YAML document in file ``p``, bounded like a config (size, aliases, UTF-8)."""
    with open(p, "rb") as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        size = max(p.stat().st_size, len(data))
        raise ConfigError(f"config {p} is {math.ceil(size * 10 / MIB) / 10:.1f} MiB; the limit "
                          f"is {MAX_CONFIG_BYTES // MIB} MiB — put long lists in files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text") from None
    return read_yaml(text, str(p))


#: libyaml's parser when PyYAML has it (about ten times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, source: str) -> Any:
    """Parse YAML safely; at most ``MAX_ALIASES`` aliases, which may not expand the
    document beyond ``MAX_CONFIG_BYTES``."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)
        where = f"line {mark.line + 1}" if mark else ""
        detail = ": ".join(_short(str(x)) for x in (where, problem) if x)
        raise ConfigError(f"{source}: not valid YAML" + (f" ({detail})" if detail else "")
                          ) from None
    except RecursionError:
        raise ConfigError(f"{source}: not valid YAML (nested too deeply)") from None
    except ValueError as exc:  # a scalar the constructor rejects (int too long, bad date)
        raise ConfigError(f"{source}: not valid YAML ({_short(str(exc))})") from None
    finally:
        loader.dispose()


def _check_aliases(root: yaml.Node, source: str) -> None:
    """Count alias uses (a node reached again) and the document's size with every alias
    expanded (characters, roughly; a cycle is infinite). Each node is measured once, so
    an alias bomb costs its size on disk, not its expansion."""
    sizes: dict[int, int] = {}
    aliases = 0

    def size(node: yaml.Node) -> int:
        nonlocal aliases
        known = sizes.get(id(node))
        if known is not None:
            aliases += 1
            return known
        sizes[id(node)] = MAX_CONFIG_BYTES + 1  # in progress: a cycle expands forever
        if isinstance(node, yaml.ScalarNode):
            n = len(node.value) + 1
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(child) for child in node.value)
        else:
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        sizes[id(node)] = n
        return n

    total = size(root)
    if aliases > MAX_ALIASES:
        raise ConfigError(f"{source}: {aliases} YAML aliases (*name); the limit is "
                          f"{MAX_ALIASES}")
    if aliases and total > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: expands to more than {MAX_CONFIG_BYTES // MIB} MiB "
                          f"through YAML aliases; the limit is {MAX_CONFIG_BYTES // MIB} MiB")


def _short(text: str, limit: int = SHOWN_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxlong = _REPR.maxother = SHOWN_CHARS


def _shown(value: Any) -> str:
    """``repr(value)`` in at most ``SHOWN_CHARS`` characters, whatever its size."""
    return _short(_REPR.repr(value))


def parse(raw: Any, source: str = "<config>", base_dir: Path | None = None) -> Config:
    """Validate a config mapping; relative file params resolve against ``base_dir``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: top level must be a mapping")
    known = {"assets", "input", "output", "stages"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{_short(str(key))}: unknown top-level key "
                              f"(known: {', '.join(sorted(known))})")
    token = _ASSET_DIRS.set(tuple(assets.config_dirs(raw.get("assets"), base_dir)))
    try:
        return _parse(raw, source, base_dir)
    finally:
        _ASSET_DIRS.reset(token)


#: The parsed config's ``assets`` directories, for ``asset:`` file parameters.
_ASSET_DIRS: ContextVar[tuple[Path, ...]] = ContextVar("asset_dirs", default=())


def _parse(raw: dict, source: str, base_dir: Path | None) -> Config:
    inp = _dataclass_from(InputConfig, raw.get("input") or {}, "input", base_dir)
    formats = input_formats()
    if inp.format not in formats:
        raise ConfigError(f"input.format: must be one of {', '.join(formats)}")
    unknown_fields = set(inp.fields) - {"text", "id", "url"}
    if unknown_fields:
        raise ConfigError(f"input.fields.{_short(sorted(unknown_fields)[0])}: unknown field "
                          "role (known: id, text, url)")
    inp.fields = {"text": "text", "id": "id", "url": "url", **inp.fields}
    out = _dataclass_from(OutputConfig, raw.get("output") or {}, "output", base_dir)
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError("stages: must be a non-empty list")
    load_stage_modules()
    stages = [
        _build_stage(entry, i, base_dir) for i, entry in enumerate(stages_raw)
    ]
    # A repeatable stage's instances are told apart by name (``sql_rule[<rule>]``).
    listed = Counter(s.name if s.repeatable else type(s).name for s in stages)
    for name, count in listed.items():
        if count > 1:
            raise ConfigError(f"stages: stage '{name}' listed more than once")
    _check_rule_columns(stages, inp.format)
    _check_language_column(stages)
    return Config(inp, out, stages, raw, source)


def _check_language_column(stages: list[Stage]) -> None:
    """A stage with ``per_language`` params needs ``lang`` from itself or a stage before."""
    from winnow.stage import LANG_COLUMN

    seen = False
    for s in stages:
        if isinstance(s, SignalStage) and s.mode != "off":
            seen = seen or any(f.name == LANG_COLUMN for f in s.output_fields())
        if s.per_language and not seen:
            raise ConfigError(f"stages[{s.index}].per_language: needs the '{LANG_COLUMN}' "
                              "column: list the lid stage before this stage")


def _build_stage(entry: Any, index: int, base_dir: Path | None) -> Stage:
    where = f"stages[{index}]"
    if not isinstance(entry, dict) or "stage" not in entry:
        raise ConfigError(f"{where}: must be a mapping with a 'stage' key")
    name = entry["stage"]
    if not isinstance(name, str) or name not in REGISTRY:
        close = (difflib.get_close_matches(name, list(REGISTRY), n=1)
                 if isinstance(name, str) else [])
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"{where}.stage: unknown stage {_shown(name)} ({hint}"
                          "`winnow stages` lists them all)")
    cls = REGISTRY[name]
    params_raw = {k: v for k, v in entry.items() if k not in ("stage", "per_language")}
    params = _dataclass_from(cls.Params, params_raw, where, base_dir, stage=name)
    if params.mode not in MODES:
        raise ConfigError(f"{where}.mode: must be one of {', '.join(MODES)}")
    stage = cls(params, index)
    try:
        stage.validate()
    except ConfigError as exc:
        raise ConfigError(f"{where}.{_short(str(exc), MESSAGE_CHARS)}") from None
    if entry.get("per_language") is not None:
        stage.per_language = _per_language(cls, entry["per_language"], params_raw, where,
                                           base_dir, index)
    return stage


_LANG_CODE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")


def _per_language(cls: type[Stage], raw: Any, base: dict[str, Any], where: str,
                  base_dir: Path | None, index: int) -> dict[str, Stage]:
    """``per_language``: language code -> the stage with the base params updated by that
    language's, each validated like the base (``winnow.langid.overrides``)."""
    key = f"{where}.per_language"
    if not issubclass(cls, SignalStage):
        raise ConfigError(f"{key}: only signal stages take per-language params")
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: expected a mapping of language code to params")
    out: dict[str, Stage] = {}
    for lang, override in raw.items():
        at = f"{key}.{_short(str(lang))}"
        if not isinstance(lang, str) or not _LANG_CODE.fullmatch(lang):
            raise ConfigError(f"{at}: not a language code (e.g. zh, de, pt_BR)")
        if not isinstance(override, dict):
            raise ConfigError(f"{at}: expected a mapping of params")
        if "mode" in override:
            raise ConfigError(f"{at}.mode: the mode is the stage's, not per language")
        params = _dataclass_from(cls.Params, {**base, **override}, at, base_dir, stage=cls.name)
        stage = cls(params, index)
        try:
            stage.validate()
        except ConfigError as exc:
            raise ConfigError(f"{at}.{_short(str(exc), MESSAGE_CHARS)}") from None
        out[lang] = stage
    return out


def _dataclass_from(
    cls: type, values: Any, where: str, base_dir: Path | None, stage: str | None = None
) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: must be a mapping")
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            what = f"for stage '{stage}'" if stage else f"in '{where}'"
            raise ConfigError(
                f"{where}.{_short(str(key))}: unknown key {what} "
                f"(known: {', '.join(sorted(fields))})"
            )
        rng = fields[key].metadata.get("range", DEFAULT_RANGE)
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}", base_dir, rng)
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING and (
            f.default_factory is dataclasses.MISSING
        ):
            raise ConfigError(f"{where}.{name}: required key missing")
    return cls(**kwargs)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A class's evaluated annotations (once per class: a config may list many stages)."""
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(
    value: Any, tp: Any, key: str, base_dir: Path | None, rng: Range = DEFAULT_RANGE
) -> Any:
    """``value`` as type ``tp``; numbers (also in lists and maps) must lie in ``rng``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, base_dir, rng)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__}")
        return [_coerce(v, args[0], f"{key}[{i}]", base_dir, rng) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__}")
        return {str(k): _coerce(v, args[1], f"{key}.{_short(str(k))}", base_dir, rng)
                for k, v in value.items()}
    if tp in (FilePath, ModelPath):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a file path, got {type(value).__name__}")
        path = resolve_file(value, key, base_dir)
        if tp is ModelPath and "://" not in path:
            check_model(path, key)
        return tp(path)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true/false, got {_shown(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {_shown(value)}")
        return _in_range(value, rng, key)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{key}: expected a finite number, got {_shown(value)}")
        return _in_range(number, rng, key)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {_shown(value)}")
        return value
    if tp is Any:
        return value
    raise ConfigError(f"{key}: unsupported parameter type {_type_name(tp)}")


def _in_range(value: float, rng: Range, key: str) -> Any:
    if value not in rng:
        raise ConfigError(f"{key}: must be {rng}, got {_shown(value)}")
    return value


def check_model(path: str, key: str) -> None:
    """Refuse a local file that does not read as a fastText model (header, then in full)."""
    from winnow.fasttext.model import MAGIC, VERSION, load_model

    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
    magic, version = struct.unpack("<ii", head) if len(head) == 8 else (None, None)
    if magic != MAGIC:
        raise ConfigError(f"{key}: {path} is not a fastText model (a .bin/.ftz model "
                          f"starts with the number {MAGIC})")
    if version > VERSION:
        raise ConfigError(f"{key}: {path} is fastText format version {version}; "
                          f"this reader supports up to {VERSION}")
    try:
        load_model(path)  # cached: the stage's validate() and the driver reuse it
    except (WinnowError, struct.error, ValueError, IndexError, OSError, MemoryError) as exc:
        raise ConfigError(f"{key}: {path} is not a readable fastText model, truncated or "
                          f"corrupt ({_short(str(exc))})") from None


def resolve_file(value: str, key: str, base_dir: Path | None) -> str:
    """Resolve a file parameter; local files must exist, remote URIs are trusted."""
    if "://" in value:
        return value
    if value.startswith(assets.PREFIX):  # a shipped word list, on the asset search path
        return assets.resolve(value[len(assets.PREFIX):], key, _ASSET_DIRS.get())
    candidates = [Path(value)]
    if base_dir is not None and not Path(value).is_absolute():
        # Relative paths: first as given (from the working directory), then beside
        # the config file, then from the project root (for bundled recipes).
        candidates += [base_dir / value, Path(__file__).resolve().parents[2] / value]
    for c in candidates:
        if c.exists():
            return str(c.resolve())
    raise ConfigError(f"{key}: file not found: {_short(value)}")


def check_output_path(output: str) -> None:
    """Refuse a local ``--output`` that is, or lies under, an existing non-directory."""
    if "://" in output:
        return  # object storage: checked by the writer
    path = Path(output)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "is an existing file" if p == path else f"lies under the file {p}"
                raise ConfigError(f"--output {output}: {what}, not a directory")
            return


def stage_params_dict(params: StageParams) -> dict[str, Any]:
    return dataclasses.asdict(params)


#: Spark SQL words that are not columns: keywords, literals, types, interval units.
SQL_WORDS = frozenset("""
    AND OR NOT IS NULL TRUE FALSE IN LIKE ILIKE RLIKE REGEXP BETWEEN CASE WHEN THEN ELSE
    END CAST TRY_CAST AS DISTINCT FROM EXISTS ANY ALL SOME ESCAPE DIV INTERVAL TO FOR BOTH
    LEADING TRAILING PLACING AT TIME ZONE LOCAL UNKNOWN NULLS FIRST LAST ASC DESC OVER
    PARTITION BY ORDER FILTER WITHIN GROUP YEAR YEARS MONTH MONTHS WEEK WEEKS DAY DAYS HOUR
    HOURS MINUTE MINUTES SECOND SECONDS MILLISECOND MILLISECONDS MICROSECOND MICROSECONDS
    DATE TIMESTAMP TIMESTAMP_NTZ TIMESTAMP_LTZ INT INTEGER BIGINT SMALLINT TINYINT LONG
    SHORT BYTE DOUBLE FLOAT REAL DECIMAL DEC NUMERIC STRING VARCHAR CHAR CHARACTER BOOLEAN
    BINARY ARRAY MAP STRUCT VOID CURRENT_DATE CURRENT_TIMESTAMP CURRENT_USER USER
    SESSION_USER
""".split())
_SQL_TOKEN = re.compile(r"""
    (?P<skip>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<string>(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")+)
  | (?P<quoted>`(?:[^`]|``)*`)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\w*)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>->|=>|::|.)
""", re.VERBOSE | re.DOTALL)


def rule_columns(predicate: str) -> list[str]:
    """The column names a Spark SQL predicate reads, best effort: [] when unsure.

    Skipped: string literals, keywords and types, function names (``name(``), typed
    literals (``DATE '…'``), struct fields (``a.b`` reads ``a``), named arguments,
    lambda parameters (``x -> …``) and the type after ``AS`` in ``CAST``.
    """
    tokens = [(m.lastgroup or "", m.group()) for m in _SQL_TOKEN.finditer(predicate)
              if m.lastgroup != "skip"]
    texts = [text.upper() for _, text in tokens]
    if "SELECT" in texts or any(t in ("'", '"', "`") for t in texts):
        return []  # a subquery or an unclosed quote: Spark will say what is wrong
    bound = _lambda_params(tokens)
    found: list[str] = []
    depth = 0
    type_depth: int | None = None  # inside ``AS type``: names are types until ``)``
    for i, (kind, text) in enumerate(tokens):
        if text in ("(", ")"):
            depth += 1 if text == "(" else -1
            if type_depth is not None and depth < type_depth:
                type_depth = None
            continue
        if kind not in ("name", "quoted") or type_depth is not None:
            continue
        if kind == "name" and texts[i] in SQL_WORDS:
            if texts[i] == "AS":
                type_depth = depth
            continue
        prev = tokens[i - 1][1] if i else ""
        nxt_kind, nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if prev in (".", "::") or nxt in ("(", "=>", "->") or (
                kind == "name" and nxt_kind == "string"):
            continue
        name = text[1:-1].replace("``", "`") if kind == "quoted" else text
        if name.lower() not in bound:
            found.append(name)
    return found


def _lambda_params(tokens: list[tuple[str, str]]) -> set[str]:
    """Lower-cased names bound by lambdas: ``x -> …`` and ``(x, y) -> …``."""
    bound: set[str] = set()
    for i, (_, text) in enumerate(tokens):
        if text != "->" or i == 0:
            continue
        j = i - 1
        if tokens[j][1] == ")":
            while j > 0 and tokens[j][1] != "(":
                j -= 1
                if tokens[j][0] == "name":
                    bound.add(tokens[j][1].lower())
        elif tokens[j][0] == "name":
            bound.add(tokens[j][1].lower())
    return bound


def _user_predicates(stage: SignalStage) -> list[tuple[str, str]]:
    """(key, predicate) of the SQL a user wrote in this stage's params."""
    from winnow.stages.python_signals import PythonSignals
    from winnow.stages.sql_rule import SqlRule

    if isinstance(stage, SqlRule):
        return [("where", stage.params.where)]
    if isinstance(stage, PythonSignals):
        return [(f"rules[{j}].where", str(r["where"]))
                for j, r in enumerate(stage.params.rules)]
    return []


def _check_rule_columns(stages: list[Stage], input_format: str = "auto") -> None:
    """Refuse a user SQL rule naming a column absent where it runs: the input columns
    (``DOC_SCHEMA`` and the columns the input format adds — any format's with
    ``auto``), then every column of the stages before it (and of its own fused pass)."""
    from winnow.frame import DOC_SCHEMA
    from winnow.io.reader import REGISTRY as READERS
    from winnow.pipeline import group_stages

    known = {f.name.lower(): f.name for f in DOC_SCHEMA}
    for name, reader in READERS.items():
        if input_format in ("auto", name):
            known.update({f.name.lower(): f.name for f in reader.columns})
    for group in group_stages(stages):
        if isinstance(group, FrameStage):
            known.update({c.lower(): c for c in group.output_columns()})
            continue
        for s in group:
            known.update({f.name.lower(): f.name for f in s.output_fields()})
        for s in group:
            for key, predicate in _user_predicates(s):
                for name in rule_columns(predicate):
                    if name.lower() not in known:
                        raise ConfigError(_unknown_column(f"stages[{s.index}].{key}", name,
                                                          sorted(known.values())))


def _unknown_column(key: str, name: str, known: list[str], listed: int = 40) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    more = f", … {len(known) - listed} more" if len(known) > listed else ""
    return (f"{key}: unknown column {_shown(name)}{hint} "
            f"(known: {', '.join(known[:listed])}{more})")

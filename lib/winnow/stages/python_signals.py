"""``python_signals``: signals from a user's Python function, decided by SQL rules.

``function: "my_pkg.signals:toxicity"`` names a function taking the batch's texts
(``list[str]``) and returning ``{column: list of one value per text}``. It must be
importable where Spark runs Python (installed, or shipped like winnow itself with
``--py-files``/``SparkContext.addPyFile``). Column types come from ``columns``
(``double``, ``long``, ``boolean``, ``string``) or, when that is empty, from one
call on two probe texts on the driver. ``rules`` are ``{name, where}`` SQL
predicates over any columns; reasons are ``<family>:<name>`` (family defaults to
``python``). Listed several times, each instance is ``python_signals[<function>]``
in the stats. Load heavy state (models) once per process inside the function's
module, not per call.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from winnow.errors import ConfigError
from winnow.stage import Rule, SignalStage, StageParams, TextBatch, register

TYPES = {"double": pa.float64(), "float": pa.float64(), "long": pa.int64(),
         "int": pa.int64(), "bigint": pa.int64(), "boolean": pa.bool_(), "bool": pa.bool_(),
         "string": pa.string()}
PROBE_TEXTS = ["", "A short probe text.\nIt has two lines."]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def resolve(path: str) -> Callable[[list[str]], dict[str, list[Any]]]:
    """Import ``module:function`` (or ``module.function``)."""
    module, sep, attr = path.partition(":")
    if not sep:
        module, _, attr = path.rpartition(".")
    if not module or not attr:
        raise ConfigError(f"function: expected 'module:function', got {path!r}")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"function: cannot import {path!r}: {exc}") from None
    if not callable(fn):
        raise ConfigError(f"function: {path!r} is not callable")
    return fn


@dataclass
class PythonSignalsParams(StageParams):
    function: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    rules: list[dict[str, str]] = field(default_factory=list)
    family: str = "python"


@register
class PythonSignals(SignalStage):
    """Run a user function over each Arrow batch's texts; decide with SQL rules."""

    name = "python_signals"
    repeatable = True
    Params = PythonSignalsParams
    params: PythonSignalsParams

    def __init__(self, params: PythonSignalsParams, index: int = 0):
        super().__init__(params, index)
        self._fields: list[pa.Field] | None = None

    def instance_name(self) -> str:
        return f"{type(self).name}[{self.params.function}]"  # one stats row per function

    def reason(self, rule: str) -> str:
        return f"{self.params.family}:{rule}"

    def validate(self) -> None:
        p = self.params
        resolve(p.function)
        for col, tp in p.columns.items():
            if tp not in TYPES:
                raise ConfigError(f"columns.{col}: unknown type {tp!r} (known: "
                                  f"{', '.join(sorted(TYPES))})")
        for i, rule in enumerate(p.rules):
            if set(rule) != {"name", "where"} or not _NAME.fullmatch(str(rule["name"])):
                raise ConfigError(f"rules[{i}]: expected {{name, where}} with a plain name")
        self.output_fields()

    def output_fields(self) -> list[pa.Field]:
        if self._fields is None:
            if self.params.columns:
                self._fields = [pa.field(c, TYPES[t]) for c, t in self.params.columns.items()]
            else:
                self._fields = self._probe()
        return self._fields

    def _probe(self) -> list[pa.Field]:
        """Column types from one call of the function on the driver."""
        found = resolve(self.params.function)(list(PROBE_TEXTS))
        if not isinstance(found, dict) or not found:
            raise ConfigError("function: must return a non-empty {column: values} mapping")
        fields = []
        for col, values in found.items():
            arrow_type = pa.array(list(values)).type
            if pa.types.is_null(arrow_type):
                raise ConfigError(f"columns.{col}: cannot infer its type from the probe; "
                                  "declare it under columns")
            if pa.types.is_integer(arrow_type):
                arrow_type = pa.int64()
            elif pa.types.is_floating(arrow_type):
                arrow_type = pa.float64()
            fields.append(pa.field(col, arrow_type))
        return fields

    def setup(self) -> None:
        self._fn = resolve(self.params.function)

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        found = self._fn(batch.texts)
        for f in self.output_fields():
            values = found.get(f.name) if isinstance(found, dict) else None
            if values is None or len(values) != len(batch):
                raise ValueError(f"{self.params.function}: must return column {f.name!r} "
                                 f"with {len(batch)} values")
        return {f.name: found[f.name] for f in self.output_fields()}

    def rules(self) -> list[Rule]:
        return [Rule(str(r["name"]), f"({r['where']})") for r in self.params.rules]

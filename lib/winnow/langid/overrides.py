"""``per_language`` parameters: any signal stage's params, overridden per language.

A stage entry may carry ``per_language: {<lang>: {<param>: <value>, …}}``;
``winnow.config`` builds, for each language, an instance of the stage with the base
params updated by that language's (validated like the base). ``SignalStage`` wraps
every subclass's ``rules``, ``compute`` and ``input_columns`` with the functions
here, so an override takes effect per document by its ``lang`` column:

* thresholds: each rule whose predicate differs for some language becomes
  ``CASE WHEN lang = 'zh' THEN (<zh predicate>) … ELSE (<base predicate>) END``
  (a rule a language switches off is ``false`` there), decided in Spark SQL as
  before — no per-row Python;
* signals: where an override changes a parameter ``compute`` reads (the stage's
  ``compute_params``, e.g. ``stop_words``), ``compute`` runs once more per such
  language on the sub-batch of its documents (their tokens are a slice of the
  batch's, not recomputed) and those rows' values replace the base values.

Documents whose ``lang`` is null or has no override get the base params.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from winnow.stage import Rule, SignalStage, TextBatch


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def merge_rules(base: list[Rule], per: dict[str, list[Rule]], column: str) -> list[Rule]:
    """One rule list from the base rules and each language's (see the module docstring).

    Rule order: the base's, then rules only some languages switch on, in their order.
    """
    from winnow.stage import Rule

    names = list(dict.fromkeys([r.name for r in base]
                               + [r.name for rules in per.values() for r in rules]))
    base_by = {r.name: r.predicate for r in base}
    out = []
    for name in names:
        default = base_by.get(name)
        whens = []
        for lang, rules in per.items():
            pred = next((r.predicate for r in rules if r.name == name), None)
            if pred != default:
                whens.append(f"WHEN {column} = {_sql_string(lang)} THEN "
                             f"({pred if pred is not None else 'false'})")
        if not whens:
            out.append(Rule(name, default))  # type: ignore[arg-type]
            continue
        out.append(Rule(name, f"CASE {' '.join(whens)} ELSE "
                              f"({default if default is not None else 'false'}) END"))
    return out


def wrap_rules(fn: Callable[[SignalStage], list[Rule]]) -> Callable:
    @functools.wraps(fn)
    def rules(self: SignalStage) -> list[Rule]:
        from winnow.stage import LANG_COLUMN

        base = fn(self)
        if not self.per_language:
            return base
        return merge_rules(base, {lang: fn(st) for lang, st in self.per_language.items()},
                           LANG_COLUMN)

    rules.per_language_aware = True  # type: ignore[attr-defined]
    return rules


def wrap_input_columns(fn: Callable[[SignalStage], list[str]]) -> Callable:
    @functools.wraps(fn)
    def input_columns(self: SignalStage) -> list[str]:
        from winnow.stage import LANG_COLUMN

        cols = list(fn(self))
        return cols if LANG_COLUMN in cols else [*cols, LANG_COLUMN]

    input_columns.per_language_aware = True  # type: ignore[attr-defined]
    return input_columns


def compute_languages(stage: SignalStage) -> list[str]:
    """Languages whose override changes a parameter ``compute`` reads."""
    cached = stage.__dict__.get("_compute_languages")
    if cached is not None:
        return cached
    names = stage.compute_params
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(stage.params) if f.name != "mode")
    found = [lang for lang, st in stage.per_language.items()
             if any(getattr(st.params, n) != getattr(stage.params, n) for n in names)]
    stage.__dict__["_compute_languages"] = found
    return found


def language_rows(batch: TextBatch, langs: list[str]) -> dict[str, np.ndarray]:
    """Positions of each language's documents in ``batch`` (languages with none left out)."""
    from winnow.stage import LANG_COLUMN

    col = batch.columns.get(LANG_COLUMN)
    if col is None:
        return {}
    arr = col if isinstance(col, pa.Array | pa.ChunkedArray) else pa.array(col, pa.string())
    out = {}
    for lang in langs:
        mask = pc.fill_null(pc.equal(arr, pa.scalar(lang, pa.string())), False)
        rows = np.flatnonzero(np.asarray(mask))
        if len(rows):
            out[lang] = rows
    return out


def wrap_compute(fn: Callable[[SignalStage, TextBatch], dict[str, Any]]) -> Callable:
    @functools.wraps(fn)
    def compute(self: SignalStage, batch: TextBatch) -> dict[str, Any]:
        if not self.per_language:
            return fn(self, batch)
        groups = language_rows(batch, compute_languages(self))
        if not groups:
            return fn(self, batch)
        subs = {lang: batch.subset(rows) for lang, rows in groups.items()}  # before rewrites
        values = fn(self, batch)
        found = {}
        for lang, sub in subs.items():
            st = self.per_language[lang]
            if not st.__dict__.get("_language_set_up"):
                st.setup()  # once per task, like the base instance (heavy objects are cached)
                st.__dict__["_language_set_up"] = True
            found[lang] = fn(st, sub)
        n = len(batch)
        positions = np.arange(n, dtype=np.int64)
        offset = n
        for rows in groups.values():
            positions[rows] = offset + np.arange(len(rows), dtype=np.int64)
            offset += len(rows)
        take = pa.array(positions)
        types = {f.name: f.type for f in self.output_fields()}
        out = dict(values)
        for name, typ in types.items():
            parts = [_as_array(values[name], typ)] + [_as_array(found[lang][name], typ)
                                                      for lang in groups]
            out[name] = pa.concat_arrays(parts).take(take)
        if self.modifies_text():
            texts = list(batch.texts)
            for lang, rows in groups.items():
                for i, t in zip(rows.tolist(), subs[lang].texts, strict=True):
                    texts[i] = t
            batch.replace_texts(texts)
        return out

    compute.per_language_aware = True  # type: ignore[attr-defined]
    return compute


def _as_array(values: Any, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return pa.concat_arrays(values.chunks) if values.num_chunks else pa.array([], typ)
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, typ)

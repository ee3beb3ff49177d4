"""``gopher_quality``: Gopher's quality filter (Rae et al. 2021, Appendix A.1.1).

Signals ``gopher_*`` from ``winnow.text.gopher_quality.quality_signals``. Rules, in
datatrove's order, with the published bounds (a null bound switches its rule off):

* ``too_few_words`` / ``too_many_words``: words outside 50 … 100,000;
* ``short_words`` / ``long_words``: mean word length outside 3 … 10;
* ``hash_ratio`` / ``ellipsis_ratio``: ``#`` or ``...``/``…`` per word above 0.1;
* ``bullet_lines``: more than 90 % of lines start with a bullet;
* ``ellipsis_lines``: more than 30 % of lines end with an ellipsis;
* ``alpha_words``: fewer than 80 % of words have an alphabetic character;
* ``stop_words``: fewer than 2 of the, be, to, of, and, that, have, with.

Words are the tokens of ``TextBatch.tokens``: Chinese, Japanese and Thai are
segmented (``winnow.text.segment``), so word counts and lengths mean words there
too. Other languages' stop words (and bounds) are ``per_language`` params, e.g.
``per_language: {de: {stop_words: [der, die, und, das, ist]}}`` (see
``conf/recipes/fineweb2_style.yaml`` and docs/multilingual.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from winnow.errors import ConfigError
from winnow.stage import (
    FRACTION,
    Rule,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    register,
    threshold_rules,
)
from winnow.text.gopher_quality import BULLETS, STOP_WORDS, quality_signals

_FLOATS = ("mean_word_length", "hash_ratio", "ellipsis_ratio", "bullet_lines_ratio",
           "ellipsis_lines_ratio", "alpha_words_ratio")
_INTS = ("word_count", "stop_words")


@dataclass
class GopherQualityParams(StageParams):
    min_words: int | None = 50
    max_words: int | None = 100_000
    min_mean_word_length: float | None = 3.0
    max_mean_word_length: float | None = 10.0
    max_symbol_word_ratio: float | None = 0.1  # per word: may exceed 1
    max_bullet_lines: float | None = bounded(FRACTION, 0.9)
    max_ellipsis_lines: float | None = bounded(FRACTION, 0.3)
    min_alpha_words: float | None = bounded(FRACTION, 0.8)
    min_stop_words: int | None = 2
    stop_words: list[str] = field(default_factory=lambda: list(STOP_WORDS))
    bullets: list[str] = field(default_factory=lambda: list(BULLETS))


@register
class GopherQuality(SignalStage):
    """Word-count, word-length, symbol, bullet, ellipsis, alphabetic and stop-word rules."""

    name = "gopher_quality"
    Params = GopherQualityParams
    params: GopherQualityParams
    #: Per-language ``stop_words``/``bullets`` recompute the signals for that language;
    #: per-language bounds only change the SQL rules (``winnow.langid.overrides``).
    compute_params = ("stop_words", "bullets")

    def validate(self) -> None:
        p = self.params
        if any(len(b) != 1 for b in p.bullets):
            raise ConfigError("bullets: each bullet must be a single character")
        for low, high in (("min_words", "max_words"),
                          ("min_mean_word_length", "max_mean_word_length")):
            lo, hi = getattr(p, low), getattr(p, high)
            if lo is not None and hi is not None and hi < lo:
                raise ConfigError(f"{high}: must be >= {low} ({lo!r}), got {hi!r}")

    def output_fields(self) -> list[pa.Field]:
        return ([pa.field(f"gopher_{n}", pa.int64()) for n in _INTS]
                + [pa.field(f"gopher_{n}", pa.float64()) for n in _FLOATS])

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        found = quality_signals(batch.texts, batch.tokens, self.params.stop_words,
                                self.params.bullets)
        return {f"gopher_{k}": v for k, v in found.items()}

    def rules(self) -> list[Rule]:
        return threshold_rules(self.params, [
            ("too_few_words", "gopher_word_count", "<", "min_words"),
            ("too_many_words", "gopher_word_count", ">", "max_words"),
            ("short_words", "gopher_mean_word_length", "<", "min_mean_word_length"),
            ("long_words", "gopher_mean_word_length", ">", "max_mean_word_length"),
            ("hash_ratio", "gopher_hash_ratio", ">", "max_symbol_word_ratio"),
            ("ellipsis_ratio", "gopher_ellipsis_ratio", ">", "max_symbol_word_ratio"),
            ("bullet_lines", "gopher_bullet_lines_ratio", ">", "max_bullet_lines"),
            ("ellipsis_lines", "gopher_ellipsis_lines_ratio", ">", "max_ellipsis_lines"),
            ("alpha_words", "gopher_alpha_words_ratio", "<", "min_alpha_words"),
            ("stop_words", "gopher_stop_words", "<", "min_stop_words"),
        ])

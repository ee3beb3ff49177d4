"""``length``: document length in characters and words, with bounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from winnow.errors import ConfigError
from winnow.stage import Rule, SignalStage, StageParams, TextBatch, register, threshold_rules


@dataclass
class LengthParams(StageParams):
    min_words: int = 0
    max_words: int = 0  # 0: no upper bound
    min_chars: int = 0
    max_chars: int = 0  # 0: no upper bound


@register
class Length(SignalStage):
    """Signals ``char_count`` and ``word_count`` (whitespace-separated tokens)."""

    name = "length"
    Params = LengthParams
    params: LengthParams

    def validate(self) -> None:
        p = self.params
        if p.max_words and p.max_words < p.min_words:
            raise ConfigError("max_words: must be >= min_words (or 0 for no bound)")
        if p.max_chars and p.max_chars < p.min_chars:
            raise ConfigError("max_chars: must be >= min_chars (or 0 for no bound)")

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("char_count", pa.int64()), pa.field("word_count", pa.int64())]

    def compute(self, batch: TextBatch) -> dict[str, list[Any]]:
        return {
            "char_count": [len(t) for t in batch.texts],
            "word_count": [len(w) for w in batch.words],
        }

    def rules(self) -> list[Rule]:
        return threshold_rules(self.params, [
            ("too_short", "word_count", "<", "min_words"),
            ("too_few_chars", "char_count", "<", "min_chars"),
            ("too_long", "word_count", ">", "max_words"),
            ("too_many_chars", "char_count", ">", "max_chars"),
        ], zero_off=True)

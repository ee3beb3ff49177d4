"""``fineweb``: FineWeb's quality rules (Penedo et al. 2024, §3.3), see
``winnow.text.fineweb``.

Reasons, in datatrove's order, with the published defaults: ``line_punct_ratio``
(fraction of lines ending in punctuation below 0.12), ``short_line_ratio`` (lines of
at most 30 characters above 0.67), ``char_dup_ratio`` (characters in duplicated
lines above 0.01), ``newline_ratio`` (newlines per word above 0.3; datatrove's
``list_ratio``). A null bound switches its rule off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

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
from winnow.text.fineweb import SHORT_LINE_CHARS, signals

_SIGNALS = ("line_punct_ratio", "short_line_ratio", "char_dup_ratio", "newline_ratio")


@dataclass
class FineWebParams(StageParams):
    min_line_punct_ratio: float | None = bounded(FRACTION, 0.12)
    max_short_line_ratio: float | None = bounded(FRACTION, 0.67)
    short_line_chars: int = SHORT_LINE_CHARS
    max_char_dup_ratio: float | None = bounded(FRACTION, 0.01)
    max_newline_ratio: float | None = 0.3  # newlines per word: may exceed 1


@register
class FineWeb(SignalStage):
    """Line punctuation, short lines, duplicated-line characters, newlines per word."""

    name = "fineweb"
    Params = FineWebParams
    params: FineWebParams

    def output_fields(self) -> list[pa.Field]:
        return [pa.field(f"fineweb_{n}", pa.float64()) for n in _SIGNALS]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        found = signals(batch.texts, batch.tokens, batch.lines, self.params.short_line_chars)
        return {f"fineweb_{k}": v for k, v in found.items()}

    def rules(self) -> list[Rule]:
        return threshold_rules(self.params, [
            ("line_punct_ratio", "fineweb_line_punct_ratio", "<", "min_line_punct_ratio"),
            ("short_line_ratio", "fineweb_short_line_ratio", ">", "max_short_line_ratio"),
            ("char_dup_ratio", "fineweb_char_dup_ratio", ">", "max_char_dup_ratio"),
            ("newline_ratio", "fineweb_newline_ratio", ">", "max_newline_ratio"),
        ])

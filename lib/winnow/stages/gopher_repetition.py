"""``gopher_repetition``: Gopher's repetition filter (Rae et al. 2021, Table A1).

Signals ``gopher_dup_*``/``gopher_top_*`` from
``winnow.text.gopher_repetition.repetition_signals``. A document is removed when a fraction
exceeds its bound, checked in datatrove's order: duplicate paragraphs (0.3), their
characters (0.2), duplicate lines (0.3), their characters (0.2), then the top
2/3/4-gram character fractions (0.20/0.18/0.16) and the duplicate 5…10-gram
character fractions (0.15 … 0.10). Reasons: ``dup_para_frac``,
``dup_para_char_frac``, ``dup_line_frac``, ``dup_line_char_frac``, ``top_{n}gram``,
``dup_{n}gram``. A null bound switches its rule off; the n-gram maps choose which
n are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from winnow.text.gopher_repetition import repetition_signals

_FRACTIONS = ("dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac")


@dataclass
class GopherRepetitionParams(StageParams):
    max_dup_para_frac: float | None = bounded(FRACTION, 0.3)
    max_dup_para_char_frac: float | None = bounded(FRACTION, 0.2)
    max_dup_line_frac: float | None = bounded(FRACTION, 0.3)
    max_dup_line_char_frac: float | None = bounded(FRACTION, 0.2)
    top_ngram_char_frac: dict[str, float] = bounded(
        FRACTION, factory=lambda: {"2": 0.20, "3": 0.18, "4": 0.16})
    dup_ngram_char_frac: dict[str, float] = bounded(
        FRACTION, factory=lambda: {"5": 0.15, "6": 0.14, "7": 0.13, "8": 0.12, "9": 0.11,
                                   "10": 0.10})


@register
class GopherRepetition(SignalStage):
    """Duplicate lines/paragraphs and repeated word n-grams, as fractions of the text."""

    name = "gopher_repetition"
    Params = GopherRepetitionParams
    params: GopherRepetitionParams

    def validate(self) -> None:
        for key, sizes in (("top_ngram_char_frac", self.params.top_ngram_char_frac),
                           ("dup_ngram_char_frac", self.params.dup_ngram_char_frac)):
            for n in sizes:
                if not n.isdigit() or not 2 <= int(n) <= 50:
                    raise ConfigError(f"{key}.{n}: n-gram size must be an integer in 2..50")

    def _sizes(self) -> tuple[list[int], list[int]]:
        return ([int(n) for n in self.params.top_ngram_char_frac],
                [int(n) for n in self.params.dup_ngram_char_frac])

    def output_fields(self) -> list[pa.Field]:
        top, dup = self._sizes()
        names = (list(_FRACTIONS) + [f"top_{n}gram_char_frac" for n in top]
                 + [f"dup_{n}gram_char_frac" for n in dup])
        return [pa.field(f"gopher_{n}", pa.float64()) for n in names]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        top, dup = self._sizes()
        found = repetition_signals(batch.texts, batch.tokens, top, dup)
        return {f"gopher_{k}": v for k, v in found.items()}

    def rules(self) -> list[Rule]:
        p = self.params
        rules = threshold_rules(p, [(name, f"gopher_{name}", ">", f"max_{name}")
                                    for name in _FRACTIONS])
        rules += [Rule(f"top_{n}gram", f"gopher_top_{n}gram_char_frac > {float(b)!r}")
                  for n, b in p.top_ngram_char_frac.items()]
        rules += [Rule(f"dup_{n}gram", f"gopher_dup_{n}gram_char_frac > {float(b)!r}")
                  for n, b in p.dup_ngram_char_frac.items()]
        return rules

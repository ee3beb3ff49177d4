"""``pii``: emails, public IPs, phone numbers, cards, IBANs and secrets (``winnow.text.pii``).

Signals ``pii_<kind>`` (matches per document, for the configured kinds) and
``pii_modified``. ``action: redact`` replaces each match by a typed placeholder
(``<EMAIL>`` …) and keeps the document; ``drop`` rejects it with ``pii:<kind>`` (the
first configured kind found); ``annotate`` only counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from winnow.errors import ConfigError
from winnow.stage import Rule, SignalStage, StageParams, TextBatch, register
from winnow.text.pii import KINDS, find_batch, redact

ACTIONS = ("redact", "drop", "annotate")


@dataclass
class PiiParams(StageParams):
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    action: str = "redact"


@register
class Pii(SignalStage):
    """Find personal data and secrets; redact, drop or annotate."""

    name = "pii"
    Params = PiiParams

    def validate(self) -> None:
        p = self.params
        if p.action not in ACTIONS:
            raise ConfigError(f"action: must be one of {', '.join(ACTIONS)}, got {p.action!r}")
        unknown = [k for k in p.kinds if k not in KINDS]
        if unknown or not p.kinds:
            raise ConfigError(f"kinds: each must be one of {', '.join(KINDS)}"
                              + (f", got {unknown[0]!r}" if unknown else ""))
        if len(set(p.kinds)) != len(p.kinds):
            raise ConfigError("kinds: listed twice")

    def output_fields(self) -> list[pa.Field]:
        return ([pa.field(f"pii_{k}", pa.int32()) for k in self.params.kinds]
                + [pa.field("pii_modified", pa.bool_())])

    def modifies_text(self) -> bool:
        return self.params.action == "redact"

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        kinds = tuple(self.params.kinds)
        col = {k: i for i, k in enumerate(kinds)}
        counts = np.zeros((len(kinds), len(batch)), np.int32)
        texts = batch.texts
        new = list(texts) if self.params.action == "redact" else None
        modified = np.zeros(len(batch), bool)
        for d, spans in enumerate(find_batch(texts, kinds)):
            if not spans:
                continue
            t = texts[d]
            for _, _, kind in spans:
                counts[col[kind], d] += 1
            if new is not None:
                new[d] = redact(t, spans)
                modified[d] = True
        if new is not None:
            batch.replace_texts(new)
        out: dict[str, Any] = {f"pii_{k}": pa.array(counts[i]) for i, k in enumerate(kinds)}
        out["pii_modified"] = pa.array(modified)
        return out

    def rules(self) -> list[Rule]:
        if self.params.action != "drop":
            return []
        return [Rule(k, f"pii_{k} > 0") for k in self.params.kinds]

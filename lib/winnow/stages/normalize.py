"""``normalize``: Unicode NFC and whitespace normalisation of the text."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from winnow.stage import SignalStage, TextBatch, register
from winnow.text.normalize import normalize_text


@register
class Normalize(SignalStage):
    """Rewrites the text to its canonical form; records whether it changed."""

    name = "normalize"

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("normalize_modified", pa.bool_())]

    def modifies_text(self) -> bool:
        return True

    def compute(self, batch: TextBatch) -> dict[str, list[Any]]:
        old = batch.texts
        new = [normalize_text(t) for t in old]
        batch.replace_texts(new)
        return {"normalize_modified": [a != b for a, b in zip(old, new, strict=True)]}

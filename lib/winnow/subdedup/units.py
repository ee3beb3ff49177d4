"""Lines and paragraphs of a text, and the normalised 64-bit hash that groups copies.

A *line* ends at ``\\n``; a *paragraph* ends at a blank line (``\\n``, optional
spaces, ``\\n``). Each unit is ``(start, end, cut_end)``: its content is
``text[start:end]`` and cutting it removes ``text[start:cut_end]`` (the content and
the separator after it), so the units of a text tile it.

The hash follows CCNet's ``normalize_for_dedup`` (Wenzek et al. 2020): lower case,
digits as ``0``, punctuation and symbols removed, white space collapsed; then the
first 8 bytes of BLAKE2b, a stable hash (Python's ``hash`` differs per process).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

UNITS = ("line", "paragraph")

_SEPARATORS = {
    "line": re.compile(r"\n"),
    "paragraph": re.compile(r"\n[ \t\r\f\v]*\n\s*"),
}
_PUNCT = re.compile(r"[^\w\s]|_")
_DIGIT = re.compile(r"\d")
_SPACE = re.compile(r"\s+")


def split(text: str, unit: str) -> Iterator[tuple[int, int, int]]:
    """``(start, end, cut_end)`` of every unit of ``text``, in order."""
    pos = 0
    for m in _SEPARATORS[unit].finditer(text):
        yield pos, m.start(), m.end()
        pos = m.end()
    yield pos, len(text), len(text)


def normalise(unit_text: str) -> str:
    """CCNet's dedup normalisation (see the module docstring)."""
    s = _PUNCT.sub("", unit_text.lower())
    return _SPACE.sub(" ", _DIGIT.sub("0", s)).strip()


def unit_hash(unit_text: str) -> int:
    """Signed 64-bit hash of the normalised unit (a Spark ``long``)."""
    digest = hashlib.blake2b(normalise(unit_text).encode("utf-8", "surrogatepass"),
                             digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def unit_rows(text: str, unit: str, min_chars: int) -> Iterator[tuple[int, int, int, bool]]:
    """``(hash, start, cut_end, first_in_doc)`` of every unit with ≥ ``min_chars`` characters
    (stripped); ``first_in_doc`` is false for a later copy of a unit in the same text."""
    seen: set[int] = set()
    for start, end, cut_end in split(text, unit):
        content = text[start:end]
        if len(content.strip()) < min_chars:
            continue
        h = unit_hash(content)
        yield h, start, cut_end, h not in seen
        seen.add(h)

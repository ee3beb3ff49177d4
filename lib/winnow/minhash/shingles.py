"""What "similar" means: normalised text cut into word or character n-gram shingles.

Normalisation (Unicode-aware, per code point): letters, combining marks and numbers
are token characters; every other run (punctuation, symbols, whitespace) becomes
one space. Token characters are lowercased and decimal digits of any script fold
to ``0``, so "Page 12" and "page 37" shingle alike. This module is the readable
definition; ``signatures`` compiles the same mapping (from ``fold_table``) into
its kernel, and tests check that both agree.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

#: Shingle units: word n-grams (default) or character n-grams for scripts
#: written without spaces (zh, ja, th).
UNITS = ("word", "char")

#: Code points from here on are looked up by rule, not by table: CJK extension
#: planes 2–3 are all ideographs (letters); planes 4–16 hold no letters in use
#: (unassigned, tags, variation selectors, private use) and act as separators.
_TABLE_END = 0x20000
_IDEOGRAPH_PLANES_END = 0x40000


def fold_char(ch: str) -> str:
    """The normalised form of one character: '' for a separator, else one character."""
    cp = ord(ch)
    if cp >= _TABLE_END:
        return ch if cp < _IDEOGRAPH_PLANES_END else ""
    category = unicodedata.category(ch)
    if category[0] not in "LMN":
        return ""
    if category == "Nd":
        return "0"
    return ch.lower()[0]


def normalize_for_shingles(text: str) -> str:
    """Lowercase, punctuation stripped, digits folded, whitespace collapsed to one space."""
    out: list[str] = []
    gap = False
    for ch in text:
        folded = fold_char(ch)
        if folded:
            if gap and out:
                out.append(" ")
            out.append(folded)
            gap = False
        else:
            gap = True
    return "".join(out)


def shingles(text: str, ngram: int = 5, unit: str = "word") -> list[str]:
    """The shingles of ``text`` in order (with repeats); empty if it is shorter than one.

    Word shingles are ``ngram`` consecutive tokens joined by one space; character
    shingles are ``ngram`` consecutive non-space characters.
    """
    norm = normalize_for_shingles(text)
    if unit == "word":
        tokens = norm.split(" ") if norm else []
        return [" ".join(tokens[i:i + ngram]) for i in range(len(tokens) - ngram + 1)]
    if unit == "char":
        chars = norm.replace(" ", "")
        return [chars[i:i + ngram] for i in range(len(chars) - ngram + 1)]
    raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")


@lru_cache(maxsize=1)
def fold_table() -> np.ndarray:
    """``fold_char`` for every code point below ``_TABLE_END`` (-1: separator).

    Built once per Python worker (about 0.4 s); the kernel applies the plane rule
    of ``fold_char`` beyond the table.
    """
    table = np.full(_TABLE_END, -1, dtype=np.int32)
    for cp in range(_TABLE_END):
        folded = fold_char(chr(cp))
        if folded:
            table[cp] = ord(folded)
    return table


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)

"""FineWeb's own quality signals (Penedo et al. 2024, "The FineWeb Datasets", §3.3).

The paper derives three rules from what separates good from bad C4/RefinedWeb
data, plus the list-like "newlines per word" rule of datatrove's FineWeb filter:

* fraction of lines ending in punctuation (kept if ≥ 0.12),
* fraction of characters in duplicated lines (kept if ≤ 0.01, the default of the
  datatrove filter that made FineWeb),
* fraction of lines shorter than 30 characters (kept if ≤ 0.67),
* newlines per word (kept if ≤ 0.3).

Lines are the non-blank lines between ``\\n``; "punctuation" is a Unicode
Sentence_Terminal character as the line's last character (datatrove's
TERMINAL_PUNCTUATION). Fractions are 0 for a document without a non-blank line.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from winnow.text.chars import TERM, char_table
from winnow.text.words import Tokens, tokenize

SHORT_LINE_CHARS = 30


@cache
def terminal_chars() -> frozenset[str]:
    """Unicode Sentence_Terminal characters (what counts as line-ending punctuation)."""
    table = char_table()
    return frozenset(chr(c) for c in np.flatnonzero(table & TERM))


def signals(
    texts: list[str],
    tokens: Tokens | None = None,
    lines: list[list[str]] | None = None,
    short_line_chars: int = SHORT_LINE_CHARS,
) -> dict[str, np.ndarray]:
    """Per-document ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``
    (characters of non-blank lines repeating an earlier line, over the characters
    that are not newlines) and ``newline_ratio`` (newlines per word token)."""
    tokens = tokens if tokens is not None else tokenize(texts)
    lines = lines if lines is not None else [t.split("\n") for t in texts]
    terminal = terminal_chars()
    n = len(texts)
    punct = np.zeros(n, dtype=np.float64)
    short = np.zeros(n, dtype=np.float64)
    dup = np.zeros(n, dtype=np.float64)
    newline = np.zeros(n, dtype=np.float64)
    words = tokens.counts()
    for d, (text, doc_lines) in enumerate(zip(texts, lines, strict=True)):
        kept = [line for line in doc_lines if line and not line.isspace()]
        newlines = len(doc_lines) - 1
        if words[d]:
            newline[d] = newlines / words[d]
        if not kept:
            continue
        punct[d] = sum(line[-1] in terminal for line in kept) / len(kept)
        short[d] = sum(len(line) <= short_line_chars for line in kept) / len(kept)
        unique = set(kept)
        if len(unique) < len(kept):
            dup_chars = sum(map(len, kept)) - sum(map(len, unique))
            dup[d] = dup_chars / max(len(text) - newlines, 1)
    return {"line_punct_ratio": punct, "short_line_ratio": short, "char_dup_ratio": dup,
            "newline_ratio": newline}

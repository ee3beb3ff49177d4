"""Text normalisation: Unicode NFC and whitespace, without changing the words.

Applied once at the start of a pipeline so that every later signal, hash and
shingle sees the same canonical text.
"""

from __future__ import annotations

import re
import unicodedata

# Horizontal whitespace (Unicode \s without the newline): a run of two or more, or
# one character that is not a plain space (tab, NBSP, U+2000..U+200A, U+3000 …).
# Matching only what changes keeps the common case (single spaces) free.
_HSPACE = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_LINE_EDGE_SPACE = re.compile(r" ?\n ?")
_BLANK_RUN = re.compile(r"\n{3,}")
# Zero-width space and byte-order mark: not \s in Python, but invisible separators.
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")


def normalize_text(text: str) -> str:
    """NFC; unify line breaks; collapse horizontal spaces; trim lines and the document.

    Paragraph breaks (one blank line) survive; runs of blank lines shrink to one.
    """
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
        text = _ZERO_WIDTH.sub(" ", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HSPACE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGE_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip("\n ")

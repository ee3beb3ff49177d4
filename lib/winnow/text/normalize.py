"""Text normalisation: Unicode NFC and whitespace, without changing the words.

Applied once at the start of a pipeline so that every later signal, hash and
shingle sees the same canonical text.
"""

from __future__ import annotations

import re
import unicodedata

# Horizontal whitespace other than a plain space: tabs, NBSP, the Unicode spaces
# (U+2000..U+200A), narrow/medium/ideographic spaces, and zero-width characters.
_HSPACE = re.compile(r"[\t\x0b\x0c\xa0\u1680\u2000-\u200a\u202f\u205f\u3000\u200b\ufeff ]+")
_BLANK_RUN = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC; unify line breaks; collapse horizontal spaces; trim lines and the document.

    Paragraph breaks (one blank line) survive; runs of blank lines shrink to one.
    """
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n")
    text = _HSPACE.sub(" ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip("\n ")

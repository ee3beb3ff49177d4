"""Unicode character classes as lookup tables, so numba kernels can scan code points.

Every heuristic works on a document as an array of code points (``codepoints``)
and asks: is this a word character (Unicode's ``\\w``: letters, combining marks,
decimal digits, connector punctuation, joiners — so Tamil or Devanagari words
with vowel signs stay whole), a letter (``str.isalpha``), a decimal digit
(``\\d``), white space (``str.isspace``, what ``str.split`` uses)? The tables are
built once per process from the ``regex`` module and ``str`` methods. Beyond
U+3FFFF only private-use, tag and unassigned code points exist, for which every
answer is "no".
"""

from __future__ import annotations

from functools import cache

import numpy as np
import regex

WORD = np.uint8(1)  # Unicode \w (regex module)
ALPHA = np.uint8(2)  # str.isalpha
DIGIT = np.uint8(4)  # Unicode \d (decimal digits)
SPACE = np.uint8(8)  # str.isspace (what str.split and str.strip use)
#: Punctuation and symbols that do not make a word: Unicode P*, Sm, Sc, Sk and
#: control characters (all ASCII punctuation, as in datatrove's PUNCTUATION set).
PUNCT = np.uint8(16)
#: Unicode Sentence_Terminal (``. ! ?`` and their counterparts in other scripts);
#: the set datatrove's TERMINAL_PUNCTUATION and spaCy's sentencizer list.
TERM = np.uint8(32)

LIMIT = 0x40000


@cache
def char_table() -> np.ndarray:
    """Flags (``WORD | ALPHA | …``) for code points below ``LIMIT``."""
    chars = "".join(map(chr, range(LIMIT)))
    table = np.zeros(LIMIT, dtype=np.uint8)
    for flag, test in ((ALPHA, str.isalpha), (SPACE, str.isspace)):
        table[np.fromiter(map(test, chars), dtype=bool, count=LIMIT)] |= flag
    for flag, pattern in ((WORD, r"\w"), (DIGIT, r"\d"),
                          (PUNCT, r"[\p{P}\p{Sm}\p{Sc}\p{Sk}\p{Cc}]"),
                          (TERM, r"\p{Sentence_Terminal}")):
        where = [m.start() for m in regex.finditer(pattern, chars)]
        table[np.asarray(where, dtype=np.int64)] |= flag
    return table


@cache
def lower_table() -> np.ndarray:
    """Simple lowercase mapping (``str.lower`` where it maps one code point to one)."""
    lowered = np.arange(LIMIT, dtype=np.uint32)
    for cp, low in enumerate(map(str.lower, map(chr, range(LIMIT)))):
        if len(low) == 1:
            lowered[cp] = ord(low)
    return lowered


def codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts as one uint32 code point array, and each text's start offset (n + 1)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # surrogatepass: lone surrogates (from JSON escapes) are code points like any other.
    data = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(data, dtype=np.uint32), offsets


# spaCy-style affix classes (see ``winnow.text.words``): one more table of flags.
A_PREFIX = np.uint8(1)  # a character split off the front of a chunk
A_SUFFIX = np.uint8(2)  # a character split off the end of a chunk
A_ICON = np.uint8(4)  # Unicode So (emoji, dingbats, the degree sign): always split
A_CURRENCY = np.uint8(8)  # currency signs
A_LOWER = np.uint8(16)  # lowercase or uncased letter
A_UPPER = np.uint8(32)  # uppercase or uncased letter
A_QUOTE = np.uint8(64)  # quotation marks and CJK brackets
A_DOT_AFTER = np.uint8(128)  # a final "." after this character is split off

#: Punctuation split off either end of a chunk (never from its inside).
AFFIX_PUNCT = "…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪"
#: Quotation marks and brackets, split off either end.
AFFIX_QUOTES = "'\"”“`‘´’‚„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧"
CURRENCY_SIGNS = "$£€¥฿₽﷼" + "".join(map(chr, range(0x20A0, 0x20C0)))
#: Whole blocks spaCy counts as uncased letters, vowel signs and viramas included
#: (so "இருந்து." ends in a "." suffix): Devanagari, Bengali, Tamil, Telugu,
#: Kannada, Sinhala, Ethiopic.
UNCASED_BLOCKS = ((0x0900, 0x097F), (0x0980, 0x09FF), (0x0B80, 0x0BFF), (0x0C00, 0x0C7F),
                  (0x0C80, 0x0CFF), (0x0D80, 0x0DFF), (0x1200, 0x137F))


@cache
def affix_table() -> np.ndarray:
    """Affix flags (``A_PREFIX | A_SUFFIX | …``) for code points below ``LIMIT``."""
    table = np.zeros(LIMIT, dtype=np.uint8)
    chars = "".join(map(chr, range(LIMIT)))
    icons = [m.start() for m in regex.finditer(r"\p{So}", chars)]
    table[np.asarray(icons, dtype=np.int64)] |= A_ICON | A_PREFIX | A_SUFFIX
    for c in AFFIX_PUNCT + AFFIX_QUOTES + "—–":
        table[ord(c)] |= A_PREFIX | A_SUFFIX
    for c in "§%=":
        table[ord(c)] |= A_PREFIX
    for c in CURRENCY_SIGNS:
        table[ord(c)] |= A_CURRENCY | A_PREFIX
    for c in AFFIX_QUOTES:
        table[ord(c)] |= A_QUOTE
    for c in AFFIX_PUNCT + AFFIX_QUOTES + "%²-+|(?:)" + "0123456789":
        table[ord(c)] |= A_DOT_AFTER
    for lo, hi in UNCASED_BLOCKS:
        table[lo:hi + 1] |= A_LOWER | A_UPPER | A_DOT_AFTER
    for cp in range(LIMIT):
        c = chars[cp]
        if c.isalpha():
            lower, upper = c.islower(), c.isupper()
            if lower or not upper:
                table[cp] |= A_LOWER | A_DOT_AFTER
            if upper or not lower:
                table[cp] |= A_UPPER
    return table

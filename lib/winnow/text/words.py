"""Word tokenisation shared by every heuristic family: one numba scan per batch.

The Gopher, FineWeb and C4 rules count "words", and the reference implementation
people compare with (datatrove) counts spaCy's English tokens: punctuation split
off as tokens of its own, so a comma is a "word" without a letter. The
definitions below approximate spaCy's rules closely (≥ 99 % agreement of Gopher
decisions on the C4 sample, see docs/heuristics.md) with a single left-to-right
scan. At each position, skipping white space, the first matching rule makes the
token:

1. a URL: ``http://``, ``https://`` or ``www.`` and what follows up to white space,
   a quote, ``<>()``; trailing ``.,;:!?`` are left out;
2. an e-mail address: ``\\w[\\w.+-]*@[\\w-]+(\\.[\\w-]+)+``;
3. a listed abbreviation with its period (``Mr.``, ``Inc.``, ``Calif.`` …) or
   initials (``U.S.``, ``e.g.``, ``J.``), not followed by a word character;
4. a word: a run of ``\\w`` continued across ``.`` or ``,`` before a word character
   (``3.5``, ``1,000``, ``example.com``), ``:`` or ``/`` before a digit (``7:05``,
   ``1/2``), ``&`` (``AT&T``), a hyphen between a letter and a digit
   (``covid-19``), an apostrophe that does not start a clitic (``O'Brien``); a
   trailing hyphen before white space stays (``non-``). Hyphens between words
   split (``well-known`` is three tokens), as in spaCy;
5. a clitic: an apostrophe and the word run after it (``'s``, ``'t``);
6. a run of two or more ``.`` or ``-`` (an ellipsis, a dash);
7. any other single character.

Word characters are Unicode's ``\\w`` (with combining marks), white space is
``str.isspace``. ``TOKEN_PATTERN`` is the same definition as one regular
expression for the ``regex`` module (slow; the tests' independent reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numba
import numpy as np

from winnow.text.chars import (
    ALPHA,
    DIGIT,
    LIMIT,
    PUNCT,
    SPACE,
    TERM,
    WORD,
    char_table,
    codepoints,
)

#: Abbreviations kept with their period, as spaCy's English tokenizer exceptions do.
ABBREVIATIONS = (
    "Mr Mrs Ms Dr Prof St Jr Sr Inc Ltd Co Corp Bros Gen Gov Rep Sen Rev vs "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec "
    "Ark Calif Fla Ill Mass Mich Minn Miss Pa Tenn Va Wash"
).split()

_ABBREV_MAX = max(map(len, ABBREVIATIONS))

TOKEN_PATTERN = r"""
  (?:https?://|www\.)[^\s\x1c-\x1f"'<>()]+[^\s\x1c-\x1f"'<>().,;:!?]
| \w[\w.+-]*@[\w-]+(?:\.[\w-]+)+
| (?:ABBREVIATIONS)\.(?!\w)
| (?:[A-Za-z]\.)+(?!\w)
| \w+(?:[.,]\w+|[:/]\d\w*|&\w+|(?<=[^\W\d])-\d\w*|['’](?!(?i:s|t|re|ve|ll|d|m)(?!\w))\w+)*
  (?:-(?![^\s\x1c-\x1f]))?
| ['’]\w+ | \.{2,} | -{2,} | [^\s\x1c-\x1f]
""".replace("ABBREVIATIONS", "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)))

# Token flags.
T_ALPHA = np.uint8(1)  # has a letter (Gopher's "word with an alphabetic character")
T_SYMBOL = np.uint8(2)  # only punctuation/symbols (not a Gopher word)
T_TERM = np.uint8(4)  # a single sentence-terminal character (. ! ? …)
T_LINE_START = np.uint8(8)  # first token of the document or after a newline

_LIMIT = LIMIT
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@dataclass
class Tokens:
    """The tokens of a batch of texts as flat arrays (one numba scan for all).

    ``cps``/``text_offsets``: all texts as code points; text ``d`` is
    ``cps[text_offsets[d]:text_offsets[d + 1]]``. Tokens of text ``d`` are
    ``tok_offsets[d]:tok_offsets[d + 1]``; ``starts``/``ends`` index ``cps``;
    ``hashes`` are 64-bit FNV-1a hashes of the token's code points.
    """

    cps: np.ndarray
    text_offsets: np.ndarray
    tok_offsets: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    hashes: np.ndarray
    flags: np.ndarray

    def counts(self) -> np.ndarray:
        """Number of tokens per text."""
        return np.diff(self.tok_offsets)

    def strings(self, texts: list[str]) -> list[list[str]]:
        """The tokens as strings (for tests and for looking at the tokenisation)."""
        out = []
        for d, text in enumerate(texts):
            base = self.text_offsets[d]
            lo, hi = self.tok_offsets[d], self.tok_offsets[d + 1]
            out.append([text[s - base:e - base]
                        for s, e in zip(self.starts[lo:hi], self.ends[lo:hi], strict=True)])
        return out


def tokenize(texts: list[str]) -> Tokens:
    """Tokenise a batch of texts (see the module docstring for the rules)."""
    cps, text_offsets = codepoints(texts)
    table = char_table()
    abbrev_cps, abbrev_offsets = _abbreviations()
    capacity = len(cps) // 3 + 64
    while True:
        starts = np.empty(capacity, dtype=np.int64)
        ends = np.empty(capacity, dtype=np.int64)
        hashes = np.empty(capacity, dtype=np.uint64)
        flags = np.empty(capacity, dtype=np.uint8)
        tok_offsets = np.empty(len(texts) + 1, dtype=np.int64)
        n = _scan(cps, text_offsets, table, abbrev_cps, abbrev_offsets,
                  starts, ends, hashes, flags, tok_offsets)
        if n >= 0:
            return Tokens(cps, text_offsets, tok_offsets, starts[:n], ends[:n],
                          hashes[:n], flags[:n])
        capacity = len(cps) + 1  # at most one token per code point


def token_hash(word: str) -> np.uint64:
    """The hash ``tokenize`` gives a token spelled ``word`` (to look tokens up)."""
    cps, _ = codepoints([word])
    return _hash(cps, 0, len(cps))


@cache
def _abbreviations() -> tuple[np.ndarray, np.ndarray]:
    return codepoints(list(ABBREVIATIONS))


@numba.njit(cache=True)
def _cls(table: np.ndarray, c: np.uint32) -> np.uint8:
    return table[c] if c < table.shape[0] else np.uint8(0)


@numba.njit(cache=True)
def _hash(cps: np.ndarray, lo: int, hi: int) -> np.uint64:
    h = _FNV_OFFSET
    for k in range(lo, hi):
        h = (h ^ np.uint64(cps[k])) * _FNV_PRIME
    return h


@numba.njit(cache=True)
def _word_run(cps: np.ndarray, i: int, hi: int, table: np.ndarray) -> int:
    while i < hi and _cls(table, cps[i]) & WORD:
        i += 1
    return i


@numba.njit(cache=True)
def _is_ascii_letter(c: np.uint32) -> bool:
    return (65 <= c <= 90) or (97 <= c <= 122)


_HTTPS = np.array([ord(c) for c in "https://"], dtype=np.uint32)
_HTTP = np.array([ord(c) for c in "http://"], dtype=np.uint32)
_WWW = np.array([ord(c) for c in "www."], dtype=np.uint32)


@numba.njit(cache=True)
def _starts_with(cps: np.ndarray, i: int, hi: int, prefix: np.ndarray) -> bool:
    if i + prefix.shape[0] > hi:
        return False
    for k in range(prefix.shape[0]):
        if cps[i + k] != prefix[k]:
            return False
    return True


@numba.njit(cache=True)
def _url_end(cps: np.ndarray, i: int, hi: int, table: np.ndarray) -> int:
    """End of a URL token starting at ``i``, or -1."""
    p = 0
    if _starts_with(cps, i, hi, _HTTPS):
        p = 8
    elif _starts_with(cps, i, hi, _HTTP):
        p = 7
    elif _starts_with(cps, i, hi, _WWW):
        p = 4
    if p == 0:
        return -1
    j = i + p
    while j < hi:
        c = cps[j]
        if _cls(table, c) & SPACE or c == 34 or c == 39 or c == 60 or c == 62 or c == 40 \
                or c == 41:  # " ' < > ( )
            break
        j += 1
    while j > i + p:
        c = cps[j - 1]
        if c == 46 or c == 44 or c == 59 or c == 58 or c == 33 or c == 63:  # . , ; : ! ?
            j -= 1
        else:
            break
    return j if j - (i + p) >= 2 else -1


@numba.njit(cache=True)
def _email_end(cps: np.ndarray, i: int, hi: int, table: np.ndarray) -> int:
    """End of an e-mail token starting at word character ``i``, or -1."""
    k = i + 1
    while k < hi and (_cls(table, cps[k]) & WORD or cps[k] == 46 or cps[k] == 43
                      or cps[k] == 45):
        k += 1
    if k >= hi or cps[k] != 64:  # @
        return -1
    m = k + 1
    while m < hi and (_cls(table, cps[m]) & WORD or cps[m] == 45):
        m += 1
    if m == k + 1:
        return -1
    parts = 0
    while m + 1 < hi and cps[m] == 46 and (_cls(table, cps[m + 1]) & WORD or cps[m + 1] == 45):
        m += 2
        while m < hi and (_cls(table, cps[m]) & WORD or cps[m] == 45):
            m += 1
        parts += 1
    return m if parts > 0 else -1


@numba.njit(cache=True)
def _is_abbreviation(cps: np.ndarray, i: int, j: int, abbrev_cps: np.ndarray,
                     abbrev_offsets: np.ndarray) -> bool:
    for a in range(abbrev_offsets.shape[0] - 1):
        lo, hi = abbrev_offsets[a], abbrev_offsets[a + 1]
        if hi - lo != j - i:
            continue
        same = True
        for k in range(hi - lo):
            if abbrev_cps[lo + k] != cps[i + k]:
                same = False
                break
        if same:
            return True
    return False


@numba.njit(cache=True)
def _is_clitic(cps: np.ndarray, i: int, j: int) -> bool:
    """True if ``cps[i:j]`` is, ignoring case, s, t, re, ve, ll, d or m."""
    n = j - i
    a = cps[i] | np.uint32(32) if n >= 1 and _is_ascii_letter(cps[i]) else cps[i]
    if n == 1:
        # re's case-insensitive "s" also matches U+017F LATIN SMALL LETTER LONG S.
        return a == 115 or a == 116 or a == 100 or a == 109 or cps[i] == 0x17F
    if n == 2 and _is_ascii_letter(cps[i + 1]):
        b = cps[i + 1] | np.uint32(32)
        return (a == 114 and b == 101) or (a == 118 and b == 101) or (a == 108 and b == 108)
    return False


@numba.njit(cache=True)
def _period_end(cps: np.ndarray, i: int, j: int, hi: int, table: np.ndarray,
                abbrev_cps: np.ndarray, abbrev_offsets: np.ndarray) -> int:
    """End of an abbreviation or initials at word ``cps[i:j]`` followed by ``.``, or -1."""
    if (j + 1 >= hi or not _cls(table, cps[j + 1]) & WORD) and _is_abbreviation(
            cps, i, j, abbrev_cps, abbrev_offsets):
        return j + 1
    if j == i + 1 and _is_ascii_letter(cps[i]):
        k = i
        while k + 1 < hi and _is_ascii_letter(cps[k]) and cps[k + 1] == 46:
            k += 2
        if k >= hi or not _cls(table, cps[k]) & WORD:
            return k
    return -1


@numba.njit(cache=True)
def _token_end(cps: np.ndarray, i: int, hi: int, table: np.ndarray, abbrev_cps: np.ndarray,
               abbrev_offsets: np.ndarray) -> int:
    """End of the token starting at the non-space code point ``i``."""
    c = cps[i]
    if (c == 104 and i + 1 < hi and cps[i + 1] == 116) or (
            c == 119 and i + 1 < hi and cps[i + 1] == 119):  # ht…, ww…
        e = _url_end(cps, i, hi, table)
        if e > 0:
            return e
    f = table[c] if c < _LIMIT else 0
    if f & WORD:
        j = i + 1
        while j < hi:
            cj = cps[j]
            if not (table[cj] if cj < _LIMIT else 0) & WORD:
                break
            j += 1
        if j == hi:
            return j
        d = cps[j]
        if d == 64 or d == 46 or d == 43 or d == 45:  # @ . + -: maybe an e-mail address
            k = j
            while k < hi and (cps[k] == 46 or cps[k] == 43 or cps[k] == 45
                              or _cls(table, cps[k]) & WORD):
                k += 1
            if k < hi and cps[k] == 64:
                e = _email_end(cps, i, hi, table)
                if e > 0:
                    return e
            if d == 46 and j - i <= _ABBREV_MAX and _is_ascii_letter(c):
                e = _period_end(cps, i, j, hi, table, abbrev_cps, abbrev_offsets)
                if e > 0:
                    return e
        while j + 1 < hi:
            d = cps[j]
            n = cps[j + 1]
            g = table[n] if n < _LIMIT else 0
            if (d == 46 or d == 44 or d == 38) and g & WORD:  # . , &
                pass
            elif (d == 58 or d == 47) and g & DIGIT:  # : /
                pass
            elif d == 45 and g & DIGIT and not _cls(table, cps[j - 1]) & DIGIT:  # letter-digit
                pass
            elif (d == 39 or d == 0x2019) and g & WORD:  # ' ’
                r = _word_run(cps, j + 1, hi, table)
                if _is_clitic(cps, j + 1, r):
                    break
            else:
                break
            j = _word_run(cps, j + 1, hi, table)
        if j < hi and cps[j] == 45 and (j + 1 >= hi or _cls(table, cps[j + 1]) & SPACE):
            j += 1
        return j
    if (c == 39 or c == 0x2019) and i + 1 < hi and _cls(table, cps[i + 1]) & WORD:
        return _word_run(cps, i + 1, hi, table)
    if (c == 46 or c == 45) and i + 1 < hi and cps[i + 1] == c:  # .. --
        j = i + 1
        while j < hi and cps[j] == c:
            j += 1
        return j
    return i + 1


@numba.njit(cache=True)
def _scan(cps: np.ndarray, text_offsets: np.ndarray, table: np.ndarray,
          abbrev_cps: np.ndarray, abbrev_offsets: np.ndarray, starts: np.ndarray,
          ends: np.ndarray, hashes: np.ndarray, flags: np.ndarray,
          tok_offsets: np.ndarray) -> int:
    """Fill the token arrays; return the token count, or -1 if they are too small."""
    cap = starts.shape[0]
    t = 0
    for d in range(text_offsets.shape[0] - 1):
        tok_offsets[d] = t
        i, hi = text_offsets[d], text_offsets[d + 1]
        line_start = True
        while i < hi:
            c = cps[i]
            f = table[c] if c < _LIMIT else 0
            if f & SPACE:
                if c == 10:
                    line_start = True
                i += 1
                continue
            j = _token_end(cps, i, hi, table, abbrev_cps, abbrev_offsets)
            if t >= cap:
                return -1
            h = _FNV_OFFSET
            fl = T_SYMBOL
            for k in range(i, j):
                ck = cps[k]
                fk = table[ck] if ck < _LIMIT else 0
                h = (h ^ np.uint64(ck)) * _FNV_PRIME
                if fk & ALPHA:
                    fl |= T_ALPHA
                if not fk & PUNCT:
                    fl &= ~T_SYMBOL
            if j == i + 1 and f & TERM:
                fl |= T_TERM
            if line_start:
                fl |= T_LINE_START
            starts[t] = i
            ends[t] = j
            hashes[t] = h
            flags[t] = fl
            line_start = False
            t += 1
            i = j
    tok_offsets[text_offsets.shape[0] - 1] = t
    return t

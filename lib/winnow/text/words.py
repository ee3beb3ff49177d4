"""Word tokenisation shared by every heuristic family: one numba scan per batch.

The Gopher, FineWeb and C4 rules count "words", and the reference implementation
people compare with (datatrove) counts the tokens of spaCy's English tokenizer.
This module implements the same published rule scheme (spaCy's documented
algorithm: white space, then prefixes/suffixes, then infixes) with its English
rule sets, written from their description:

1. The text is cut at white space (``str.isspace``) into chunks.
2. A chunk that is a special case (an abbreviation with its period: ``Mr.``,
   ``e.g.``, ``a.`` — ``SPECIAL_CASES``) is one token. Otherwise, repeatedly, one
   prefix and one suffix are split off it — unless what remains is a special case:

   * prefixes: punctuation ``AFFIX_PUNCT``, quotes and brackets ``AFFIX_QUOTES``,
     currency signs (and ``US$``, ``C$``, ``A$``), symbols (Unicode So, emoji),
     ``§ % = — –``, ``+`` not before a digit, a run of two or more ``.``;
   * suffixes (the longest that ends the chunk): the same punctuation, quotes and
     symbols, ``— –``, ``'s``/``’s``, a run of ``..``; after a digit also ``+``,
     a currency sign or a unit (``km``, ``%``, ``GB`` … ``UNITS``); a ``.`` after
     a lowercase (or uncased: ``chars.UNCASED_BLOCKS``) letter, a digit,
     punctuation, a quote or ``%²-+``, or after two uppercase letters.
3. What remains is one token if it is a special case or a URL/e-mail address
   (``_url_end``: optional ``scheme://``, optional ``user@``, host labels, a
   lowercase top-level domain, optional ``:port`` and ``/path``); else it is
   split at infixes, each its own token: ``..``, ``…``, a symbol, ``+-*^`` between
   digits, ``.`` between a lowercase letter and an uppercase one, ``,`` between
   letters, a hyphen (``- – — -- --- —— ~``) between a letter or digit and a
   letter, ``: < > = /`` between a letter or digit and a letter. A ``.`` infix
   whose left part with it is a special case stays on it (``a.C.`` → ``a.``
   ``C.``).
4. A final clitic ``'t 're 've 'll 'd 'm`` after letters is its own token
   (``don't`` → ``don`` ``'t``; spaCy lists such words and splits ``do`` ``n't``:
   the same count and characters); ``cannot`` is ``can`` ``not``.

So, as in spaCy, punctuation inside a chunk stays in the token (``and/or``,
``title[edit``, a Chinese clause with its commas), and only punctuation at a
chunk's ends, or a listed infix, is a token of its own. Not followed: spaCy's
emoticon and contraction lists beyond clitics (``gonna`` → ``gon`` ``na``), and
its multi-token special cases found inside chunks. ``tests/reference_tokenizer.py``
is the same definition in plain Python (the tests' reference for the numba scanner).

Longer than winnow's ~500-line rule for a module because it is one kernel: ``_scan``
and the compiled rule functions it calls (prefix, suffix, infix, URL, clitic) are
compiled together and share the flat token arrays; split, one rule scheme would be
read across files.

Scripts written without spaces are then segmented by ``winnow.text.segment``
(``tokenize``'s ``langs``); documents in other scripts keep exactly these tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.chars import (
    A_CURRENCY,
    A_DOT_AFTER,
    A_ICON,
    A_LOWER,
    A_PREFIX,
    A_QUOTE,
    A_SUFFIX,
    A_UPPER,
    ALPHA,
    LIMIT,
    PUNCT,
    SPACE,
    TERM,
    affix_table,
    char_table,
    codepoints,
)

#: Abbreviations that keep their period (spaCy's English tokenizer exceptions).
SPECIAL_CASES = tuple(
    f"{w}." for w in (
        "Adm Ak Ala Apr Ariz Ark Aug Bros Calif Co Colo Conn Corp Dec Del Dr Feb Fla Ga Gen "
        "Gov Ia Id Ill Inc Ind Jan Jr Jul Jun Kan Kans Ky La Ltd Mar Mass Md Messrs Mich Minn "
        "Miss Mo Mont Mr Mrs Ms Mt Neb Nebr Nev Nov Oct Okla Ore Pa Prof Rep Rev Sen Sep Sept "
        "St Tenn Va Wash Wis co vs "
        "a b c d e f g h i j k l m n o p q r s t u v w x y z ä ö ü"
    ).split()
) + tuple(
    "a.m. p.m. e.g. E.g. E.G. i.e. I.e. I.E. Ph.D. v.s. D.C. N.C. N.D. N.H. N.J. N.M. N.Y. "
    "S.C.".split()
)
#: Units split off after a number (``10km`` → ``10`` ``km``).
UNITS = tuple(
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz "
    "m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм "
    "дм² дм³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ "
    "гб Тб ТБ тб".split()
)

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

    def take(self, rows: np.ndarray) -> Tokens:
        """The tokens of texts ``rows`` (ascending positions) as a ``Tokens`` of their own."""
        lo, hi = self.text_offsets[rows], self.text_offsets[rows + 1]
        t_lo, t_hi = self.tok_offsets[rows], self.tok_offsets[rows + 1]
        text_offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(hi - lo, out=text_offsets[1:])
        tok_offsets = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(t_hi - t_lo, out=tok_offsets[1:])
        cp_idx = _ranges(lo, hi)
        tok_idx = _ranges(t_lo, t_hi)
        # Token positions move with their text: by (new text start - old text start).
        shift = np.repeat(text_offsets[:-1] - lo, t_hi - t_lo)
        return Tokens(self.cps[cp_idx], text_offsets, tok_offsets,
                      self.starts[tok_idx] + shift, self.ends[tok_idx] + shift,
                      self.hashes[tok_idx], self.flags[tok_idx])

    def strings(self, texts: list[str]) -> list[list[str]]:
        """The tokens as strings (for tests and for looking at the tokenisation)."""
        out = []
        for d, text in enumerate(texts):
            base = self.text_offsets[d]
            lo, hi = self.tok_offsets[d], self.tok_offsets[d + 1]
            out.append([text[s - base:e - base]
                        for s, e in zip(self.starts[lo:hi], self.ends[lo:hi], strict=True)])
        return out


def tokenize(texts: list[str], langs=None, *, segment: bool = True) -> Tokens:
    """Tokenise a batch of texts (see the module docstring for the rules).

    Documents of scripts written without spaces (Chinese, Japanese, Thai …) then
    have those tokens re-cut by a word segmenter (``winnow.text.segment``), chosen
    by ``langs`` (each document's language code; None: by script). ``segment=False``
    gives the white-space rules alone.
    """
    tokens = _tokenize(texts)
    if not segment:
        return tokens
    from winnow.text.segment import resegment

    return resegment(tokens, texts, langs)


def _tokenize(texts: list[str]) -> Tokens:
    cps, text_offsets = codepoints(texts)
    table = char_table()
    lists = _lists()
    capacity = len(cps) // 3 + 64
    while True:
        starts = np.empty(capacity, dtype=np.int64)
        ends = np.empty(capacity, dtype=np.int64)
        hashes = np.empty(capacity, dtype=np.uint64)
        flags = np.empty(capacity, dtype=np.uint8)
        tok_offsets = np.empty(len(texts) + 1, dtype=np.int64)
        n = _scan(cps, text_offsets, table, affix_table(), *lists,
                  starts, ends, hashes, flags, tok_offsets)
        if n >= 0:
            return Tokens(cps, text_offsets, tok_offsets, starts[:n], ends[:n],
                          hashes[:n], flags[:n])
        capacity = len(cps) + 1  # at most one token per code point


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenated ranges ``lo[i]:hi[i]`` as one index array."""
    lengths = hi - lo
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(lo - (ends - lengths), lengths)


def token_hash(word: str) -> np.uint64:
    """The hash ``tokenize`` gives a token spelled ``word`` (to look tokens up)."""
    cps, _ = codepoints([word])
    return _hash(cps, 0, len(cps))


@cache
def _lists() -> tuple[np.ndarray, ...]:
    special_cps, special_offsets = codepoints(list(SPECIAL_CASES))
    unit_cps, unit_offsets = codepoints(list(UNITS))
    return special_cps, special_offsets, unit_cps, unit_offsets


@kernel
def _hash(cps: np.ndarray, lo: int, hi: int) -> np.uint64:
    h = _FNV_OFFSET
    for k in range(lo, hi):
        h = (h ^ np.uint64(cps[k])) * _FNV_PRIME
    return h


@kernel
def _aff(affix: np.ndarray, c: np.uint32) -> np.uint8:
    return affix[c] if c < affix.shape[0] else np.uint8(0)


@kernel
def _is_alpha(table: np.ndarray, c: np.uint32) -> bool:
    return c < table.shape[0] and table[c] & ALPHA != 0


@kernel
def _is_digit(c: np.uint32) -> bool:
    return 48 <= c <= 57


@kernel
def _equals(cps, lo, hi, ref_cps, ref_offsets, k) -> bool:
    a, b = ref_offsets[k], ref_offsets[k + 1]
    if b - a != hi - lo:
        return False
    for m in range(b - a):
        if ref_cps[a + m] != cps[lo + m]:
            return False
    return True


@kernel
def _is_special(cps, lo, hi, special_cps, special_offsets) -> bool:
    if hi - lo < 2 or hi - lo > 7 or cps[hi - 1] != 46:  # all special cases end in "."
        return False
    for k in range(special_offsets.shape[0] - 1):
        if _equals(cps, lo, hi, special_cps, special_offsets, k):
            return True
    return False


@kernel
def _currency_word(cps, i, hi) -> int:
    """Length of ``US$``, ``C$`` or ``A$`` at ``i``, else 0."""
    if i + 2 < hi and cps[i] == 85 and cps[i + 1] == 83 and cps[i + 2] == 36:
        return 3
    if i + 1 < hi and (cps[i] == 67 or cps[i] == 65) and cps[i + 1] == 36:
        return 2
    return 0


@kernel
def _prefix_len(cps, lo, hi, affix) -> int:
    c = cps[lo]
    if _aff(affix, c) & A_PREFIX:
        return 1
    if c == 43 and not (lo + 1 < hi and _is_digit(cps[lo + 1])):  # +
        return 1
    if c == 46 and lo + 1 < hi and cps[lo + 1] == 46:  # ..
        j = lo
        while j < hi and cps[j] == 46:
            j += 1
        return j - lo
    return _currency_word(cps, lo, hi)


@kernel
def _suffix_len(cps, lo, hi, table, affix, unit_cps, unit_offsets) -> int:
    n = hi - lo
    best = hi
    last = cps[hi - 1]
    fl = _aff(affix, last)
    if fl & (A_SUFFIX | A_ICON):
        best = hi - 1
    if n >= 2 and last == 46 and cps[hi - 2] == 46:
        j = hi
        while j > lo and cps[j - 1] == 46:
            j -= 1
        best = min(best, j)
    if n < 2:
        return hi - best
    prev = cps[hi - 2]
    if (last == 115 or last == 83) and (prev == 39 or prev == 0x2019):  # 's ’s
        best = min(best, hi - 2)
    if last == 46 and (_aff(affix, prev) & A_DOT_AFTER or (
            n >= 3 and _aff(affix, prev) & A_UPPER and _aff(affix, cps[hi - 3]) & A_UPPER) or (
            n >= 3 and cps[hi - 3] == 0xB0 and (prev == 70 or prev == 102 or prev == 67
                                                or prev == 99 or prev == 75 or prev == 107))):
        best = min(best, hi - 1)
    if (last == 43 or fl & A_CURRENCY) and _is_digit(prev):
        best = min(best, hi - 1)
    # A unit or US$/C$/A$ after a digit: only when a digit is at most 5 back.
    near = False
    for k in range(max(lo, hi - 6), hi - 1):
        if _is_digit(cps[k]):
            near = True
    if near:
        for k in range(max(lo + 1, hi - 3), hi - 1):
            w = _currency_word(cps, k, hi)
            if w and k + w == hi and _is_digit(cps[k - 1]):
                best = min(best, k)
        for u in range(unit_offsets.shape[0] - 1):
            m = unit_offsets[u + 1] - unit_offsets[u]
            k = hi - m
            if k - 1 >= lo and _is_digit(cps[k - 1]) and _equals(cps, k, hi, unit_cps,
                                                                  unit_offsets, u):
                best = min(best, k)
    return hi - best


@kernel
def _label_char(c: np.uint32) -> bool:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or (0xA1 <= c <= 0xFFFF)


@kernel
def _host_ok(cps, i, hi, affix) -> bool:
    """A host (labels, a lowercase TLD), optional :port, then nothing or [/?#]…"""
    j = i
    while j < hi and (_label_char(cps[j]) or cps[j] == 95 or cps[j] == 45 or cps[j] == 46):
        j += 1
    dot = -1
    for k in range(i, j):
        if cps[k] == 46:
            dot = k
    if dot < 0:
        return False
    tld = j - dot - 1
    if tld < 2 or tld > 63:
        return False
    for k in range(dot + 1, j):
        if not _aff(affix, cps[k]) & A_LOWER:
            return False
    start = i
    for k in range(i, dot + 1):
        if cps[k] == 46:
            if k == start or k - start > 64 or not _label_char(cps[start]) \
                    or not _label_char(cps[k - 1]):
                return False
            start = k + 1
    if j < hi and cps[j] == 58:  # :port
        m = j + 1
        while m < hi and _is_digit(cps[m]):
            m += 1
        if m - j - 1 < 2 or m - j - 1 > 5:
            return False
        j = m
    return j == hi or cps[j] == 47 or cps[j] == 63 or cps[j] == 35


@kernel
def _is_url(cps, lo, hi, table, affix) -> bool:
    i = lo
    k = lo
    while k < hi and (_is_alpha(table, cps[k]) or _is_digit(cps[k]) or cps[k] == 95
                      or cps[k] == 43 or cps[k] == 45 or cps[k] == 46):
        k += 1
    if k - lo >= 2 and k + 2 < hi and cps[k] == 58 and cps[k + 1] == 47 and cps[k + 2] == 47:
        i = k + 3
    if _host_ok(cps, i, hi, affix):
        return True
    for j in range(i + 1, hi):
        if cps[j] == 64 and _host_ok(cps, j + 1, hi, affix):  # user@host
            return True
    return False


@kernel
def _infix_end(cps, i, lo, hi, table, affix) -> int:
    """End of the infix at ``i`` of the core ``cps[lo:hi]``, or 0."""
    c = cps[i]
    has_prev = i > lo
    has_next = i + 1 < hi
    prev = cps[i - 1] if has_prev else np.uint32(0)
    nxt = cps[i + 1] if has_next else np.uint32(0)
    if c == 46 and nxt == 46 and has_next:
        j = i
        while j < hi and cps[j] == 46:
            j += 1
        return j
    if c == 0x2026 or _aff(affix, c) & A_ICON:
        return i + 1
    if not has_prev or not has_next:
        return 0
    if (c == 43 or c == 45 or c == 42 or c == 94) and _is_digit(prev) and (
            _is_digit(nxt) or nxt == 45):
        return i + 1
    if c == 46 and _aff(affix, prev) & (A_LOWER | A_QUOTE) and _aff(affix, nxt) & (
            A_UPPER | A_QUOTE):
        return i + 1
    if c == 44 and _is_alpha(table, prev) and _is_alpha(table, nxt):
        return i + 1
    left = _is_alpha(table, prev) or _is_digit(prev)
    if (c == 58 or c == 60 or c == 62 or c == 61 or c == 47) and left and _is_alpha(table, nxt):
        return i + 1
    if left:
        # - – — -- --- —— ~ (spaCy tries them in this order)
        if c == 45:
            if _is_alpha(table, nxt):
                return i + 1
            if nxt == 45:
                if i + 2 < hi and _is_alpha(table, cps[i + 2]):
                    return i + 2
                if i + 3 < hi and cps[i + 2] == 45 and _is_alpha(table, cps[i + 3]):
                    return i + 3
        elif c == 0x2013 or c == 0x7E:
            if _is_alpha(table, nxt):
                return i + 1
        elif c == 0x2014:
            if _is_alpha(table, nxt):
                return i + 1
            if nxt == 0x2014 and i + 2 < hi and _is_alpha(table, cps[i + 2]):
                return i + 2
    return 0


@kernel
def _clitic_start(cps, lo, hi, table) -> int:
    """Start of a final clitic ('t 're 've 'll 'd 'm) after letters in ``cps[lo:hi]``, or -1."""
    for n in range(1, 3):
        k = hi - n - 1
        if k <= lo or not (cps[k] == 39 or cps[k] == 0x2019):
            continue
        a = cps[k + 1] | np.uint32(32) if cps[k + 1] < 128 else np.uint32(0)
        ok = False
        if n == 1:
            ok = a == 116 or a == 100 or a == 109  # t d m
        else:
            b = cps[k + 2] | np.uint32(32) if cps[k + 2] < 128 else np.uint32(0)
            ok = (a == 114 and b == 101) or (a == 118 and b == 101) or (a == 108 and b == 108)
        if not ok:
            continue
        for m in range(lo, k):
            if not _is_alpha(table, cps[m]):
                return -1
        return k
    return -1


_CANNOT = np.array([ord(c) for c in "cannot"], dtype=np.uint32)


@kernel
def _is_cannot(cps, lo, hi) -> bool:
    """``cannot`` or ``Cannot`` (spaCy: ``can`` ``not``)."""
    if hi - lo != 6 or not (cps[lo] == 99 or cps[lo] == 67):
        return False
    for k in range(1, 6):
        if cps[lo + k] != _CANNOT[k]:
            return False
    return True


@kernel
def _emit(cps, i, j, table, line_start, t, starts, ends, hashes, flags) -> int:
    """Write token ``cps[i:j]``; return the next token index or -1 if the arrays are full."""
    if t >= starts.shape[0]:
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
    if j == i + 1:
        c = cps[i]
        if c < _LIMIT and table[c] & TERM:
            fl |= T_TERM
    if line_start:
        fl |= T_LINE_START
    starts[t] = i
    ends[t] = j
    hashes[t] = h
    flags[t] = fl
    return t + 1


@kernel
def _core(cps, lo, hi, table, affix, special_cps, special_offsets, line_start, t,
          starts, ends, hashes, flags) -> int:
    """Emit the tokens of a chunk's core (after prefixes and suffixes)."""
    if _is_special(cps, lo, hi, special_cps, special_offsets) or _is_url(cps, lo, hi, table,
                                                                          affix):
        return _emit(cps, lo, hi, table, line_start, t, starts, ends, hashes, flags)
    start = lo
    i = lo
    while i < hi:
        e = _infix_end(cps, i, lo, hi, table, affix)
        if e == 0:
            i += 1
            continue
        if cps[i] == 46 and e == i + 1 and i != start and _is_special(
                cps, start, i + 1, special_cps, special_offsets):
            t = _emit(cps, start, i + 1, table, line_start, t, starts, ends, hashes, flags)
        else:
            if i != start:
                t = _emit(cps, start, i, table, line_start, t, starts, ends, hashes, flags)
                if t < 0:
                    return t
                line_start = False
            t = _emit(cps, i, e, table, line_start, t, starts, ends, hashes, flags)
        if t < 0:
            return t
        line_start = False
        start = e
        i = e
    if start < hi:
        k = _clitic_start(cps, start, hi, table)
        if _is_cannot(cps, start, hi):
            k = start + 3
        if k > start:
            t = _emit(cps, start, k, table, line_start, t, starts, ends, hashes, flags)
            if t < 0:
                return t
            line_start = False
            start = k
        t = _emit(cps, start, hi, table, line_start, t, starts, ends, hashes, flags)
    return t


@kernel
def _chunk(cps, lo, hi, table, affix, special_cps, special_offsets, unit_cps, unit_offsets,
           suffix_starts, line_start, t, starts, ends, hashes, flags) -> int:
    """Emit the tokens of the white-space-free chunk ``cps[lo:hi]``."""
    n_suffixes = 0
    chunk_end = hi
    last_size = -1
    while hi > lo and hi - lo != last_size:
        if _is_special(cps, lo, hi, special_cps, special_offsets):
            break
        last_size = hi - lo
        pre = _prefix_len(cps, lo, hi, affix)
        if pre and _is_special(cps, lo + pre, hi, special_cps, special_offsets):
            t = _emit(cps, lo, lo + pre, table, line_start, t, starts, ends, hashes, flags)
            if t < 0:
                return t
            line_start = False
            lo += pre
            break
        suf = _suffix_len(cps, lo + pre, hi, table, affix, unit_cps, unit_offsets) \
            if lo + pre < hi else 0
        if suf and n_suffixes == suffix_starts.shape[0]:
            suf = 0  # a pathological run of suffixes: the rest stays in the core
        if suf and _is_special(cps, lo, hi - suf, special_cps, special_offsets):
            suffix_starts[n_suffixes] = hi - suf
            n_suffixes += 1
            hi -= suf
            break
        if pre and suf and pre + suf <= hi - lo:
            t = _emit(cps, lo, lo + pre, table, line_start, t, starts, ends, hashes, flags)
            if t < 0:
                return t
            line_start = False
            lo += pre
            suffix_starts[n_suffixes] = hi - suf
            n_suffixes += 1
            hi -= suf
        elif pre:
            t = _emit(cps, lo, lo + pre, table, line_start, t, starts, ends, hashes, flags)
            if t < 0:
                return t
            line_start = False
            lo += pre
        elif suf:
            suffix_starts[n_suffixes] = hi - suf
            n_suffixes += 1
            hi -= suf
        if _is_special(cps, lo, hi, special_cps, special_offsets):
            break
    if hi > lo:
        t = _core(cps, lo, hi, table, affix, special_cps, special_offsets, line_start, t,
                  starts, ends, hashes, flags)
        if t < 0:
            return t
        line_start = False
    for k in range(n_suffixes - 1, -1, -1):  # innermost (pushed last) first
        t = _emit(cps, suffix_starts[k], suffix_starts[k - 1] if k else chunk_end, table,
                  line_start, t, starts, ends, hashes, flags)
        if t < 0:
            return t
        line_start = False
    return t


@kernel
def _simple_suffix(cps, i, j, affix, special_cps, special_offsets) -> bool:
    """True if the letters ``cps[i:j - 1]`` end in a plain suffix mark ``, ; : ! ? ) "``
    or a ``.`` that splits off (after a lowercase letter, not a special case)."""
    c = cps[j - 1]
    if c == 44 or c == 59 or c == 58 or c == 33 or c == 63 or c == 41 or c == 34:
        return True
    return c == 46 and _aff(affix, cps[j - 2]) & A_DOT_AFTER != 0 and not _is_special(
        cps, i, j, special_cps, special_offsets)


@kernel
def _scan(cps, text_offsets, table, affix, special_cps, special_offsets, unit_cps,
          unit_offsets, starts, ends, hashes, flags, tok_offsets) -> int:
    """Fill the token arrays; return the token count, or -1 if they are too small."""
    suffix_starts = np.empty(256, dtype=np.int64)
    t = 0
    for d in range(text_offsets.shape[0] - 1):
        tok_offsets[d] = t
        i, hi = text_offsets[d], text_offsets[d + 1]
        line_start = True
        while i < hi:
            c = cps[i]
            if c < _LIMIT and table[c] & SPACE:
                if c == 10:
                    line_start = True
                i += 1
                continue
            # Find the chunk's end; hash it and see what it is made of on the way.
            j = i
            h = _FNV_OFFSET
            h_before = h
            kind = 0  # 1: a letter, 2: an ASCII digit, 4: anything else
            kind_before = 0  # the same without the last character
            while j < hi:
                cj = cps[j]
                fj = table[cj] if cj < _LIMIT else 0
                if fj & SPACE:
                    break
                h_before = h
                kind_before = kind
                h = (h ^ np.uint64(cj)) * _FNV_PRIME
                if fj & ALPHA:
                    kind |= 1
                elif 48 <= cj <= 57:
                    kind |= 2
                else:
                    kind |= 4
                j += 1
            if (kind == 1 or kind == 2) and not _is_cannot(cps, i, j):
                # Only letters, or only digits: no affix rule applies, one token.
                if t >= starts.shape[0]:
                    return -1
                starts[t] = i
                ends[t] = j
                hashes[t] = h
                flags[t] = (T_ALPHA if kind == 1 else np.uint8(0)) | (
                    T_LINE_START if line_start else np.uint8(0))
                t += 1
            elif kind_before == 1 and j - i >= 2 and _simple_suffix(
                    cps, i, j, affix, special_cps, special_offsets) \
                    and not _is_cannot(cps, i, j - 1):
                # Letters and one punctuation mark that is a suffix: two tokens.
                if t + 1 >= starts.shape[0]:
                    return -1
                starts[t] = i
                ends[t] = j - 1
                hashes[t] = h_before
                flags[t] = T_ALPHA | (T_LINE_START if line_start else np.uint8(0))
                t = _emit(cps, j - 1, j, table, False, t + 1, starts, ends, hashes, flags)
            else:
                t = _chunk(cps, i, j, table, affix, special_cps, special_offsets, unit_cps,
                           unit_offsets, suffix_starts, line_start, t, starts, ends, hashes,
                           flags)
                if t < 0:
                    return -1
            line_start = False
            i = j
    tok_offsets[text_offsets.shape[0] - 1] = t
    return t

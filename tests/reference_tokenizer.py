"""The word tokenisation of ``winnow.text.words`` in plain Python: the tests' reference.

The same rules as the numba scanner (see ``winnow.text.words``' docstring), written
a second time, slowly and directly from their description, so that the scanner's
tokens can be compared with it on real and generated text.
"""

from __future__ import annotations

from winnow.text.chars import (
    A_ICON,
    A_LOWER,
    A_UPPER,
    AFFIX_PUNCT,
    AFFIX_QUOTES,
    CURRENCY_SIGNS,
    LIMIT,
    affix_table,
)
from winnow.text.words import SPECIAL_CASES, UNITS

_CURRENCY_WORDS = ("US$", "C$", "A$")
_HYPHENS = ("-", "–", "—", "--", "---", "——", "~")  # in this order, as spaCy tries them
_CLITICS = ("t", "re", "ve", "ll", "d", "m")

_PUNCT_CHARS = frozenset(AFFIX_PUNCT)
_QUOTE_CHARS = frozenset(AFFIX_QUOTES)
_CURRENCY = frozenset(CURRENCY_SIGNS)


def _icon(c: str) -> bool:
    return bool(affix_table()[ord(c)] & A_ICON) if ord(c) < LIMIT else False


def _lower(c: str) -> bool:
    """A lowercase or uncased letter (``chars.affix_table``'s classes)."""
    return ord(c) < LIMIT and bool(affix_table()[ord(c)] & A_LOWER)


def _upper(c: str) -> bool:
    return ord(c) < LIMIT and bool(affix_table()[ord(c)] & A_UPPER)


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


def _ref_prefix_len(s: str) -> int:
    c = s[0]
    if c in _PUNCT_CHARS or c in _QUOTE_CHARS or c in _CURRENCY or c in "§%=—–" or _icon(c):
        return 1
    if c == "+" and not (len(s) > 1 and _digit(s[1])):
        return 1
    if s.startswith(".."):
        return len(s) - len(s.lstrip("."))
    for w in _CURRENCY_WORDS:
        if s.startswith(w):
            return len(w)
    return 0


def _ref_suffix_len(s: str) -> int:
    n = len(s)
    best = n
    last = s[-1]
    if last in _PUNCT_CHARS or last in _QUOTE_CHARS or last in "—–" or _icon(last):
        best = n - 1
    if s.endswith(".."):
        best = min(best, len(s.rstrip(".")))
    if n >= 2 and s[-2:] in ("'s", "'S", "’s", "’S"):
        best = min(best, n - 2)
    if n >= 2 and last == "." and (
            _digit(s[-2]) or _lower(s[-2]) or s[-2] in _PUNCT_CHARS or s[-2] in _QUOTE_CHARS
            or s[-2] in "%²-+|(?:)"
            or (n >= 3 and _upper(s[-2]) and _upper(s[-3]))
            or (n >= 3 and s[-3] == "°" and s[-2] in "FfCcKk")):
        best = min(best, n - 1)
    if n >= 2 and (last == "+" or last in _CURRENCY) and _digit(s[-2]):
        best = min(best, n - 1)
    for w in _CURRENCY_WORDS + UNITS:
        if n > len(w) and s.endswith(w) and _digit(s[-len(w) - 1]):
            best = min(best, n - len(w))
    return n - best


def _ref_infixes(s: str) -> list[tuple[int, int]]:
    """Infix matches in ``s``, left to right, not overlapping."""
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        prev = s[i - 1] if i else ""
        nxt = s[i + 1] if i + 1 < n else ""
        end = 0
        if c == "." and nxt == ".":
            end = i + len(s[i:]) - len(s[i:].lstrip("."))
        elif c == "…" or _icon(c):
            end = i + 1
        elif c in "+-*^" and prev and _digit(prev) and nxt and (_digit(nxt) or nxt == "-"):
            end = i + 1
        elif c == "." and prev and (_lower(prev) or prev in _QUOTE_CHARS) and nxt and (
                _upper(nxt) or nxt in _QUOTE_CHARS):
            end = i + 1
        elif c == "," and prev.isalpha() and nxt.isalpha():
            end = i + 1
        elif c in ":<>=/" and prev and (prev.isalpha() or _digit(prev)) and nxt.isalpha():
            end = i + 1
        elif prev and (prev.isalpha() or _digit(prev)):
            for h in _HYPHENS:
                if s.startswith(h, i) and i + len(h) < n and s[i + len(h)].isalpha():
                    end = i + len(h)
                    break
        if end:
            out.append((i, end))
            i = end
        else:
            i += 1
    return out


def _ref_is_url(s: str) -> bool:
    i = 0
    k = s.find("://")
    if k >= 2 and all(c.isalpha() or _digit(c) or c in "_+-." for c in s[:k]):
        i = k + 3
    starts = [i] + [j + 1 for j in range(i + 1, len(s)) if s[j] == "@"]
    return any(_ref_host(s, h) for h in starts)


def _ref_label_char(c: str) -> bool:
    return c.isascii() and c.isalnum() or 0xA1 <= ord(c) <= 0xFFFF


def _ref_host(s: str, i: int) -> bool:
    j = i
    while j < len(s) and (_ref_label_char(s[j]) or s[j] in "_-."):
        j += 1
    host = s[i:j]
    if "." not in host:
        return False
    *labels, tld = host.split(".")
    if not 2 <= len(tld) <= 63 or not all(_lower(c) for c in tld):
        return False
    for label in labels:
        if not label or len(label) > 64 or not _ref_label_char(label[0]) \
                or not _ref_label_char(label[-1]):
            return False
    rest = s[j:]
    if rest.startswith(":"):
        digits = len(rest) - 1 - len(rest[1:].lstrip("0123456789"))
        if not 2 <= digits <= 5:
            return False
        rest = rest[1 + digits:]
    return not rest or rest[0] in "/?#"


def _ref_core(s: str) -> list[str]:
    if s in SPECIAL_CASES or _ref_is_url(s):
        return [s]
    pieces, start = [], 0
    for a, b in _ref_infixes(s):
        if a != start:
            pieces.append(s[start:a])
        if s[a] == "." and b == a + 1 and a != start and s[start:a] + "." in SPECIAL_CASES:
            pieces[-1] += "."
        else:
            pieces.append(s[a:b])
        start = b
    if start < len(s):
        pieces.append(s[start:])
    last = pieces[-1]
    if last in ("cannot", "Cannot"):
        pieces[-1:] = [last[:3], last[3:]]
        return pieces
    for q in ("'", "’"):
        k = last.rfind(q)
        if k > 0 and last[k + 1:].lower() in _CLITICS and last[:k].isalpha():
            pieces[-1:] = [last[:k], last[k:]]
            break
    return pieces


def reference_tokens(text: str) -> list[str]:
    """The tokens of one text, by the rules of the module docstring (plain Python)."""
    out: list[str] = []
    for chunk in text.split():
        s = chunk
        prefixes: list[str] = []
        suffixes: list[str] = []
        last_size = -1
        while s and len(s) != last_size:
            if s in SPECIAL_CASES:
                break
            last_size = len(s)
            pre = _ref_prefix_len(s)
            if pre and s[pre:] in SPECIAL_CASES:
                prefixes.append(s[:pre])
                s = s[pre:]
                break
            suf = _ref_suffix_len(s[pre:]) if s[pre:] else 0
            if suf and s[:-suf] in SPECIAL_CASES:
                suffixes.append(s[-suf:])
                s = s[:-suf]
                break
            if pre and suf and pre + suf <= len(s):
                prefixes.append(s[:pre])
                suffixes.append(s[-suf:])
                s = s[pre:-suf]
            elif pre:
                prefixes.append(s[:pre])
                s = s[pre:]
            elif suf:
                suffixes.append(s[-suf:])
                s = s[:-suf]
            if s in SPECIAL_CASES:
                break
        out += prefixes
        if s:
            out += _ref_core(s)
        out += reversed(suffixes)
    return out

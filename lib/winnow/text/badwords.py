"""C4's bad-words rule (Raffel et al. 2020, §2.2): drop a page that contains any
entry of the "List of Dirty, Naughty, Obscene or Otherwise Bad Words" (LDNOOBW)
for its language.

Matching is case-insensitive (both sides lowercased, code point by code point)
and whole-word as in the reference code: an entry matches where it is neither
preceded nor followed by a word character. For languages written without
spaces (Japanese, Thai, Chinese: mC4's choice) an entry matches anywhere. mC4's
allow-list removes entries that are ordinary sub-words there.

The scan is one numba pass over the code points. A bitmap of the entries' first
(up to) three characters rejects almost every position with a few bit tests;
only the rest are compared with the entries starting with that character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from winnow.files import local_file
from winnow.numba_cache import kernel
from winnow.text.chars import WORD, char_table, codepoints, lower_table

#: Languages written without spaces between words: entries match anywhere.
SUBSTRING_LANGUAGES = ("ja", "th", "zh")
#: mC4's allow-list: each of these alone flags > 10 % of the pages of its language.
ALLOWLIST = {"ja": ("sm", "グロ", "女の子"), "zh": ("性",)}


@dataclass(frozen=True)
class WordList:
    """One language's entries, lowercased and sorted by first code point."""

    cps: np.ndarray
    offsets: np.ndarray
    firsts: np.ndarray
    prefixes: np.ndarray  # bitmap of hashed first 1–3 characters
    substring: bool


def read_list(path: str, lang: str, allow: tuple[str, ...] | list[str] = ()) -> WordList:
    """Load a word list file (one entry per line; blank lines ignored)."""
    with open(local_file(path), encoding="utf-8") as f:
        entries = {line.strip().lower() for line in f} - {""}
    return make_list(sorted(entries - {a.lower() for a in allow}), lang)


def make_list(entries: list[str], lang: str) -> WordList:
    """Index ``entries`` (already lowercased) for ``count_matches``."""
    entries = sorted(entries, key=lambda e: (ord(e[0]), e))
    cps, offsets = codepoints(entries)
    firsts = np.array([ord(e[0]) for e in entries], dtype=np.uint32)
    prefixes = np.zeros(_BITMAP_SIZE, dtype=np.bool_)
    for e in range(len(entries)):
        lo, hi = offsets[e], offsets[e + 1]
        prefixes[_prefix_hash(cps, lo, min(hi, lo + 3), lower_table())] = True
    return WordList(cps, offsets, firsts, prefixes, lang.split("-")[0] in SUBSTRING_LANGUAGES)


def count_matches(texts: list[str], lists: list[WordList | None],
                  text_cps: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Positions where an entry of the text's list matches; -1 where it has no list.

    ``lists[d]`` is the list for ``texts[d]``; ``text_cps`` may pass the batch's
    code points (``winnow.text.words.Tokens``) so the texts are not converted twice.
    """
    cps, offsets = text_cps if text_cps is not None else codepoints(texts)
    out = np.full(len(texts), -1, dtype=np.int64)
    table = char_table()
    lower = lower_table()
    by_list: dict[int, tuple[WordList, list[int]]] = {}
    for d, wl in enumerate(lists):
        if wl is not None:
            by_list.setdefault(id(wl), (wl, []))[1].append(d)
    for wl, docs in by_list.values():
        _count_kernel(cps, offsets, np.asarray(docs, dtype=np.int64), wl.cps, wl.offsets,
                      wl.firsts, wl.prefixes, wl.substring, table, lower, out)
    return out


@kernel
def _lower(lower, c):
    return lower[c] if c < lower.shape[0] else c


@kernel
def _is_word(table, c) -> bool:
    return c < table.shape[0] and table[c] & WORD != 0


_BITMAP_SIZE = 1 << 16


@kernel
def _prefix_hash(cps, lo, hi, lower) -> int:
    """Hash of the lowercased ``cps[lo:hi]`` (1–3 code points) into the bitmap."""
    h = np.uint64(hi - lo)
    for k in range(lo, hi):
        h = (h ^ np.uint64(_lower(lower, cps[k]))) * np.uint64(0x100000001B3)
    return np.int64((h ^ (h >> np.uint64(29))) & np.uint64(_BITMAP_SIZE - 1))


@kernel
def _count_kernel(cps, offsets, docs, ent_cps, ent_offsets, firsts, prefixes, substring, table,
                  lower, out):  # pragma: no cover - compiled
    n_ent = firsts.shape[0]
    for d in docs:
        a, b = offsets[d], offsets[d + 1]
        found = 0
        for i in range(a, b):
            if not substring and i > a and _is_word(table, cps[i - 1]):
                continue
            if not (prefixes[_prefix_hash(cps, i, i + 1, lower)]
                    or i + 2 <= b and prefixes[_prefix_hash(cps, i, i + 2, lower)]
                    or i + 3 <= b and prefixes[_prefix_hash(cps, i, i + 3, lower)]):
                continue
            c = _lower(lower, cps[i])
            e = np.searchsorted(firsts, c)
            while e < n_ent and firsts[e] == c:
                lo, hi = ent_offsets[e], ent_offsets[e + 1]
                end = i + hi - lo
                e += 1
                if end > b:
                    continue
                same = True
                for k in range(1, hi - lo):
                    if _lower(lower, cps[i + k]) != ent_cps[lo + k]:
                        same = False
                        break
                if same and (substring or end == b or not _is_word(table, cps[end])):
                    found += 1
                    break
        out[d] = found

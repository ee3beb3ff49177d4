"""Gopher repetition signals (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", Appendix A.1.1 and Table A1): duplicate
lines and paragraphs, top n-grams and duplicate n-grams.

Words are the tokens of ``winnow.text.words``; lines, paragraphs and n-grams are
compared by 64-bit hashes in one open-addressing table per batch. Where the paper
leaves a choice open, datatrove's definition is followed and said so next to the
code. All fractions are 0 when their denominator is 0.
"""

from __future__ import annotations

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.chars import SPACE, char_table
from winnow.text.words import Tokens, tokenize

TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)


@kernel
def _segment_hash(cps, lo, hi) -> np.uint64:
    h = np.uint64(0xCBF29CE484222325) ^ np.uint64(hi - lo)
    for k in range(lo, hi):
        h = (h ^ np.uint64(cps[k])) * np.uint64(0x100000001B3)
    return h


@kernel
def _hash_table(most):
    """An open-addressing table for up to ``most`` keys per document: a power-of-two
    size of at least ``2 * most`` (load <= 1/2), its ``mask``, ``keys`` and ``stamps``
    (a slot is live when its stamp equals the current document's)."""
    size = 1
    while size < 2 * most:
        size *= 2
    return np.int64(size - 1), np.zeros(size, dtype=np.uint64), np.zeros(size, dtype=np.int64)


@kernel
def _count_segment(cps, lo, hi, keys, stamps, stamp, mask, acc) -> None:
    """Count segment ``cps[lo:hi]``: acc[0] += 1, and if it repeats an earlier segment
    of this stamp, acc[1] += 1 and acc[2] += its length."""
    key = _segment_hash(cps, lo, hi)
    s = _slot(keys, stamps, stamp, mask, key)
    acc[0] += 1
    if stamps[s] == stamp:
        acc[1] += 1
        acc[2] += hi - lo
    else:
        stamps[s] = stamp
        keys[s] = key


@kernel
def _count_segments(cps, a, b, min_run, keys, stamps, stamp, mask, acc) -> None:
    """Count the segments of ``cps[a:b]`` split at runs of >= ``min_run`` newlines
    (1: lines as ``re.split("\\n+")``, 2: paragraphs as ``re.split("\\n{2,}")``)."""
    acc[:] = 0
    start = a
    i = a
    while i < b:
        if cps[i] == 10 and i + min_run <= b and (min_run == 1 or cps[i + 1] == 10):
            _count_segment(cps, start, i, keys, stamps, stamp, mask, acc)
            while i < b and cps[i] == 10:
                i += 1
            start = i
        else:
            i += 1
    _count_segment(cps, start, b, keys, stamps, stamp, mask, acc)


@kernel
def _line_para_kernel(cps, text_offsets, table, out):  # pragma: no cover - compiled
    """Duplicate lines (the text split at runs of newlines) and paragraphs (the
    stripped text split at runs of two or more newlines), per document:
    ``out[0..3] = dup paragraphs / paragraphs, their characters, dup lines / lines,
    their characters``. Segments are compared by a 64-bit hash of their code points."""
    most = 2
    for d in range(text_offsets.shape[0] - 1):
        nl = 2
        for i in range(text_offsets[d], text_offsets[d + 1]):
            if cps[i] == 10:
                nl += 1
        most = max(most, nl)
    mask, keys, stamps = _hash_table(most)
    acc = np.zeros(3, dtype=np.int64)
    stamp = 0
    for d in range(text_offsets.shape[0] - 1):
        a, b = text_offsets[d], text_offsets[d + 1]
        # Lines: re.split("\n+", text).
        stamp += 1
        _count_segments(cps, a, b, 1, keys, stamps, stamp, mask, acc)
        out[2, d] = acc[1] / acc[0]
        out[3, d] = acc[2]
        # Paragraphs: re.split("\n{2,}", text.strip()).
        while a < b and cps[a] < table.shape[0] and table[cps[a]] & SPACE:
            a += 1
        while b > a and cps[b - 1] < table.shape[0] and table[cps[b - 1]] & SPACE:
            b -= 1
        stamp += 1
        _count_segments(cps, a, b, 2, keys, stamps, stamp, mask, acc)
        out[0, d] = acc[1] / acc[0]
        out[1, d] = acc[2]


def repetition_signals(
    texts: list[str],
    tokens: Tokens | None = None,
    top_ngrams: tuple[int, ...] | list[int] = TOP_NGRAMS,
    dup_ngrams: tuple[int, ...] | list[int] = DUP_NGRAMS,
) -> dict[str, np.ndarray]:
    """Per-document Gopher repetition signals (all fractions of the document).

    * ``dup_para_frac``/``dup_para_char_frac``: paragraphs (split at blank lines of
      the stripped text) that repeat an earlier one, as a fraction of paragraphs /
      their characters as a fraction of all characters; ``dup_line_*`` likewise for
      non-empty lines;
    * ``top_{n}gram_char_frac``: characters covered by the most frequent word
      n-gram (its length with single spaces, times its count; ties go to the
      n-gram seen first);
    * ``dup_{n}gram_char_frac``: characters of word n-grams that repeat an earlier
      n-gram, each character counted once — datatrove's reading: scanning left to
      right, a repeated n-gram adds its characters (without spaces) and the scan
      jumps past it.
    """
    tokens = tokens if tokens is not None else tokenize(texts)
    n = len(texts)
    lengths = np.diff(tokens.text_offsets).astype(np.float64)
    safe = np.maximum(lengths, 1.0)
    out: dict[str, np.ndarray] = {}
    counts = np.zeros((4, n), dtype=np.float64)
    _line_para_kernel(tokens.cps, tokens.text_offsets, char_table(), counts)
    out["dup_para_frac"] = counts[0]
    out["dup_para_char_frac"] = counts[1] / safe
    out["dup_line_frac"] = counts[2]
    out["dup_line_char_frac"] = counts[3] / safe

    top = np.zeros((len(top_ngrams), n), dtype=np.float64)
    dup = np.zeros((len(dup_ngrams), n), dtype=np.float64)
    _ngram_kernel(tokens.tok_offsets, tokens.starts, tokens.ends, tokens.hashes,
                  np.asarray(top_ngrams, dtype=np.int64), np.asarray(dup_ngrams, dtype=np.int64),
                  top, dup)
    for k, size in enumerate(top_ngrams):
        out[f"top_{size}gram_char_frac"] = top[k] / safe
    for k, size in enumerate(dup_ngrams):
        out[f"dup_{size}gram_char_frac"] = dup[k] / safe
    return out


_MIX = np.uint64(0x9E3779B97F4A7C15)


@kernel
def _mix(h: np.uint64, x: np.uint64) -> np.uint64:
    """Extend an n-gram hash by the next token's hash (splitmix64 finaliser).

    Order matters: ``h * odd + x`` keeps "a b" and "b a" apart (``h ^ x`` would
    not, and would also make "a a" collide with every other doubled token).
    """
    z = h * np.uint64(0xD6E8FEB86659FD93) + x + _MIX
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@kernel
def _slot(keys, stamps, stamp, mask, key) -> int:
    """Open-addressing slot of ``key`` (found, or empty for this ``stamp``)."""
    s = np.int64(key >> np.uint64(1)) & mask
    while stamps[s] == stamp and keys[s] != key:
        s = (s + 1) & mask
    return s


@kernel
def _ngram_kernel(tok_offsets, starts, ends, hashes, top_ns, dup_ns, top_out,
                  dup_out):  # pragma: no cover - compiled
    most = 1
    for d in range(tok_offsets.shape[0] - 1):
        most = max(most, tok_offsets[d + 1] - tok_offsets[d])
    mask, keys, stamps = _hash_table(most)
    counts = np.zeros(mask + 1, dtype=np.int64)
    grams = np.empty(most, dtype=np.uint64)
    max_n = max(top_ns.max() if top_ns.size else 1, dup_ns.max() if dup_ns.size else 1)
    stamp = 0
    for d in range(tok_offsets.shape[0] - 1):
        lo, hi = tok_offsets[d], tok_offsets[d + 1]
        m = hi - lo
        for p in range(m):
            grams[p] = hashes[lo + p]
        for n in range(2, max_n + 1):
            positions = m - n + 1
            if positions <= 0:
                break
            for p in range(positions):
                grams[p] = _mix(grams[p], hashes[lo + p + n - 1])
            for k in range(top_ns.shape[0]):
                if top_ns[k] != n:
                    continue
                stamp += 1
                best = 0
                best_first = 0
                for p in range(positions):
                    s = _slot(keys, stamps, stamp, mask, grams[p])
                    if stamps[s] != stamp:
                        stamps[s] = stamp
                        keys[s] = grams[p]
                        counts[s] = 0
                    counts[s] += 1
                for p in range(positions):
                    s = _slot(keys, stamps, stamp, mask, grams[p])
                    if counts[s] > best:
                        best = counts[s]
                        best_first = p
                    counts[s] = -counts[s] if counts[s] > 0 else counts[s]
                chars = n - 1
                for q in range(n):
                    chars += ends[lo + best_first + q] - starts[lo + best_first + q]
                top_out[k, d] = chars * best
            for k in range(dup_ns.shape[0]):
                if dup_ns[k] != n:
                    continue
                stamp += 1
                repeated = 0
                p = 0
                while p < positions:
                    s = _slot(keys, stamps, stamp, mask, grams[p])
                    if stamps[s] == stamp:
                        for q in range(n):
                            repeated += ends[lo + p + q] - starts[lo + p + q]
                        p += n
                    else:
                        stamps[s] = stamp
                        keys[s] = grams[p]
                        p += 1
                dup_out[k, d] = repeated

"""Gopher quality and repetition signals (Rae et al. 2021, "Scaling Language Models:
Methods, Analysis & Insights from Training Gopher", Appendix A.1.1 and Table A1).

Words are the tokens of ``winnow.text.words`` (punctuation is a token of its own,
as in the reference implementation, datatrove). Where the paper leaves a choice
open, datatrove's definition is followed and said so next to the code. All
fractions are 0 when their denominator is 0, so every signal is a finite number.
"""

from __future__ import annotations

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.chars import SPACE, char_table
from winnow.text.words import T_ALPHA, T_SYMBOL, Tokens, token_hash, tokenize

#: Gopher's stop words: a document must contain at least two of them.
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
#: What starts a bullet line; datatrove uses "•" and "-", the other bullets are
#: their Unicode siblings, which the paper's "bullet point" covers as well.
BULLETS = ("•", "‣", "◦", "⁃", "●", "▪", "-")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)



def quality_signals(
    texts: list[str],
    tokens: Tokens | None = None,
    stop_words: tuple[str, ...] | list[str] = STOP_WORDS,
    bullets: tuple[str, ...] | list[str] = BULLETS,
) -> dict[str, np.ndarray]:
    """Per-document Gopher quality signals.

    * ``word_count``: tokens with a character that is not punctuation ("words";
      datatrove counts these for the 50…100,000 bound);
    * ``mean_word_length``: their mean length in code points;
    * ``hash_ratio``, ``ellipsis_ratio``: occurrences of ``#`` and of ``...``/``…``
      per token;
    * ``bullet_lines_ratio``: lines whose first non-space character is a bullet;
    * ``ellipsis_lines_ratio``: lines ending (before trailing space) in ``...``/``…``;
      lines are separated by ``\\n`` and a final newline does not open a new line;
    * ``alpha_words_ratio``: tokens with an alphabetic character, per token;
    * ``stop_words``: how many distinct stop words occur (exact, case-sensitive
      tokens, as in datatrove).
    """
    tokens = tokens if tokens is not None else tokenize(texts)
    stop_hashes = np.array([token_hash(w) for w in stop_words], dtype=np.uint64)
    bullet_cps = np.array([ord(b) for b in bullets], dtype=np.uint32)
    n = len(texts)
    out = {name: np.zeros(n, dtype=np.float64) for name in (
        "mean_word_length", "hash_ratio", "ellipsis_ratio", "bullet_lines_ratio",
        "ellipsis_lines_ratio", "alpha_words_ratio")}
    out["word_count"] = np.zeros(n, dtype=np.int64)
    out["stop_words"] = np.zeros(n, dtype=np.int64)
    _quality_kernel(tokens.cps, tokens.text_offsets, tokens.tok_offsets, tokens.starts,
                    tokens.ends, tokens.hashes, tokens.flags, char_table(), stop_hashes,
                    max(map(len, stop_words), default=0), bullet_cps, out["word_count"],
                    out["mean_word_length"], out["hash_ratio"], out["ellipsis_ratio"],
                    out["bullet_lines_ratio"], out["ellipsis_lines_ratio"],
                    out["alpha_words_ratio"], out["stop_words"])
    return out


@kernel
def _is_space(table: np.ndarray, c: np.uint32) -> bool:
    return c < table.shape[0] and table[c] & SPACE != 0


@kernel
def _quality_kernel(cps, text_offsets, tok_offsets, starts, ends, hashes, flags, table,
                    stop_hashes, stop_max_len, bullet_cps, word_count, mean_word_length,
                    hash_ratio, ellipsis_ratio, bullet_lines_ratio, ellipsis_lines_ratio,
                    alpha_words_ratio, stop_words):  # pragma: no cover - compiled
    seen = np.zeros(stop_hashes.shape[0], dtype=np.bool_)
    for d in range(text_offsets.shape[0] - 1):
        lo, hi = tok_offsets[d], tok_offsets[d + 1]
        n_tokens = hi - lo
        words = 0
        word_chars = 0
        alpha = 0
        seen[:] = False
        for t in range(lo, hi):
            fl = flags[t]
            if not fl & T_SYMBOL:
                words += 1
                word_chars += ends[t] - starts[t]
            if fl & T_ALPHA:
                alpha += 1
            if ends[t] - starts[t] <= stop_max_len:
                for s in range(stop_hashes.shape[0]):
                    if hashes[t] == stop_hashes[s]:
                        seen[s] = True
        word_count[d] = words
        mean_word_length[d] = word_chars / words if words else 0.0
        alpha_words_ratio[d] = alpha / n_tokens if n_tokens else 0.0
        stop_words[d] = seen.sum()

        a, b = text_offsets[d], text_offsets[d + 1]
        hashes_n = 0
        ellipses = 0
        dots = 0
        lines = 0
        bullet_lines = 0
        ellipsis_lines = 0
        line_start = a
        for i in range(a, b + 1):
            c = cps[i] if i < b else np.uint32(10)
            if c == 46:
                dots += 1
                continue
            ellipses += dots // 3
            dots = 0
            if c == 35:
                hashes_n += 1
            elif c == 0x2026:
                ellipses += 1
            elif c == 10:
                if i == b and line_start == b:
                    break  # a final newline (or an empty text) opens no new line
                lines += 1
                k = line_start
                while k < i and _is_space(table, cps[k]):
                    k += 1
                if k < i:
                    for bc in bullet_cps:
                        if cps[k] == bc:
                            bullet_lines += 1
                            break
                e = i
                while e > line_start and _is_space(table, cps[e - 1]):
                    e -= 1
                if (e > line_start and cps[e - 1] == 0x2026) or (
                        e - line_start >= 3 and cps[e - 1] == 46 and cps[e - 2] == 46
                        and cps[e - 3] == 46):
                    ellipsis_lines += 1
                line_start = i + 1
        hash_ratio[d] = hashes_n / n_tokens if n_tokens else 0.0
        ellipsis_ratio[d] = ellipses / n_tokens if n_tokens else 0.0
        bullet_lines_ratio[d] = bullet_lines / lines if lines else 0.0
        ellipsis_lines_ratio[d] = ellipsis_lines / lines if lines else 0.0


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

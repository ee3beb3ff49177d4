"""Token window keys and winnowing fingerprints of ``substring_dedup`` (numba kernels).

Tokens come from ``winnow.text.words.tokenize`` (64-bit FNV-1a hashes of each
token's code points). A run of ``k`` tokens is keyed by a polynomial rolling hash
of the mixed token hashes modulo 2^64; a window of ``m`` (= ``min_tokens``)
tokens by two such hashes with different bases and mixes (128 bits).

Winnowing (Schleimer, Wilkerson and Aiken 2003): among every ``w`` consecutive
k-gram hashes the rightmost minimum is selected. Two documents sharing a run of
``t = w + k - 1`` tokens share the ``w`` k-grams of any winnowing window inside
it, hence that window's selected k-gram: a shared fingerprint is guaranteed.
"""

from __future__ import annotations

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.words import tokenize

_B1 = np.uint64(0x100000001B3)
_B2 = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xD6E8FEB86659FD93)


@kernel
def _mix(x: np.uint64) -> np.uint64:
    """splitmix64's finaliser: spreads the FNV hash over all 64 bits."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@kernel
def _rolling(tok: np.ndarray, lo: int, n: int, k: int, base: np.uint64, salt: np.uint64,
             out: np.ndarray) -> None:
    """``out[i]`` = hash of tokens ``lo+i … lo+i+k-1`` for i in 0 … n-k."""
    power = np.uint64(1)
    for _ in range(k):
        power = power * base
    h = np.uint64(0)
    for j in range(n):
        h = h * base + _mix(tok[lo + j] ^ salt)
        if j >= k:
            h = h - power * _mix(tok[lo + j - k] ^ salt)
        if j >= k - 1:
            out[j - k + 1] = h


@kernel
def _fingerprints(hashes, tok_offsets, k, w, out_doc, out_hash, out_pos) -> int:
    t = 0
    m = k + w - 1
    for d in range(tok_offsets.shape[0] - 1):
        lo = tok_offsets[d]
        n = tok_offsets[d + 1] - lo
        if n < m:
            continue  # no run of min_tokens: nothing of this text can repeat
        g = np.empty(n - k + 1, dtype=np.uint64)
        _rolling(hashes, lo, n, k, _B1, np.uint64(0), g)
        last = -1
        for i in range(n - k + 1 - w + 1):
            best = i
            for j in range(i + 1, i + w):
                if g[j] <= g[best]:
                    best = j
            if best != last:
                out_doc[t] = d
                out_hash[t] = g[best]
                out_pos[t] = best
                t += 1
                last = best
    return t


@kernel
def _window_keys(hashes, tok_offsets, starts, text_offsets, pos, pos_offsets, m, k,
                 out_doc, out_k1, out_k2, out_start, out_end) -> int:
    t = 0
    for d in range(tok_offsets.shape[0] - 1):
        lo = tok_offsets[d]
        n = tok_offsets[d + 1] - lo
        if n < m or pos_offsets[d + 1] == pos_offsets[d]:
            continue
        mark = np.zeros(n - m + 1, dtype=np.bool_)
        for q in range(pos_offsets[d], pos_offsets[d + 1]):
            p = pos[q]
            for s in range(max(0, p - (m - k)), min(p, n - m) + 1):
                mark[s] = True
        w1 = np.empty(n - m + 1, dtype=np.uint64)
        w2 = np.empty(n - m + 1, dtype=np.uint64)
        _rolling(hashes, lo, n, m, _B1, np.uint64(0), w1)
        _rolling(hashes, lo, n, m, _B2, _C2, w2)
        base = text_offsets[d]
        for s in range(n - m + 1):
            if mark[s]:
                out_doc[t] = d
                out_k1[t] = w1[s]
                out_k2[t] = w2[s]
                out_start[t] = starts[lo + s] - base
                # The cut runs to the next token (or the end), taking the space after.
                if s + m < n:
                    out_end[t] = starts[lo + s + m] - base
                else:
                    out_end[t] = text_offsets[d + 1] - base
                t += 1
    return t


def fingerprints(texts: list[str], k: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Winnowed k-gram fingerprints of each text: ``(doc, hash as int64, token position)``."""
    toks = tokenize(texts)
    cap = len(toks.hashes) + 1
    doc = np.empty(cap, dtype=np.int64)
    h = np.empty(cap, dtype=np.uint64)
    p = np.empty(cap, dtype=np.int64)
    n = _fingerprints(toks.hashes, toks.tok_offsets, k, w, doc, h, p)
    return doc[:n], h[:n].view(np.int64), p[:n]


def window_keys(texts: list[str], positions: list[list[int]], m: int, k: int
                ) -> tuple[np.ndarray, ...]:
    """Windows of ``m`` tokens holding a k-gram at one of ``positions[d]`` (shared
    fingerprints): ``(doc, key1, key2, start char, cut end char)``."""
    toks = tokenize(texts)
    counts = np.fromiter((len(x) for x in positions), dtype=np.int64, count=len(positions))
    pos_offsets = np.zeros(len(positions) + 1, dtype=np.int64)
    np.cumsum(counts, out=pos_offsets[1:])
    pos = np.fromiter((q for x in positions for q in x), dtype=np.int64,
                      count=int(pos_offsets[-1]))
    cap = len(toks.hashes) + 1
    doc = np.empty(cap, dtype=np.int64)
    k1 = np.empty(cap, dtype=np.uint64)
    k2 = np.empty(cap, dtype=np.uint64)
    cs = np.empty(cap, dtype=np.int64)
    ce = np.empty(cap, dtype=np.int64)
    n = _window_keys(toks.hashes, toks.tok_offsets, toks.starts, toks.text_offsets, pos,
                     pos_offsets, m, k, doc, k1, k2, cs, ce)
    return doc[:n], k1[:n].view(np.int64), k2[:n].view(np.int64), cs[:n], ce[:n]

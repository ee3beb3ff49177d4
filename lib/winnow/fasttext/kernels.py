"""The compiled kernels of winnow's fastText reader (``winnow.fasttext.model``).

Token lookup in the per-model token cache, character n-gram hashes, the summed
input rows per document, word n-gram rows and the hierarchical-softmax top k:
everything per token or per document, over flat numpy buffers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from winnow.numba_cache import kernel

WORD_NGRAM_MULTIPLIER = 116049371  # fastText's word n-gram hash combiner


@kernel(nogil=True)
def _fnv1a(buf: np.ndarray, start: int, end: int) -> int:
    """fastText's 32-bit FNV-1a; bytes ≥ 0x80 are sign-extended as ``int8`` first."""
    h = 2166136261
    for i in range(start, end):
        b = np.int64(buf[i])
        if b >= 128:
            b = b | 0xFFFFFF00
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


@kernel(nogil=True)
def _is_space(b: int) -> bool:
    """fastText's token separators: space, \\t \\n \\v \\f \\r and NUL."""
    return b == 32 or 9 <= b <= 13 or b == 0


@kernel(nogil=True)
def lookup_tokens(
    buf: np.ndarray, doc_offsets: np.ndarray, table: np.ndarray, slot_hash: np.ndarray,
    slot_start: np.ndarray, slot_len: np.ndarray, arena: np.ndarray, used: np.ndarray,
    eos_slot: int, out_slots: np.ndarray, out_offsets: np.ndarray,
) -> int:
    """Split each document on whitespace and map every token to its cache slot.

    ``table`` is an open-addressing hash table (FNV-1a of the token → slot); an unseen
    token gets the next slot, its bytes copied to ``arena``. Each document ends with
    ``eos_slot``. ``used`` holds (slots used, arena bytes used). Returns the number of
    tokens written, or -1 when the slots run out.
    """
    mask = len(table) - 1
    max_slots = len(slot_hash)
    nused, arena_used = used[0], used[1]
    n = 0
    for d in range(len(doc_offsets) - 1):
        i, end = doc_offsets[d], doc_offsets[d + 1]
        while i < end:
            if _is_space(buf[i]):
                i += 1
                continue
            s = i
            while i < end and not _is_space(buf[i]):
                i += 1
            h = _fnv1a(buf, s, i)
            length = i - s
            idx = h & mask
            while True:
                slot = table[idx]
                if slot < 0:
                    if nused >= max_slots:
                        return -1
                    slot = nused
                    nused += 1
                    table[idx] = slot
                    slot_hash[slot] = h
                    slot_start[slot] = arena_used
                    slot_len[slot] = length
                    arena[arena_used:arena_used + length] = buf[s:i]
                    arena_used += length
                    break
                if slot_hash[slot] == h and slot_len[slot] == length:
                    st = slot_start[slot]
                    same = True
                    for k in range(length):
                        if arena[st + k] != buf[s + k]:
                            same = False
                            break
                    if same:
                        break
                idx = (idx + 1) & mask
            out_slots[n] = slot
            n += 1
        out_slots[n] = eos_slot
        n += 1
        out_offsets[d + 1] = n
    used[0], used[1] = nused, arena_used
    return n


@kernel(nogil=True)
def char_ngram_hashes(
    buf: np.ndarray, offsets: np.ndarray, minn: int, maxn: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the minn..maxn character n-grams of each bracketed token ``<token>``.

    Characters are UTF-8 sequences; the lone ``<`` and ``>`` are not n-grams.
    Returns (hash, owning token index) pairs.
    """
    cap = 0
    for t in range(len(offsets) - 1):
        cap += (offsets[t + 1] - offsets[t]) * maxn
    hashes = np.empty(cap, np.int64)
    owner = np.empty(cap, np.int64)
    k = 0
    for t in range(len(offsets) - 1):
        s, e = offsets[t], offsets[t + 1]
        for i in range(s, e):
            if (buf[i] & 0xC0) == 0x80:
                continue
            j = i
            n = 1
            while j < e and n <= maxn:
                j += 1
                while j < e and (buf[j] & 0xC0) == 0x80:
                    j += 1
                if n >= minn and not (n == 1 and (i == s or j == e)):
                    hashes[k] = _fnv1a(buf, i, j)
                    owner[k] = t
                    k += 1
                n += 1
    return hashes[:k], owner[:k]


@kernel(nogil=True, fastmath=True)
def segment_sums(
    matrix: np.ndarray, rows: np.ndarray, offsets: np.ndarray, out: np.ndarray
) -> None:
    """``out[d] += Σ matrix[rows[i]]`` for i in ``offsets[d]:offsets[d + 1]`` (float32
    accumulation, as fastText's own)."""
    dim = matrix.shape[1]
    acc = np.empty(dim, np.float32)
    for d in range(len(offsets) - 1):
        acc[:] = 0.0
        for i in range(offsets[d], offsets[d + 1]):
            row = matrix[rows[i]]
            for c in range(dim):
                acc[c] += row[c]
        for c in range(dim):
            out[d, c] += acc[c]


@kernel(nogil=True)
def _log_sigmoid(x: float) -> float:
    """log σ(x), stable for large |x|."""
    return -np.log1p(np.exp(-x)) if x >= 0 else x - np.log1p(np.exp(x))


@kernel(nogil=True)
def hs_top_k(
    hidden: np.ndarray, output: np.ndarray, left: np.ndarray, right: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` leaves of a hierarchical softmax per row of ``hidden``, by depth-first
    search pruned at the current k-th best log-probability (as fastText does).

    Node ``n ≥ osz`` is internal with weights ``output[n - osz]``; its right child
    has probability σ(w·h), its left 1 − σ(w·h). Returns labels (-1 if fewer) and
    log-probabilities.
    """
    osz = output.shape[0]
    labels = np.full((hidden.shape[0], k), -1, np.int64)
    logp = np.full((hidden.shape[0], k), -np.inf)
    stack_node = np.empty(2 * osz, np.int64)
    stack_score = np.empty(2 * osz)
    for b in range(hidden.shape[0]):
        h = hidden[b].astype(np.float64)
        stack_node[0] = 2 * osz - 2
        stack_score[0] = 0.0
        top = 1
        while top > 0:
            top -= 1
            node, score = stack_node[top], stack_score[top]
            if score < logp[b, k - 1]:
                continue
            if node < osz:
                j = k - 1
                while j > 0 and logp[b, j - 1] < score:
                    logp[b, j] = logp[b, j - 1]
                    labels[b, j] = labels[b, j - 1]
                    j -= 1
                logp[b, j] = score
                labels[b, j] = node
                continue
            f = 0.0
            w = output[node - osz]
            for c in range(h.shape[0]):
                f += w[c] * h[c]
            stack_node[top], stack_score[top] = left[node], score + _log_sigmoid(-f)
            stack_node[top + 1], stack_score[top + 1] = right[node], score + _log_sigmoid(f)
            top += 2
    return labels, logp


@kernel(nogil=True, fastmath=True)
def word_ngram_sums(
    slots: np.ndarray, offsets: np.ndarray, is_word: np.ndarray, slot_hash: np.ndarray,
    n: int, bucket: int, nwords: int, prune_mode: int, pruned_row: np.ndarray,
    matrix: np.ndarray, out: np.ndarray, counts: np.ndarray,
) -> None:
    """Add the input rows of every word 2..n-gram of each document to ``out``/``counts``.

    As fastText: the word hashes (int32, widened to uint64 with sign) of consecutive
    words are chained ``h = h * 116049371 + next``; the row is ``nwords + h % bucket``
    (``prune_mode`` -1), none (0), or ``pruned_row[h % bucket]`` if kept (1).
    """
    dim = matrix.shape[1]
    acc = np.empty(dim, np.float32)
    longest = 0
    for d in range(len(offsets) - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    words = np.empty(longest, np.uint64)
    mult = np.uint64(WORD_NGRAM_MULTIPLIER)
    ubucket = np.uint64(bucket)
    for d in range(len(offsets) - 1):
        m = 0
        for i in range(offsets[d], offsets[d + 1]):
            slot = slots[i]
            if is_word[slot]:
                h = slot_hash[slot]
                words[m] = np.uint64(h - (1 << 32) if h >= (1 << 31) else h)
                m += 1
        acc[:] = 0.0
        added = 0
        for i in range(m):
            h = words[i]
            for j in range(i + 1, min(m, i + n)):
                h = h * mult + words[j]
                idx = np.int64(h % ubucket)
                if prune_mode < 0:
                    row = nwords + idx
                elif prune_mode == 0:
                    continue
                else:
                    row = pruned_row[idx]
                    if row < 0:
                        continue
                r = matrix[row]
                for c in range(dim):
                    acc[c] += r[c]
                added += 1
        for c in range(dim):
            out[d, c] += acc[c]
        counts[d] += added


def project(rows: np.ndarray, output: np.ndarray) -> np.ndarray:
    """``rows @ output.T`` in float32, a block at a time (rows may be a large memory map)."""
    out = np.empty((rows.shape[0], output.shape[0]), np.float32)
    step = 1 << 16
    for i in range(0, rows.shape[0], step):
        out[i:i + step] = rows[i:i + step] @ output.T
    return out


def pack(tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate byte strings into one buffer plus offsets for the kernels."""
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    offsets = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.frombuffer(b"".join(tokens), np.uint8), offsets

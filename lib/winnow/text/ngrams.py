"""Word n-gram hashes of normalised text, with their spans in the original text.

Tokens are those of the MinHash shingles (``winnow.minhash.shingles``: one
normaliser, shared): letters, marks and numbers, lowercased, decimal digits folded
to ``0``; every other run is a separator. The hash of an n-gram is the 64-bit FNV-1a
of its normalised form (tokens joined by one space, UTF-8), exactly the base hash
of a MinHash word shingle, finished with fmix64 so that it spreads over a hash
table. The kernels walk the Arrow UTF-8 buffers directly; no Python runs per
n-gram. Spans are in code points of the original text (``str`` indices), so a
match can be cut out of the document (``decontaminate``'s ``strip``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from winnow.minhash.shingles import _IDEOGRAPH_PLANES_END, _TABLE_END, fold_table
from winnow.minhash.signatures import FNV_OFFSET, FNV_PRIME, _fmix64, _put_utf8, _string_buffers
from winnow.numba_cache import kernel

_SPACE = np.uint8(0x20)
#: Key of an empty slot in a probe table (a hash equal to it is stored as 1).
EMPTY = np.uint64(0)


@kernel
def _tokens(data, start, end, table, norm, tok_b0, tok_b1, tok_c0, tok_c1) -> int:
    """Tokenise UTF-8 ``data[start:end]``: folded bytes into ``norm``; per token its
    byte span in ``norm`` and code-point span in the original. Returns the count."""
    pos = 0
    ntok = 0
    cpi = 0  # code point index in the original text
    in_tok = False
    i = start
    while i < end:
        c = np.int64(data[i])
        if c < 0x80:
            cp = c
            i += 1
        elif c >= 0xF0 and i + 3 < end:
            cp = ((c & 0x07) << 18) | ((np.int64(data[i + 1]) & 0x3F) << 12) | (
                (np.int64(data[i + 2]) & 0x3F) << 6) | (np.int64(data[i + 3]) & 0x3F)
            i += 4
        elif c >= 0xE0 and i + 2 < end:
            cp = ((c & 0x0F) << 12) | ((np.int64(data[i + 1]) & 0x3F) << 6) | (
                np.int64(data[i + 2]) & 0x3F)
            i += 3
        elif c >= 0xC0 and i + 1 < end:
            cp = ((c & 0x1F) << 6) | (np.int64(data[i + 1]) & 0x3F)
            i += 2
        else:
            cp = -1
            i += 1
        if cp < 0:
            folded = -1
        elif cp < _TABLE_END:
            folded = table[cp]
        elif cp < _IDEOGRAPH_PLANES_END:
            folded = cp
        else:
            folded = -1
        if folded < 0:
            if in_tok:
                tok_b1[ntok] = pos
                tok_c1[ntok] = cpi
                ntok += 1
                in_tok = False
        else:
            if not in_tok:
                if ntok > 0:
                    norm[pos] = _SPACE
                    pos += 1
                tok_b0[ntok] = pos
                tok_c0[ntok] = cpi
                in_tok = True
            pos = _put_utf8(norm, pos, folded)
        cpi += 1
    if in_tok:
        tok_b1[ntok] = pos
        tok_c1[ntok] = cpi
        ntok += 1
    return ntok


@kernel
def _ngram_hashes(norm, ntok, ngram, tok_b0, tok_b1, hashes) -> int:
    count = ntok - ngram + 1
    for j in range(count):
        h = FNV_OFFSET
        for p in range(tok_b0[j], tok_b1[j + ngram - 1]):
            h = (h ^ np.uint64(norm[p])) * FNV_PRIME
        h = _fmix64(h)
        hashes[j] = h if h != EMPTY else np.uint64(1)
    return max(count, 0)


@kernel
def _all_hashes(data, offsets, ngram, table, doc_out, hash_out) -> int:
    """Every n-gram hash of every document (flat) and its document index."""
    n_docs = offsets.shape[0] - 1
    longest = 0
    for d in range(n_docs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    n = 2 * longest + 8
    norm = np.empty(n, np.uint8)
    b0 = np.empty(n, np.int64)
    b1 = np.empty(n, np.int64)
    c0 = np.empty(n, np.int64)
    c1 = np.empty(n, np.int64)
    hashes = np.empty(n, np.uint64)
    k = 0
    for d in range(n_docs):
        ntok = _tokens(data, offsets[d], offsets[d + 1], table, norm, b0, b1, c0, c1)
        count = _ngram_hashes(norm, ntok, ngram, b0, b1, hashes)
        for j in range(count):
            doc_out[k] = d
            hash_out[k] = hashes[j]
            k += 1
    return k


def ngram_hashes(texts: pa.Array, ngram: int, table: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(document index, n-gram hash) of every n-gram of every text, as two arrays."""
    data, offsets = _string_buffers(texts)
    cap = max(int(offsets[-1] - offsets[0]) if len(offsets) else 0, 1)  # n-grams <= bytes
    docs = np.empty(cap, np.int64)
    hashes = np.empty(cap, np.uint64)
    k = _all_hashes(data, offsets, ngram, fold_table() if table is None else table, docs,
                    hashes)
    return docs[:k], hashes[:k]


def text_ngram_hashes(texts: list[str], ngram: int) -> np.ndarray:
    """The distinct n-gram hashes of some texts (the evaluation side)."""
    _, hashes = ngram_hashes(pa.array(texts, pa.string()), ngram)
    return np.unique(hashes)


def build_table(hashes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open-addressing (linear probing) table of distinct ``hashes`` -> ``masks``.

    Size a power of two with load <= 0.5; key ``EMPTY`` marks a free slot.
    """
    size = 1 << max(4, int(2 * max(len(hashes), 1) - 1).bit_length())
    keys = np.zeros(size, np.uint64)
    vals = np.zeros(size, np.int64)
    _fill(hashes.astype(np.uint64), masks.astype(np.int64), keys, vals)
    return keys, vals


@kernel
def _fill(hashes, masks, keys, vals) -> None:
    mask = np.uint64(keys.shape[0] - 1)
    for i in range(hashes.shape[0]):
        h = hashes[i]
        s = h & mask
        while keys[s] != EMPTY and keys[s] != h:
            s = (s + np.uint64(1)) & mask
        keys[s] = h
        vals[s] |= masks[i]


@kernel(inline="always")
def _lookup(keys, vals, h) -> np.int64:
    mask = np.uint64(keys.shape[0] - 1)
    s = h & mask
    while True:
        k = keys[s]
        if k == h:
            return vals[s]
        if k == EMPTY:
            return np.int64(0)
        s = (s + np.uint64(1)) & mask


@kernel
def _probe(data, offsets, ngram, table, keys, vals, counts, doc_masks, match_off,
           m_hash, m_mask, m_c0, m_c1) -> int:
    """Per document: matched n-gram positions, OR of their masks; every match's hash,
    mask and code-point span (flat, ``match_off`` per document). Returns the total."""
    n_docs = offsets.shape[0] - 1
    longest = 0
    for d in range(n_docs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    n = 2 * longest + 8
    norm = np.empty(n, np.uint8)
    b0 = np.empty(n, np.int64)
    b1 = np.empty(n, np.int64)
    c0 = np.empty(n, np.int64)
    c1 = np.empty(n, np.int64)
    hashes = np.empty(n, np.uint64)
    k = 0
    for d in range(n_docs):
        match_off[d] = k
        ntok = _tokens(data, offsets[d], offsets[d + 1], table, norm, b0, b1, c0, c1)
        count = _ngram_hashes(norm, ntok, ngram, b0, b1, hashes)
        hits = 0
        dm = np.int64(0)
        for j in range(count):
            v = _lookup(keys, vals, hashes[j])
            if v != 0:
                hits += 1
                dm |= v
                if k < m_hash.shape[0]:
                    m_hash[k] = hashes[j]
                    m_mask[k] = v
                    m_c0[k] = c0[j]
                    m_c1[k] = c1[j + ngram - 1]
                    k += 1
        counts[d] = hits
        doc_masks[d] = dm
    match_off[n_docs] = k
    return k


class Matches:
    """What ``probe`` found in a batch: per document and per matched n-gram."""

    def __init__(self, counts, masks, offsets, hashes, hash_masks, starts, ends):
        self.counts = counts          # matched n-gram positions per document
        self.masks = masks            # OR of the benchmark bits per document
        self.offsets = offsets        # matches of document d: offsets[d]:offsets[d+1]
        self.hashes = hashes
        self.hash_masks = hash_masks
        self.starts = starts          # code-point span of each match in its document
        self.ends = ends


#: Matches recorded per batch for spans and attribution (counts stay exact beyond).
MAX_RECORDED = 1 << 22


def probe(texts: pa.Array, ngram: int, keys: np.ndarray, vals: np.ndarray,
          table: np.ndarray | None = None) -> Matches:
    """Look every n-gram of ``texts`` up in the table from ``build_table``."""
    data, offsets = _string_buffers(texts)
    n = len(offsets) - 1
    counts = np.zeros(n, np.int64)
    masks = np.zeros(n, np.int64)
    moff = np.zeros(n + 1, np.int64)
    cap = min(max(int(offsets[-1] - offsets[0]) if n else 0, 1), MAX_RECORDED)
    mh = np.empty(cap, np.uint64)
    mm = np.empty(cap, np.int64)
    m0 = np.empty(cap, np.int64)
    m1 = np.empty(cap, np.int64)
    k = _probe(data, offsets, ngram, fold_table() if table is None else table, keys, vals,
               counts, masks, moff, mh, mm, m0, m1)
    return Matches(counts, masks, moff, mh[:k], mm[:k], m0[:k], m1[:k])

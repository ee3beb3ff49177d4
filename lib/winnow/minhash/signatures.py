"""MinHash signatures and band keys for a whole Arrow batch in one compiled pass.

Per document the numba kernel decodes UTF-8 straight from the Arrow buffers,
normalises as ``shingles.normalize_for_shingles`` does, hashes every shingle's
UTF-8 bytes with 64-bit FNV-1a (the base hash), and keeps for each permutation
``k`` the minimum of ``a_k * fmix64(h) + b_k mod 2**64``. That is datasketch's
``affine64`` scheme (MurmurHash3's fmix64 pre-mix, then an affine bijection with
odd ``a_k``), so given the same permutations its ``MinHash`` values are identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from winnow.minhash.shingles import _IDEOGRAPH_PLANES_END, _TABLE_END, fold_table
from winnow.numba_cache import kernel

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_SPACE = np.uint8(0x20)


@dataclass(frozen=True)
class Permutations:
    """The ``a`` (odd) and ``b`` coefficients of the affine permutations, from a seed."""

    a: np.ndarray
    b: np.ndarray

    @classmethod
    def from_seed(cls, num_perm: int, seed: int) -> Permutations:
        rng = np.random.default_rng(seed)
        a = rng.integers(0, 2**63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        b = rng.integers(0, 2**64 - 1, num_perm, dtype=np.uint64, endpoint=True)
        return cls(a, b)

    def __len__(self) -> int:
        return len(self.a)


def fnv1a64(data: bytes) -> int:
    """The 64-bit FNV-1a hash of ``data``: the base hash of one shingle."""
    h = int(FNV_OFFSET)
    for byte in data:
        h = ((h ^ byte) * int(FNV_PRIME)) & 0xFFFFFFFFFFFFFFFF
    return h


@kernel(inline="always")
def _fmix64(h: np.uint64) -> np.uint64:
    h ^= h >> _S33
    h *= _FMIX_1
    h ^= h >> _S33
    h *= _FMIX_2
    h ^= h >> _S33
    return h


@kernel(inline="always")
def _put_utf8(buf: np.ndarray, pos: int, cp: int) -> int:
    """Encode code point ``cp`` at ``buf[pos:]``; return the new position."""
    if cp < 0x80:
        buf[pos] = cp
        return pos + 1
    if cp < 0x800:
        buf[pos] = 0xC0 | (cp >> 6)
        buf[pos + 1] = 0x80 | (cp & 0x3F)
        return pos + 2
    if cp < 0x10000:
        buf[pos] = 0xE0 | (cp >> 12)
        buf[pos + 1] = 0x80 | ((cp >> 6) & 0x3F)
        buf[pos + 2] = 0x80 | (cp & 0x3F)
        return pos + 3
    buf[pos] = 0xF0 | (cp >> 18)
    buf[pos + 1] = 0x80 | ((cp >> 12) & 0x3F)
    buf[pos + 2] = 0x80 | ((cp >> 6) & 0x3F)
    buf[pos + 3] = 0x80 | (cp & 0x3F)
    return pos + 4


@kernel
def _normalise(data, start, end, table, out) -> int:
    """Normalise UTF-8 ``data[start:end]`` into ``out``; return its length in bytes.

    Tokens are separated by exactly one space, with none leading or trailing.
    Invalid UTF-8 bytes count as separators.
    """
    pos = 0
    gap = False
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
            gap = True
            continue
        if gap and pos > 0:
            out[pos] = _SPACE
            pos += 1
        gap = False
        pos = _put_utf8(out, pos, folded)
    return pos


@kernel
def _minhash(hashes, count, a, b, sig) -> None:
    """``sig[k]`` = min over the ``count`` shingle hashes of ``a[k] * fmix64(h) + b[k]``.

    Permutations outer, shingles inner: the inner loop is a branch-free min
    reduction that LLVM vectorises.
    """
    for j in range(count):
        hashes[j] = _fmix64(hashes[j])
    for k in range(a.shape[0]):
        ak = a[k]
        bk = b[k]
        m = _MAX
        for j in range(count):
            v = ak * hashes[j] + bk
            m = v if v < m else m
        sig[k] = m


@kernel
def _word_shingles(norm, length, ngram, starts, ends, hashes) -> int:
    """Base hashes of the word ``ngram``-grams of ``norm[:length]``; return their count."""
    ntok = 0
    i = 0
    while i < length:
        starts[ntok] = i
        while i < length and norm[i] != _SPACE:
            i += 1
        ends[ntok] = i
        ntok += 1
        i += 1
    count = ntok - ngram + 1
    for j in range(count):
        h = FNV_OFFSET
        for p in range(starts[j], ends[j + ngram - 1]):
            h = (h ^ np.uint64(norm[p])) * FNV_PRIME
        hashes[j] = h
    return max(count, 0)


@kernel
def _char_shingles(norm, length, ngram, starts, ends, hashes) -> int:
    """Base hashes of the character ``ngram``-grams (spaces skipped) of ``norm[:length]``."""
    nchar = 0
    i = 0
    while i < length:
        if norm[i] == _SPACE:
            i += 1
            continue
        starts[nchar] = i
        i += 1
        while i < length and (norm[i] & 0xC0) == 0x80:
            i += 1
        ends[nchar] = i
        nchar += 1
    count = nchar - ngram + 1
    for j in range(count):
        h = FNV_OFFSET
        for c in range(j, j + ngram):
            for p in range(starts[c], ends[c]):
                h = (h ^ np.uint64(norm[p])) * FNV_PRIME
        hashes[j] = h
    return max(count, 0)


@kernel
def _batch_signatures(data, offsets, ngram, by_char, table, a, b, sigs, counts) -> None:
    n_docs = offsets.shape[0] - 1
    longest = 0
    for d in range(n_docs):
        longest = max(longest, offsets[d + 1] - offsets[d])
    # Lowercasing can grow a character from 2 to 3 UTF-8 bytes: 1.5x, plus spaces.
    norm = np.empty(2 * longest + 8, dtype=np.uint8)
    starts = np.empty(2 * longest + 8, dtype=np.int64)
    ends = np.empty(2 * longest + 8, dtype=np.int64)
    hashes = np.empty(2 * longest + 8, dtype=np.uint64)
    for d in range(n_docs):
        length = _normalise(data, offsets[d], offsets[d + 1], table, norm)
        if by_char:
            count = _char_shingles(norm, length, ngram, starts, ends, hashes)
        else:
            count = _word_shingles(norm, length, ngram, starts, ends, hashes)
        _minhash(hashes, count, a, b, sigs[d])
        counts[d] = count


@kernel
def _band_keys(sigs, bands, rows, keys) -> None:
    for d in range(sigs.shape[0]):
        for band in range(bands):
            h = FNV_OFFSET
            for k in range(band * rows, (band + 1) * rows):
                h = (h ^ sigs[d, k]) * FNV_PRIME
            keys[d, band] = _fmix64(h)


def _string_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes and int64 offsets of a string array (nulls read as empty)."""
    if pa.types.is_large_string(texts.type):
        offset_type = np.int64
    elif pa.types.is_string(texts.type):
        offset_type = np.int32
    else:
        raise TypeError(f"expected a string array, got {texts.type}")
    if texts.null_count:
        texts = texts.fill_null("")
    _, offsets_buf, data_buf = texts.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[
        texts.offset: texts.offset + len(texts) + 1].astype(np.int64)
    data = (np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None
            else np.zeros(0, dtype=np.uint8))
    return data, offsets


def signatures(
    texts: pa.Array, perms: Permutations, ngram: int = 5, unit: str = "word",
    table: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (uint64, one row per document) and shingle counts.

    A document with no shingle (shorter than ``ngram`` units) has count 0 and an
    all-ones signature that must not be used: callers leave it out of LSH.
    ``table`` is ``shingles.fold_table()``; pass it to ship it to executors
    instead of rebuilding it in every Python worker.
    """
    data, offsets = _string_buffers(texts)
    n = len(offsets) - 1
    sigs = np.empty((n, len(perms)), dtype=np.uint64)
    counts = np.empty(n, dtype=np.int64)
    _batch_signatures(data, offsets, ngram, unit == "char",
                      fold_table() if table is None else table, perms.a, perms.b, sigs, counts)
    return sigs, counts


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band (FNV-1a over the band's values, fmix64-finished)."""
    if sigs.shape[1] < bands * rows:
        raise ValueError(f"signature has {sigs.shape[1]} values, need {bands * rows}")
    keys = np.empty((sigs.shape[0], bands), dtype=np.uint64)
    _band_keys(sigs, bands, rows, keys)
    return keys

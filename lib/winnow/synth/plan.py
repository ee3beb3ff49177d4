"""Counter-based randomness: the kind, language and origin of every document index."""

from __future__ import annotations

import hashlib

import numpy as np

from winnow.synth.vocabulary import (
    _BAD_SPLIT,
    _BOILERPLATE,
    _CLEAN,
    _EN,
    _EXACT_DUP,
    _KIND,
    _LANG,
    _LANG_CDF,
    _LANGS,
    _NEAR_DUP,
    _ORIGIN,
    _ORIGIN_TRIES,
    _SPAM,
    KINDS,
)

_BITGEN = np.random.PCG64(0)
_RNG = np.random.Generator(_BITGEN)


def _stream(seed: int, index: int) -> np.random.Generator:
    """This process's generator, reset to a PCG64 stream keyed by a hash of ``(seed, index)``.

    Resetting one bit generator is ~5x cheaper than building one per document.
    """
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=32).digest()
    _BITGEN.state = {
        "bit_generator": "PCG64",
        "state": {"state": int.from_bytes(digest[:16]), "inc": int.from_bytes(digest[16:]) | 1},
        "has_uint32": 0, "uinteger": 0,
    }
    return _RNG


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _hash(seed: int, keys: np.ndarray, stream: int) -> np.ndarray:
    """64 random bits per key, a pure function of ``(seed, stream, key)``."""
    salt = _mix64(_mix64(np.array([stream], np.uint64)) ^ np.uint64(seed % 2**64))
    return _mix64(keys.astype(np.uint64) ^ salt)


def _uniform(seed: int, keys: np.ndarray, stream: int) -> np.ndarray:
    """Uniform [0, 1) per key (53 bits)."""
    return (_hash(seed, keys, stream) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _uniform2(seed: int, keys: np.ndarray, stream: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent uniforms in (0, 1) per key, from the two 32-bit halves of one hash."""
    h = _hash(seed, keys, stream)
    high = (h >> np.uint64(32)).astype(np.float64)
    low = (h & np.uint64(0xFFFFFFFF)).astype(np.float64)
    return (high + 0.5) * 2.0**-32, (low + 0.5) * 2.0**-32


def _kind_cdf(exact_dup: float, near_dup: float, bad: float) -> np.ndarray:
    """Cumulative kind probabilities in :data:`KINDS` order."""
    if min(exact_dup, near_dup, bad) < 0 or exact_dup + near_dup + bad > 1:
        raise ValueError("rates must be >= 0 and sum to at most 1")
    p = np.zeros(len(KINDS))
    p[_EXACT_DUP], p[_NEAR_DUP] = exact_dup, near_dup
    for kind, share in _BAD_SPLIT.items():
        p[kind] = bad * share
    p[_CLEAN] = 1.0 - p.sum()
    return np.cumsum(p)


def _base_kind(seed: int, index: np.ndarray, kind_cdf: np.ndarray) -> np.ndarray:
    """Kind drawn from the hash, before copies without an original fall back to clean."""
    kind = np.searchsorted(kind_cdf, _uniform(seed, index, _KIND), side="right")
    return np.minimum(kind, len(KINDS) - 1)


def _lang_of(seed: int, index: np.ndarray) -> np.ndarray:
    """Language code (position in ``LANG_SHARES``) per index."""
    lang = np.searchsorted(_LANG_CDF, _uniform(seed, index, _LANG), side="right")
    return np.minimum(lang, len(_LANGS) - 1)


def _plan(seed: int, index: np.ndarray, kind_cdf: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kind, language and original (-1 if none) of each document, vectorised.

    A copy's original is the first of a few hashed earlier indices whose kind is clean; a copy
    takes its original's language. Boilerplate and spam are English.
    """
    kind = _base_kind(seed, index, kind_cdf)
    lang = _lang_of(seed, index)
    origin = np.full(index.size, -1, np.int64)
    copies = np.flatnonzero((kind == _EXACT_DUP) | (kind == _NEAR_DUP))
    if copies.size:
        at = index[copies]
        tries = (at[:, None] * _ORIGIN_TRIES + np.arange(_ORIGIN_TRIES)).ravel()
        u = _uniform(seed, tries, _ORIGIN).reshape(-1, _ORIGIN_TRIES)
        candidates = (u * at[:, None]).astype(np.int64)
        clean = _base_kind(seed, candidates, kind_cdf) == _CLEAN
        found = clean.any(axis=1)
        chosen = candidates[np.arange(at.size), clean.argmax(axis=1)]
        origin[copies[found]] = chosen[found]
        lang[copies[found]] = _lang_of(seed, chosen[found])
        kind[copies[~found]] = _CLEAN
    lang[(kind == _BOILERPLATE) | (kind == _SPAM)] = _EN
    return kind, lang, origin



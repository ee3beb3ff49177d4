"""Deterministic synthetic web corpus with planted junk and duplicates, for testing winnow.

:func:`generate` writes under ``DIR``:

* ``docs/part-NNNNN.jsonl.gz`` — JSON lines ``{"id", "text", "url", "lang"}``, gzip level 1.
* ``ground_truth.parquet`` — one row per document: ``id``, ``kind`` (one of :data:`KINDS`),
  ``copy_of`` (id of the original for ``exact_dup``/``near_dup``, else null), ``edit`` (one of
  :data:`EDITS` for copies, else null) and ``lang``. Parquet keeps the nulls typed for Spark.

Every document is a pure function of ``(seed, index)``. Kind, language, clean text and URL
come from a counter-based hash of ``(seed, index, position)``, so a chunk of documents is
built with a few whole-array numpy calls, and any shard can rebuild the text of any earlier
document: that is how a copy finds its original, usually written by another shard. The
irregular parts (junk pages, near-copy edits) use a per-document PCG64 stream. The bytes
written therefore do not depend on how many worker processes share the shards.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import math
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import wordfreq

KINDS = ("clean", "boilerplate", "spam", "short", "repetitive", "exact_dup", "near_dup")
EDITS = ("exact", "edit", "insert", "truncate", "reorder")
LANG_SHARES = {
    "en": 0.74, "de": 0.05, "fr": 0.04, "es": 0.04, "it": 0.025, "pt": 0.02,
    "nl": 0.015, "ru": 0.025, "pl": 0.01, "zh": 0.02, "ja": 0.015,
}
DOCS_PER_SHARD = 50_000
# Kept out of clean text, so that rules keyed on them only ever fire on planted junk.
BAD_WORDS = (
    "porn", "porno", "xxx", "sex", "sexy", "nude", "naked", "fuck", "shit", "bitch", "pussy",
    "dick", "cock", "slut", "whore", "milf", "anal", "escort", "viagra", "cialis",
)

_CLEAN, _BOILERPLATE, _SPAM, _SHORT, _REPETITIVE, _EXACT_DUP, _NEAR_DUP = range(len(KINDS))
_NO_EDIT, _EXACT, _EDIT, _INSERT, _TRUNCATE, _REORDER = range(-1, len(EDITS))
# How the bad share splits over the junk kinds.
_BAD_SPLIT = {_BOILERPLATE: 0.30, _SPAM: 0.25, _SHORT: 0.25, _REPETITIVE: 0.20}

_LANGS = tuple(LANG_SHARES)
_LANG_CDF = np.cumsum(list(LANG_SHARES.values()))
_EN = _LANGS.index("en")
_UNSPACED = {"zh": "，", "ja": "、"}  # languages written without spaces -> their comma
_TLDS = {
    "en": ("com", "com", "com", "org", "net", "co.uk", "io"), "de": ("de", "de", "com", "at"),
    "fr": ("fr", "fr", "com", "be"), "es": ("es", "es", "com", "com.mx"), "it": ("it", "com"),
    "pt": ("com.br", "pt", "com"), "nl": ("nl", "nl", "com"), "ru": ("ru", "ru", "com"),
    "pl": ("pl", "com"), "zh": ("cn", "com.cn", "com"), "ja": ("jp", "co.jp", "com"),
}

# A token renders as word + punct + separator; the codes index the mark table.
_NONE, _COMMA, _PERIOD, _QUESTION, _EXCLAIM = range(5)
_SPACE, _LINE, _PARA, _END = range(4)
_MARKS_PER_LANG = 20  # 5 punct x 4 separators
# End of a sentence: its punctuation, and the break after it (paragraphs of ~4 sentences).
_TERMINALS = np.array([_PERIOD, _QUESTION, _EXCLAIM], np.uint8)
_TERMINAL_CDF = np.array([0.9, 0.96])
_BREAKS = np.array([_PARA, _LINE, _SPACE], np.uint8)
_BREAK_CDF = np.array([0.25, 0.45])

_VOCAB_SIZE = 8000
_SAMPLER_BITS = 18  # Zipf sampler resolution: even rank 8000 gets ~4 of the 2**18 cells
_ZIPF_SHIFT = 2.7  # Zipf-Mandelbrot offset: flattens the head a little, like real text
_DOC_LOG_MEDIAN = math.log(380)  # clean body words: median 380, ~90% within 100-1500
_DOC_LOG_SIGMA = 0.85
_MIN_CLEAN_WORDS = 50  # clean docs are never shorter, so all of them can be originals
_MAX_DOC_WORDS = 12_000  # < 2**16 - title: positions fit the low 16 bits of a token key
_SENTENCE_SCALE = 5.5  # sentence = 3 + Erlang-2 words: mean 14
_COMMA_RATE = 0.06
_TITLE_RATE = 0.6
_ORIGIN_TRIES = 32
_N_DOMAINS = 400
_MIN_SLUG_WORDS = 200  # languages with fewer ASCII words get numeric URL paths
_CHUNK = 1000  # documents built and written together

# Counter-hash streams: per-document ones below _TEXT_STREAMS; text purpose P uses streams
# P * _TEXT_STREAMS + 0..2.
_KIND, _LANG, _ORIGIN, _LENGTH, _TITLE, _URL = range(6)
_CLEAN_TEXT, _INSERT_TEXT = range(1, 3)
_TEXT_STREAMS = 16

_MARKER_WORDS = ("lorem", "ipsum", "javascript", "cookie", "cookies")
_NAV = (
    "Home", "About", "About Us", "Contact", "Contact Us", "Blog", "News", "Shop", "Products",
    "Services", "FAQ", "Careers", "Login", "Sign Up", "Search", "Support", "Privacy Policy",
    "Terms of Service", "Sitemap", "Cart", "Help", "Events", "Gallery", "Menu",
)
_NOTICES = (
    "We use cookies to improve your experience on our website.",
    "By continuing to browse this site, you agree to our use of cookies.",
    "This website uses cookies to ensure you get the best experience.",
    "Accept all cookies",
    "Manage cookie preferences",
    "Please enable JavaScript in your browser to view this page.",
    "JavaScript is disabled. Some features of this site may not work.",
    "Your browser does not support JavaScript.",
    "We value your privacy. Read our Privacy Policy to learn more.",
    "By using this site you agree to the Terms of Use and Privacy Policy.",
    "Sign in to your account",
    "Forgot your password?",
    "Subscribe to our newsletter",
    "Enter your email address",
    "Share this: Facebook Twitter LinkedIn Email",
    "Skip to main content",
    "Back to top",
    "Powered by WordPress",
    "Leave a comment",
    "Posted in Uncategorized",
    "Read more",
    "Loading...",
    "window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}",
)
_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate"
).split()
_SPAM_TOPICS = (
    ("cheap flights", "best price", "book now", "last minute deals", "cheap hotels", "discount"),
    ("buy viagra", "cheap cialis", "online pharmacy", "no prescription", "free shipping"),
    ("online casino", "free spins", "casino bonus", "poker", "jackpot", "win real money"),
    ("payday loans", "fast cash", "no credit check", "instant approval", "bad credit loans"),
    ("weight loss", "diet pills", "lose weight fast", "fat burner", "miracle results"),
    ("replica watches", "cheap rolex", "designer bags", "outlet", "sale", "best quality"),
    ("seo services", "backlinks", "rank first on google", "cheap seo", "more traffic"),
    ("bitcoin", "crypto", "free money", "airdrop", "100x", "giveaway"),
)
_SPAM_SYMBOLS = (
    "🔥", "💰", "✅", "👉", "$$$", "!!!", ">>>", "<<<", "★★★★★", "CLICK HERE", "FREE", "100%",
    "WIN", "LIMITED OFFER", "***", "@@@", "###", "€€€",
)


@dataclass(frozen=True, slots=True)
class _Tables:
    """Vocabularies of all languages, flattened so one gather renders a mixed-language batch.

    Renderable pieces are UTF-8 byte strings in one buffer: word ``w`` of language ``g`` in
    lower and capitalised form at ``2 * (base[g] + w) + cap``, then the marks (punctuation +
    separator, JSON-escaped) at ``mark_base + _MARKS_PER_LANG * g + 4 * punct + sep``.
    """

    buffer: np.ndarray  # uint8
    start: np.ndarray  # per piece: offset into ``buffer``
    length: np.ndarray  # per piece: byte length
    mark_base: int
    base: np.ndarray  # per language: id of its first word in the flat numbering
    words: tuple[tuple[str, ...], ...]  # per language, most frequent first
    inverse_cdf: np.ndarray  # (languages, 2**_SAMPLER_BITS): word id per Zipf quantile
    slugs: tuple[tuple[str, ...], ...]  # per language: ASCII words usable in URL paths
    domains: tuple[str, ...]  # site names, most popular first
    domain_cdf: np.ndarray


def _usable(word: str, excluded: set[str]) -> bool:
    """A word worth sampling: bounded by letters or digits, nothing JSON must escape."""
    return (word[0].isalnum() and word[-1].isalnum() and word.isprintable()
            and '"' not in word and "\\" not in word and word not in excluded)


@functools.cache
def _tables() -> _Tables:
    """Build the tables from wordfreq once per process (~2 s, ~20 MB)."""
    excluded = set(BAD_WORDS + _MARKER_WORDS)
    vocab, inverse, slugs, forms, marks = [], [], [], [], []
    quantiles = (np.arange(1 << _SAMPLER_BITS) + 0.5) / (1 << _SAMPLER_BITS)
    for lang in _LANGS:
        top = wordfreq.top_n_list(lang, _VOCAB_SIZE + 200)
        words = tuple(w for w in top if _usable(w, excluded))[:_VOCAB_SIZE]
        # wordfreq caches each full frequency list (~35 MB a language); only the top is needed.
        wordfreq.get_frequency_list.cache_clear()
        for w in words:
            forms += (w, w[:1].upper() + w[1:])
        comma = _UNSPACED.get(lang)
        puncts = ("", comma, "。", "？", "！") if comma else ("", ",", ".", "?", "!")
        space = "" if comma else " "
        marks += [p + s for p in puncts for s in (space, "\\n", "\\n\\n", "")]
        weights = 1.0 / (np.arange(len(words)) + _ZIPF_SHIFT)
        inverse.append(np.searchsorted(np.cumsum(weights) / weights.sum(), quantiles))
        vocab.append(words)
        slugs.append(tuple(w for w in words[:3000] if w.isascii() and w.isalpha()))
    pieces = [p.encode() for p in forms + marks]
    length = np.array([len(p) for p in pieces], np.int64)
    site_words = [w for w in slugs[_EN] if 3 <= len(w) <= 8]
    rng = np.random.Generator(np.random.PCG64(0))  # fixed: the same sites for every seed
    domains: dict[str, None] = {}
    while len(domains) < _N_DOMAINS:
        domains.setdefault("".join(_pick(rng, site_words, 2)))
    popularity = 1.0 / np.arange(1, _N_DOMAINS + 1) ** 1.1
    return _Tables(
        buffer=np.frombuffer(b"".join(pieces), np.uint8),
        start=np.cumsum(length) - length,
        length=length,
        mark_base=len(forms),
        base=np.cumsum([0] + [len(w) for w in vocab[:-1]]),
        words=tuple(vocab),
        inverse_cdf=np.array(inverse, dtype=np.int32),
        slugs=tuple(slugs),
        domains=tuple(domains),
        domain_cdf=np.cumsum(popularity) / popularity.sum(),
    )


def _pick(rng: np.random.Generator, options: Sequence[str], n: int) -> list[str]:
    """``n`` options drawn uniformly, with replacement."""
    return [options[i] for i in (rng.random(n) * len(options)).astype(np.intp).tolist()]


def _shuffled(rng: np.random.Generator, options: Sequence[str], n: int) -> list[str]:
    """``n`` distinct options in random order."""
    return [options[i] for i in rng.permutation(len(options))[:n].tolist()]


def _between(rng: np.random.Generator, low: int, high: int) -> int:
    """One uniform integer in ``[low, high)``; a float draw is cheaper than ``integers``."""
    return low + int(rng.random() * (high - low))


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


@dataclass(slots=True)
class _Doc:
    """One document as parallel token arrays: word id, capitalised, punct and separator."""

    lang: int
    words: np.ndarray
    cap: np.ndarray
    punct: np.ndarray
    sep: np.ndarray

    def take(self, index: np.ndarray) -> _Doc:
        """A copy holding the tokens at ``index`` (a boolean mask or positions)."""
        return _Doc(self.lang, self.words[index], self.cap[index], self.punct[index],
                    self.sep[index])

    @staticmethod
    def concat(parts: Sequence[_Doc]) -> _Doc:
        """The tokens of ``parts`` one after another."""
        return _Doc(parts[0].lang, *(np.concatenate([getattr(p, f) for p in parts])
                                     for f in ("words", "cap", "punct", "sep")))

    def batch(self) -> _Batch:
        """This document as a batch of one."""
        return _Batch(np.array([self.lang]), np.array([0, self.words.size]), self.words,
                      self.cap, self.punct, self.sep)


@dataclass(slots=True)
class _Batch:
    """Documents as flat token arrays; document ``k`` spans ``offsets[k]:offsets[k + 1]``."""

    lang: np.ndarray
    offsets: np.ndarray
    words: np.ndarray
    cap: np.ndarray
    punct: np.ndarray
    sep: np.ndarray

    def doc(self, k: int) -> _Doc:
        """Document ``k`` (views into the batch)."""
        span = slice(self.offsets[k], self.offsets[k + 1])
        return _Doc(int(self.lang[k]), self.words[span], self.cap[span], self.punct[span],
                    self.sep[span])


def _compose(
    seed: int, purpose: int, keys: np.ndarray, lang: np.ndarray, n_words: np.ndarray,
    head: np.ndarray, max_break: int = _PARA,
) -> _Batch:
    """Prose, one document per key: Zipf-sampled words in sentences, lines and paragraphs.

    ``head`` title words (0: none) form a capitalised first line. ``max_break`` caps the break
    between sentences (_SPACE: one line, _LINE: one paragraph). Every draw is hashed from
    ``(seed, purpose, key, position)``, so the whole batch takes a few dozen numpy calls.
    """
    streams = _TEXT_STREAMS * purpose
    n_docs = keys.size
    keys = keys.astype(np.uint64) << np.uint64(16)  # low 16 bits: position in the document
    # Candidate sentences, enough to cover every document; keep those starting inside it.
    slots = n_words // 3 + 2
    first_slot = np.cumsum(slots) - slots
    owner = np.repeat(np.arange(n_docs), slots)
    slot_keys = keys[owner] | (np.arange(owner.size) - first_slot[owner]).astype(np.uint64)
    a, b = _uniform2(seed, slot_keys, streams)
    lengths = 3 + (-_SENTENCE_SCALE * np.log(a * b)).astype(np.int64)
    ends = np.cumsum(lengths)
    ends -= np.repeat(ends[first_slot] - lengths[first_slot], slots)
    inside = ends - lengths < n_words[owner]
    owner, ends, slot_keys = owner[inside], ends[inside], slot_keys[inside]
    # Tokens.
    sizes = head + n_words
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    token_owner = np.repeat(np.arange(n_docs), sizes)
    position = np.arange(offsets[-1]) - offsets[token_owner]
    bits = _hash(seed, keys[token_owner] | position.astype(np.uint64), streams + 1)
    inverse = _tables().inverse_cdf
    words = inverse[lang[token_owner], (bits >> np.uint64(64 - _SAMPLER_BITS)).astype(np.intp)]
    comma = (bits & np.uint64(0xFFFF)) < np.uint64(_COMMA_RATE * 2**16)
    punct = (comma & (position >= head[token_owner])).view(np.uint8)  # True is 1, i.e. _COMMA
    cap = (position <= head[token_owner]).view(np.uint8)  # title words, first body word
    sep = np.zeros(offsets[-1], np.uint8)
    sep[(offsets[:-1] + head - 1)[head > 0]] = _LINE
    # Sentence ends: punctuation, break, capital after.
    last = offsets[owner] + head[owner] + np.minimum(ends, n_words[owner]) - 1
    terminal, brk = _uniform2(seed, slot_keys, streams + 2)
    punct[last] = _TERMINALS[np.searchsorted(_TERMINAL_CDF, terminal, "right")]
    sep[last] = np.minimum(_BREAKS[np.searchsorted(_BREAK_CDF, brk, "right")], max_break)
    sep[offsets[1:] - 1] = _END
    cap[last[sep[last] != _END] + 1] = 1
    return _Batch(lang, offsets, words, cap, punct, sep)


def _render(batch: _Batch) -> tuple[bytes, np.ndarray]:
    """JSON-escaped UTF-8 texts of ``batch`` back to back, and each document's end offset.

    Each token is two pieces (word form, mark); one numpy gather copies all their bytes.
    """
    tables = _tables()
    lang = np.repeat(batch.lang, np.diff(batch.offsets))
    piece = np.empty(2 * batch.words.size, np.int64)
    piece[0::2] = 2 * (tables.base[lang] + batch.words) + batch.cap
    piece[1::2] = (tables.mark_base + _MARKS_PER_LANG * lang + 4 * batch.punct.astype(np.int64)
                   + batch.sep)
    length = tables.length[piece]
    ends = np.cumsum(length)
    source = np.repeat(tables.start[piece] - (ends - length), length) + np.arange(ends[-1])
    return tables.buffer[source].tobytes(), ends[2 * batch.offsets[1:] - 1]


def _clean(seed: int, index: np.ndarray) -> _Batch:
    """Clean articles: log-normal length (>= 50 words), a title line for 60% of them."""
    a, b = _uniform2(seed, index, _LENGTH)
    normal = np.sqrt(-2 * np.log(a)) * np.cos(2 * np.pi * b)  # Box-Muller
    n_words = np.exp(_DOC_LOG_MEDIAN + _DOC_LOG_SIGMA * normal).astype(np.int64)
    n_words = np.clip(n_words, _MIN_CLEAN_WORDS, _MAX_DOC_WORDS)
    title, size = _uniform2(seed, index, _TITLE)
    head = np.where(title < _TITLE_RATE, 3 + (size * 7).astype(np.int64), 0)
    return _compose(seed, _CLEAN_TEXT, index, _lang_of(seed, index), n_words, head)


def _sample_words(rng: np.random.Generator, lang: int, n: int) -> np.ndarray:
    """``n`` Zipf-drawn word ids of ``lang``."""
    cells = (rng.random(n) * (1 << _SAMPLER_BITS)).astype(np.intp)
    return _tables().inverse_cdf[lang, cells]


def _word_strings(rng: np.random.Generator, lang: int, n: int) -> list[str]:
    """``n`` Zipf-drawn lower-case words of ``lang``."""
    words = _tables().words[lang]
    return [words[i] for i in _sample_words(rng, lang, n).tolist()]


def _joiner(lang: int) -> str:
    """What separates words of ``lang``: a space, or nothing for zh/ja."""
    return "" if _LANGS[lang] in _UNSPACED else " "


def _sentences(rng: np.random.Generator, lang: int, n_words: int) -> list[str]:
    """Plain sentences of ``n_words`` words in all, for junk pages (cheap, per document)."""
    words = _word_strings(rng, lang, n_words)
    joiner, stop = _joiner(lang), "。" if _LANGS[lang] in _UNSPACED else "."
    out = []
    while words:
        size = _between(rng, 5, 20)
        sentence = joiner.join(words[:size])
        out.append(sentence[:1].upper() + sentence[1:] + stop)
        del words[:size]
    return out


def _edit(rng: np.random.Generator, doc: _Doc) -> _Doc:
    """Replace or delete 2-8% of the words, in short runs at random positions."""
    n = doc.words.size
    budget = max(1, round(n * rng.uniform(0.02, 0.08)))
    runs = rng.integers(1, 4, budget)
    runs = runs[: np.searchsorted(np.cumsum(runs), budget) + 1]
    starts = rng.integers(0, n, runs.size)
    delete = rng.random(runs.size) < 0.4
    offsets = np.arange(3)
    pos = starts[:, None] + offsets
    inside = (offsets < runs[:, None]) & (pos < n)
    pos, delete = pos[inside], np.broadcast_to(delete[:, None], inside.shape)[inside]
    # Deleting a capitalised, sentence-final or line-final word would break the layout.
    delete &= (doc.cap[pos] == 0) & (doc.punct[pos] <= _COMMA) & (doc.sep[pos] == _SPACE)
    words = doc.words.copy()
    swap = pos[~delete]
    fresh = _sample_words(rng, doc.lang, swap.size)
    size = len(_tables().words[doc.lang])
    words[swap] = np.where(fresh == words[swap], (fresh + 1) % size, fresh)
    keep = np.ones(n, bool)
    keep[pos[delete]] = False
    return _Doc(doc.lang, words, doc.cap, doc.punct, doc.sep).take(keep)


def _insert(rng: np.random.Generator, doc: _Doc, seed: int, index: int) -> _Doc:
    """Insert a sentence after a sentence end, or a short paragraph at a paragraph break.

    The insert is capped at ~10% of the document so the copy stays near.
    """
    limit = max(6, doc.words.size // 10)
    if rng.random() < 0.4:
        n_words, max_break, joint = min(_between(rng, 20, 60), limit), _LINE, _PARA
        after = np.flatnonzero(doc.sep >= _PARA)
    else:
        n_words, max_break, joint = min(_between(rng, 6, 20), limit), _SPACE, _SPACE
        after = np.flatnonzero(doc.punct >= _PERIOD)
    block = _compose(seed, _INSERT_TEXT, np.array([index]), np.array([doc.lang]),
                     np.array([n_words]), np.zeros(1, np.int64), max_break).doc(0)
    k = int(after[_between(rng, 0, after.size)])
    block.sep[-1] = doc.sep[k]
    head = doc.take(np.arange(k + 1))
    head.sep[-1] = joint
    return _Doc.concat([head, block, doc.take(np.arange(k + 1, doc.words.size))])


def _truncate(rng: np.random.Generator, doc: _Doc) -> _Doc:
    """Drop the last 5-15% of the words."""
    n = doc.words.size
    cut = doc.take(np.arange(n - max(1, round(n * rng.uniform(0.05, 0.15)))))
    cut.sep[-1] = _END
    return cut


def _reorder(rng: np.random.Generator, doc: _Doc, ends: np.ndarray) -> _Doc:
    """Swap two paragraphs (``ends``: exclusive end offsets, at least two paragraphs)."""
    starts = np.concatenate(([0], ends[:-1]))
    order = np.arange(ends.size)
    a, b = rng.permutation(ends.size)[:2]
    order[[a, b]] = order[[b, a]]
    out = doc.take(np.concatenate([np.arange(starts[p], ends[p]) for p in order]))
    out.sep[out.sep == _END] = _PARA
    out.sep[-1] = _END
    return out


def _near_copy(seed: int, index: int, original: _Doc) -> tuple[bytes, int]:
    """JSON-escaped text of document ``index``: one random kind of edit of ``original``."""
    rng = _stream(seed, index)
    edit = _between(rng, _EDIT, _REORDER + 1)
    ends = np.flatnonzero(original.sep >= _PARA) + 1
    if edit == _REORDER and ends.size < 2:
        edit = _TRUNCATE
    if edit == _EDIT:
        copy = _edit(rng, original)
    elif edit == _INSERT:
        copy = _insert(rng, original, seed, index)
    elif edit == _TRUNCATE:
        copy = _truncate(rng, original)
    else:
        copy = _reorder(rng, original, ends)
    return _render(copy.batch())[0], edit


def _lorem(rng: np.random.Generator) -> str:
    """A placeholder paragraph of lorem ipsum sentences."""
    sentences = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit."]
    for _ in range(_between(rng, 2, 7)):
        sentences.append(" ".join(_pick(rng, _LOREM, _between(rng, 6, 15))).capitalize() + ".")
    return " ".join(sentences)


def _boilerplate(rng: np.random.Generator, lang: int) -> str:
    """A page of navigation, cookie/JavaScript/privacy notices or lorem ipsum, no content."""
    nav = _shuffled(rng, _NAV, _between(rng, 4, 10))
    lines = [_pick(rng, ("\n", " | ", " · ", " » "), 1)[0].join(nav)]
    if rng.random() < 0.25:
        lines += [_lorem(rng) for _ in range(_between(rng, 2, 6))]
    else:
        lines += _shuffled(rng, _NOTICES, _between(rng, 4, 13))
        if rng.random() < 0.3:
            lines.append(_lorem(rng))
    site = _pick(rng, _tables().domains, 1)[0].capitalize()
    lines.append(f"Copyright © {_between(rng, 2005, 2025)} {site}. All rights reserved.")
    return "\n".join(lines)


def _spam(rng: np.random.Generator, lang: int) -> str:
    """Keyword stuffing, bad-word laden prose, or hashtag/symbol soup (English)."""
    style = _between(rng, 0, 3)
    if style == 0:
        topic = _SPAM_TOPICS[_between(rng, 0, len(_SPAM_TOPICS))]
        lines = [", ".join(_pick(rng, topic, _between(rng, 6, 16)))
                 for _ in range(_between(rng, 5, 25))]
        shout = (rng.random(len(lines)) < 0.2).tolist()
        return "\n".join(s.upper() if up else s for s, up in zip(lines, shout, strict=True))
    if style == 1:
        parts = "\n".join(_sentences(rng, _EN, _between(rng, 60, 300))).split(" ")
        hits = np.flatnonzero(rng.random(len(parts)) < 0.15).tolist()
        for i, bad in zip(hits, _pick(rng, BAD_WORDS, len(hits)), strict=True):
            if parts[i].isalpha():
                parts[i] = bad
        return " ".join(parts)
    lines = []
    for _ in range(_between(rng, 5, 20)):
        items = ["#" + w for w in _word_strings(rng, _EN, _between(rng, 3, 8))]
        items += _pick(rng, _SPAM_SYMBOLS, _between(rng, 3, 8))
        lines.append(" ".join(_shuffled(rng, items, len(items))))
    return "\n".join(lines)


def _short(rng: np.random.Generator, lang: int) -> str:
    """A stub page of 3-29 words."""
    return _joiner(lang).join(_sentences(rng, lang, _between(rng, 3, 30)))


def _repetitive(rng: np.random.Generator, lang: int) -> str:
    """One line or paragraph repeated many times, or a short phrase looped."""
    style = _between(rng, 0, 3)
    if style == 0:
        intro = _joiner(lang).join(_sentences(rng, lang, _between(rng, 20, 60)))
        line = _joiner(lang).join(_sentences(rng, lang, _between(rng, 6, 20)))
        return intro + "\n\n" + "\n".join([line] * _between(rng, 10, 40))
    if style == 1:
        paragraph = "\n".join(_sentences(rng, lang, _between(rng, 30, 90)))
        return "\n\n".join([paragraph] * _between(rng, 3, 9))
    joiner = _joiner(lang)
    phrase = joiner.join(_word_strings(rng, lang, _between(rng, 2, 6)))
    loop = [phrase] * _between(rng, 40, 150)
    return "\n".join(joiner.join(loop[i:i + 6]) for i in range(0, len(loop), 6))


_JUNK = {_BOILERPLATE: _boilerplate, _SPAM: _spam, _SHORT: _short, _REPETITIVE: _repetitive}


def _urls(seed: int, index: np.ndarray, lang: np.ndarray) -> list[str]:
    """Plausible page URLs: a Zipf-popular site, a language-typical TLD, a typical path."""
    tables = _tables()
    u = _uniform(seed, (index[:, None] * 16 + np.arange(12)).ravel(), _URL).reshape(-1, 12)
    site = np.searchsorted(tables.domain_cdf, u[:, 0]).tolist()
    urls = []
    for s, g, row in zip(site, lang.tolist(), u.tolist(), strict=True):
        tlds, slugs = _TLDS[_LANGS[g]], tables.slugs[g]
        number = int(row[2] * 1_000_000)
        style = int(row[3] * 5) if len(slugs) >= _MIN_SLUG_WORDS else 3 + int(row[3] * 2)
        if style < 3:
            slug = "-".join(slugs[int(x * len(slugs))] for x in row[5:7 + int(row[4] * 5)])
        if style == 0:
            path = f"/{slug}"
        elif style == 1:
            path = f"/blog/{slug}"
        elif style == 2:
            path = f"/news/{2005 + number % 20}/{1 + number // 20 % 12:02d}/{slug}"
        elif style == 3:
            path = f"/article/{number}.html"
        else:
            path = f"/p/{number}"
        urls.append(f"https://www.{tables.domains[s]}.{tlds[int(row[1] * len(tlds))]}{path}")
    return urls


def doc_id(index: int) -> str:
    """The id of document ``index``."""
    return f"synth-{index:09d}"


def _chunk(
    seed: int, index: np.ndarray, kind_cdf: np.ndarray
) -> tuple[bytes, tuple[np.ndarray, ...]]:
    """JSON lines and ground-truth codes (kind, lang, origin, edit) of consecutive documents.

    Clean documents and the originals of this chunk's copies are composed in one batch.
    """
    kind, lang, origin = _plan(seed, index, kind_cdf)
    units = np.unique(np.concatenate([index[kind == _CLEAN], origin[origin >= 0]]))
    clean = _clean(seed, units)
    body, ends = _render(clean)
    body = memoryview(body)
    spans = zip(np.concatenate(([0], ends[:-1])).tolist(), ends.tolist(), strict=True)
    clean_text = [body[a:b] for a, b in spans]
    # Where each document's own (or its original's) clean text sits; meaningless for junk.
    unit_of = np.searchsorted(units, np.where(origin >= 0, origin, index)).tolist()
    edit = np.full(index.size, _NO_EDIT, np.int8)
    parts: list[bytes | memoryview] = []
    rows = zip(index.tolist(), kind.tolist(), lang.tolist(), unit_of, _urls(seed, index, lang),
               strict=True)
    for pos, (i, k, g, u, url) in enumerate(rows):
        if k == _CLEAN:
            text = clean_text[u]
        elif k == _EXACT_DUP:
            text, edit[pos] = clean_text[u], _EXACT
        elif k == _NEAR_DUP:
            text, edit[pos] = _near_copy(seed, i, clean.doc(u))
        else:
            junk = _JUNK[k](_stream(seed, i), g)
            text = json.dumps(junk, ensure_ascii=False)[1:-1].encode()
        parts += (f'{{"id": "{doc_id(i)}", "text": "'.encode(), text,
                  f'", "url": "{url}", "lang": "{_LANGS[g]}"}}\n'.encode())
    return b"".join(parts), (kind, lang, origin, edit)


@dataclass(frozen=True, slots=True)
class _Shard:
    """One unit of work: documents ``start <= index < stop`` into ``path``."""

    seed: int
    start: int
    stop: int
    kind_cdf: np.ndarray
    path: str


@dataclass(frozen=True, slots=True)
class _ShardTruth:
    """Per-document ground-truth codes of one shard, returned to the parent for writing."""

    start: int
    kind: np.ndarray
    lang: np.ndarray
    origin: np.ndarray
    edit: np.ndarray


def _write_shard(shard: _Shard) -> _ShardTruth:
    """Generate and write one shard, chunk by chunk; return its ground-truth codes."""
    truths = []
    with gzip.GzipFile(shard.path, "wb", compresslevel=1, mtime=0) as out:
        for start in range(shard.start, shard.stop, _CHUNK):
            index = np.arange(start, min(start + _CHUNK, shard.stop))
            lines, truth = _chunk(shard.seed, index, shard.kind_cdf)
            out.write(lines)
            truths.append(truth)
    kind, lang, origin, edit = (np.concatenate(column) for column in zip(*truths, strict=True))
    return _ShardTruth(shard.start, kind, lang, origin, edit)


_TRUTH_SCHEMA = pa.schema([
    ("id", pa.string()), ("kind", pa.string()), ("copy_of", pa.string()),
    ("edit", pa.string()), ("lang", pa.string()),
])


def _truth_table(truth: _ShardTruth) -> pa.Table:
    """Ground-truth rows of one shard."""
    return pa.table({
        "id": [doc_id(i) for i in range(truth.start, truth.start + truth.kind.size)],
        "kind": [KINDS[k] for k in truth.kind.tolist()],
        "copy_of": [doc_id(o) if o >= 0 else None for o in truth.origin.tolist()],
        "edit": [EDITS[e] if e >= 0 else None for e in truth.edit.tolist()],
        "lang": [_LANGS[g] for g in truth.lang.tolist()],
    }, schema=_TRUTH_SCHEMA)


def _run(tasks: list[_Shard], workers: int) -> Iterator[_ShardTruth]:
    """Shard results in shard order, from ``workers`` processes (in-process for one).

    Workers are spawned, not forked: the caller may hold threads (Arrow, a Spark gateway).
    """
    if workers == 1:
        yield from map(_write_shard, tasks)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_write_shard, tasks)


def generate(
    docs: int, output: str, seed: int = 0, shards: int | None = None,
    workers: int | None = None, *, exact_dup: float = 0.05, near_dup: float = 0.08,
    bad: float = 0.15,
) -> dict:
    """Write a synthetic corpus of ``docs`` documents and its ground truth under ``output``.

    Same ``(docs, seed, shards)`` and rates give byte-identical files for any ``workers``.
    ``bad`` is the share of boilerplate, spam, short and repetitive documents together.
    Existing ``part-*`` files in ``output/docs`` are replaced. Returns a summary: document
    counts per kind and language, shards, workers and seconds.
    """
    if docs < 1:
        raise ValueError("docs must be >= 1")
    began = time.perf_counter()
    kind_cdf = _kind_cdf(exact_dup, near_dup, bad)
    per_shard = -(-docs // min(docs, shards or -(-docs // DOCS_PER_SHARD)))
    root = Path(output)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    for stale in (root / "docs").glob("part-*.jsonl.gz"):
        stale.unlink()
    tasks = [
        _Shard(seed, start, min(docs, start + per_shard), kind_cdf,
               str(root / "docs" / f"part-{n:05d}.jsonl.gz"))
        for n, start in enumerate(range(0, docs, per_shard))
    ]
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    kinds = np.zeros(len(KINDS), np.int64)
    langs = np.zeros(len(_LANGS), np.int64)
    with pq.ParquetWriter(root / "ground_truth.parquet", _TRUTH_SCHEMA) as truth_out:
        for truth in _run(tasks, workers):
            truth_out.write_table(_truth_table(truth))
            kinds += np.bincount(truth.kind, minlength=len(KINDS))
            langs += np.bincount(truth.lang, minlength=len(_LANGS))
    return {
        "docs": docs,
        "shards": len(tasks),
        "workers": workers,
        "seconds": round(time.perf_counter() - began, 3),
        "kinds": dict(zip(KINDS, kinds.tolist(), strict=True)),
        "langs": dict(zip(_LANGS, langs.tolist(), strict=True)),
    }

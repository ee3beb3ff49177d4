"""Deterministic synthetic web corpus with planted junk and duplicates, for testing winnow.

:func:`generate` writes under ``DIR``:

* ``docs/part-NNNNN.jsonl.gz`` — JSON lines ``{"id", "text", "url", "lang"}``, gzip level 1.
* ``ground_truth.parquet`` — one row per document: ``id``, ``kind`` (one of :data:`KINDS`),
  ``copy_of`` (id of the original for ``exact_dup``/``near_dup``, else null), ``edit`` (one of
  :data:`EDITS` for copies, else null) and ``lang``. Parquet keeps the nulls typed for Spark.

Every document is a pure function of ``(seed, index)``: its kind and language come from a
counter-based hash, its text from a Philox stream keyed by ``(seed, index)``. A copy therefore
regenerates its original (an earlier clean document, usually in another shard) with no shared
state, and the bytes written do not depend on how many worker processes share the shards.
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
from collections.abc import Iterator
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

CLEAN, BOILERPLATE, SPAM, SHORT, REPETITIVE, EXACT_DUP, NEAR_DUP = range(len(KINDS))
NO_EDIT, EXACT, EDIT, INSERT, TRUNCATE, REORDER = range(-1, len(EDITS))
# How the bad share splits over the junk kinds.
_BAD_SPLIT = {BOILERPLATE: 0.30, SPAM: 0.25, SHORT: 0.25, REPETITIVE: 0.20}

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

# Punctuation and separator codes of a token; a token renders as word + punct + separator.
NONE, COMMA, PERIOD, QUESTION, EXCLAIM = range(5)
SPACE, LINE, PARA, END = range(4)
_TERMINALS = np.array([PERIOD, QUESTION, EXCLAIM], np.uint8)
_TERMINAL_CDF = np.array([0.9, 0.96, 1.0])

_VOCAB_SIZE = 8000
_SAMPLER_SIZE = 1 << 18  # quantisation of the Zipf sampler; even rank 8000 gets ~4 cells
_ZIPF_SHIFT = 2.7  # Zipf-Mandelbrot offset: flattens the head a little, like real text
_DOC_LOG_MEDIAN = math.log(380)  # clean body words: median 380, ~90% within 100-1500
_DOC_LOG_SIGMA = 0.85
_MIN_ORIGINAL_WORDS = 50  # clean docs are never shorter, so all of them can be originals
_MAX_DOC_WORDS = 12_000
_SENTENCE_LOG_MEDIAN = math.log(11)  # plus 3: sentences of ~14 words
_COMMA_RATE = 0.06
_LINE_BREAK_RATE = 0.25
_MEAN_SENTENCES_PER_PARAGRAPH = 4
_TITLE_RATE = 0.6
_ORIGIN_TRIES = 32
_N_DOMAINS = 400
_WRITE_BATCH = 1000

# Kept out of clean text, so that rules keyed on them only ever fire on planted junk.
_BAD_WORDS = (
    "porn", "porno", "xxx", "sex", "sexy", "nude", "naked", "fuck", "shit", "bitch", "pussy",
    "dick", "cock", "slut", "whore", "milf", "anal", "escort", "viagra", "cialis",
)
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


@dataclass(slots=True)
class _Doc:
    """A document as parallel token arrays: vocabulary id, capitalised, punct and separator."""

    lang: str
    words: np.ndarray
    cap: np.ndarray
    punct: np.ndarray
    sep: np.ndarray

    def take(self, index: np.ndarray) -> _Doc:
        """A copy holding the tokens at ``index`` (a boolean mask or positions)."""
        return _Doc(self.lang, self.words[index], self.cap[index], self.punct[index],
                    self.sep[index])

    @staticmethod
    def concat(parts: list[_Doc]) -> _Doc:
        """The tokens of ``parts`` one after another."""
        return _Doc(
            parts[0].lang, *(np.concatenate([getattr(p, f) for p in parts])
                             for f in ("words", "cap", "punct", "sep")),
        )


@dataclass(frozen=True, slots=True)
class _Vocab:
    """Per-language rendering tables and the Zipf sampler over the top words."""

    tokens: np.ndarray  # object: [w0, W0, w1, W1, ...] (lower, capitalised)
    inverse_cdf: np.ndarray  # word id per 1/_SAMPLER_SIZE quantile of the Zipf distribution
    suffixes: np.ndarray  # object, indexed by 4 * punct + sep
    joiner: str

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` word ids drawn with Zipf weights (one table lookup each)."""
        return self.inverse_cdf[(rng.random(n) * _SAMPLER_SIZE).astype(np.intp)]

    @property
    def size(self) -> int:
        """Number of words."""
        return self.tokens.size // 2


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
    """Per-document ground truth codes of one shard, returned to the parent for writing."""

    start: int
    kind: np.ndarray
    lang: np.ndarray
    origin: np.ndarray
    edit: np.ndarray


@functools.cache
def _vocab(lang: str) -> _Vocab:
    """Top words of ``lang`` from wordfreq, junk-trigger words removed, built once a process."""
    excluded = set(_BAD_WORDS + _MARKER_WORDS)
    words = [
        w for w in wordfreq.top_n_list(lang, _VOCAB_SIZE + 200)
        if w[0].isalnum() and w[-1].isalnum() and w not in excluded
    ][:_VOCAB_SIZE]
    tokens = np.empty(2 * len(words), dtype=object)
    tokens[0::2] = words
    tokens[1::2] = [w[:1].upper() + w[1:] for w in words]
    weights = 1.0 / (np.arange(len(words)) + _ZIPF_SHIFT)
    cdf = np.cumsum(weights) / weights.sum()
    quantiles = (np.arange(_SAMPLER_SIZE) + 0.5) / _SAMPLER_SIZE
    inverse_cdf = np.searchsorted(cdf, quantiles).astype(np.int32)
    comma = _UNSPACED.get(lang)
    if comma is None:
        puncts, seps, joiner = ("", ",", ".", "?", "!"), (" ", "\n", "\n\n", ""), " "
    else:
        puncts, seps, joiner = ("", comma, "。", "？", "！"), ("", "\n", "\n\n", ""), ""
    suffixes = np.array([p + s for p in puncts for s in seps], dtype=object)
    return _Vocab(tokens, inverse_cdf, suffixes, joiner)


@functools.cache
def _domains() -> tuple[list[str], np.ndarray]:
    """A fixed set of a few hundred site names with Zipf popularity (same for every seed)."""
    excluded = set(_BAD_WORDS + _MARKER_WORDS)
    parts = [
        w for w in wordfreq.top_n_list("en", 3000)
        if w.isascii() and w.isalpha() and 3 <= len(w) <= 8 and w not in excluded
    ]
    rng = np.random.Generator(np.random.Philox(key=[0, 0]))
    names: dict[str, None] = {}
    while len(names) < _N_DOMAINS:
        a, b = rng.integers(len(parts), size=2)
        names.setdefault(parts[a] + parts[b])
    weights = 1.0 / np.arange(1, _N_DOMAINS + 1) ** 1.1
    return list(names), np.cumsum(weights) / weights.sum()


_BITGEN = np.random.PCG64(0)
_RNG = np.random.Generator(_BITGEN)


def _stream(seed: int, index: int) -> np.random.Generator:
    """This process's generator, reset to a PCG64 stream keyed by a hash of ``(seed, index)``.

    Resetting one bit generator is ~6x cheaper than building one per document; callers finish
    with one stream before asking for the next.
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


def _uniform(seed: int, index: np.ndarray, stream: int) -> np.ndarray:
    """Uniform [0, 1) per index, random-access: any shard can ask about any document."""
    key = _mix64(_mix64(np.array([stream], np.uint64)) ^ np.uint64(seed % 2**64))
    h = _mix64(index.astype(np.uint64) ^ key)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


_KIND_STREAM, _LANG_STREAM, _ORIGIN_STREAM = range(3)


def _kind_cdf(exact_dup: float, near_dup: float, bad: float) -> np.ndarray:
    """Cumulative kind probabilities in :data:`KINDS` order."""
    if min(exact_dup, near_dup, bad) < 0 or exact_dup + near_dup + bad > 1:
        raise ValueError("rates must be >= 0 and sum to at most 1")
    p = np.zeros(len(KINDS))
    p[EXACT_DUP], p[NEAR_DUP] = exact_dup, near_dup
    for kind, share in _BAD_SPLIT.items():
        p[kind] = bad * share
    p[CLEAN] = 1.0 - p.sum()
    return np.cumsum(p)


def _base_kind(seed: int, index: np.ndarray, kind_cdf: np.ndarray) -> np.ndarray:
    """Kind drawn from the hash, before copies without an original fall back to clean."""
    kind = np.searchsorted(kind_cdf, _uniform(seed, index, _KIND_STREAM), side="right")
    return np.minimum(kind, len(KINDS) - 1)


def _lang_of(seed: int, index: np.ndarray) -> np.ndarray:
    """Language code per index (position in ``LANG_SHARES``)."""
    lang = np.searchsorted(_LANG_CDF, _uniform(seed, index, _LANG_STREAM), side="right")
    return np.minimum(lang, len(_LANGS) - 1)


def _plan(seed: int, index: np.ndarray, kind_cdf: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kind, language and original (-1 if none) of each document, vectorised.

    A copy's original is the first of a few hashed earlier indices whose kind is clean; a copy
    takes its original's language. Boilerplate and spam are English.
    """
    kind = _base_kind(seed, index, kind_cdf)
    lang = _lang_of(seed, index)
    origin = np.full(index.size, -1, np.int64)
    copies = np.flatnonzero((kind == EXACT_DUP) | (kind == NEAR_DUP))
    if copies.size:
        at = index[copies]
        tries = (at[:, None] * _ORIGIN_TRIES + np.arange(_ORIGIN_TRIES)).ravel()
        u = _uniform(seed, tries, _ORIGIN_STREAM).reshape(-1, _ORIGIN_TRIES)
        candidates = (u * at[:, None]).astype(np.int64)
        clean = _base_kind(seed, candidates, kind_cdf) == CLEAN
        found = clean.any(axis=1)
        chosen = candidates[np.arange(at.size), clean.argmax(axis=1)]
        origin[copies[found]] = chosen[found]
        lang[copies[found]] = _lang_of(seed, chosen[found])
        kind[copies[~found]] = CLEAN
    lang[(kind == BOILERPLATE) | (kind == SPAM)] = _EN
    return kind, lang, origin


def _compose(
    rng: np.random.Generator, lang: str, n_words: int, *, title: bool = False,
    max_break: int = PARA,
) -> _Doc:
    """Prose of ``n_words`` Zipf-sampled words: sentences, then lines and paragraphs.

    ``title`` prepends a capitalised heading line; ``max_break`` caps the separator between
    sentences (SPACE: a single line, LINE: a single paragraph).
    """
    head = int(rng.integers(3, 10)) if title else 0
    lengths = 3 + rng.lognormal(_SENTENCE_LOG_MEDIAN, 0.5, n_words // 3 + 2).astype(np.int64)
    ends = np.cumsum(lengths)
    ends = ends[: np.searchsorted(ends, n_words) + 1]
    ends[-1] = n_words
    ends += head
    n_sent = ends.size
    n = head + n_words
    cap = np.zeros(n, np.uint8)
    cap[: head + 1] = 1
    cap[ends[:-1]] = 1
    punct = np.where(rng.random(n) < _COMMA_RATE, COMMA, NONE).astype(np.uint8)
    punct[:head] = NONE
    punct[ends - 1] = _TERMINALS[np.searchsorted(_TERMINAL_CDF, rng.random(n_sent), "right")]
    breaks = np.where(rng.random(n_sent) < _LINE_BREAK_RATE, LINE, SPACE)
    para = np.cumsum(1 + rng.poisson(_MEAN_SENTENCES_PER_PARAGRAPH - 1, n_sent)) - 1
    breaks[para[para < n_sent]] = PARA
    sep = np.zeros(n, np.uint8)
    if head:
        sep[head - 1] = LINE
    sep[ends - 1] = np.minimum(breaks, max_break)
    sep[-1] = END
    return _Doc(lang, _vocab(lang).sample(rng, n), cap, punct, sep)


def _render(doc: _Doc) -> str:
    """The text of ``doc``: one table lookup per token and separator, then a single join."""
    vocab = _vocab(doc.lang)
    out = np.empty(2 * doc.words.size, dtype=object)
    out[0::2] = vocab.tokens[2 * doc.words + doc.cap]
    out[1::2] = vocab.suffixes[4 * doc.punct + doc.sep]
    return "".join(out.tolist())


def _clean(rng: np.random.Generator, lang: str) -> _Doc:
    """A clean article: log-normal length (>= 50 words), optional title line."""
    n_words = int(np.clip(rng.lognormal(_DOC_LOG_MEDIAN, _DOC_LOG_SIGMA),
                          _MIN_ORIGINAL_WORDS, _MAX_DOC_WORDS))
    return _compose(rng, lang, n_words, title=bool(rng.random() < _TITLE_RATE))


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
    delete &= (doc.cap[pos] == 0) & (doc.punct[pos] <= COMMA) & (doc.sep[pos] == SPACE)
    vocab = _vocab(doc.lang)
    words = doc.words.copy()
    swap = pos[~delete]
    fresh = vocab.sample(rng, swap.size)
    words[swap] = np.where(fresh == words[swap], (fresh + 1) % vocab.size, fresh)
    keep = np.ones(n, bool)
    keep[pos[delete]] = False
    return _Doc(doc.lang, words, doc.cap, doc.punct, doc.sep).take(keep)


def _insert(rng: np.random.Generator, doc: _Doc) -> _Doc:
    """Insert a sentence after a sentence end, or a short paragraph at a paragraph break.

    The insert is capped at ~10% of the document so the copy stays near.
    """
    limit = max(6, doc.words.size // 10)
    if rng.random() < 0.4:
        block = _compose(rng, doc.lang, min(int(rng.integers(20, 60)), limit), max_break=LINE)
        after, joint = np.flatnonzero(doc.sep >= PARA), PARA
    else:
        block = _compose(rng, doc.lang, min(int(rng.integers(6, 20)), limit), max_break=SPACE)
        after, joint = np.flatnonzero(doc.punct >= PERIOD), SPACE
    k = int(after[rng.integers(after.size)])
    block.sep[-1] = doc.sep[k]
    head = doc.take(np.arange(k + 1))
    head.sep[-1] = joint
    return _Doc.concat([head, block, doc.take(np.arange(k + 1, doc.words.size))])


def _truncate(rng: np.random.Generator, doc: _Doc) -> _Doc:
    """Drop the last 5-15% of the words."""
    n = doc.words.size
    cut = doc.take(np.arange(n - max(1, round(n * rng.uniform(0.05, 0.15)))))
    cut.sep[-1] = END
    return cut


def _reorder(rng: np.random.Generator, doc: _Doc, ends: np.ndarray) -> _Doc:
    """Swap two paragraphs (``ends``: exclusive end offsets, at least two paragraphs)."""
    starts = np.concatenate(([0], ends[:-1]))
    order = np.arange(ends.size)
    a, b = rng.choice(ends.size, 2, replace=False)
    order[[a, b]] = order[[b, a]]
    out = doc.take(np.concatenate([np.arange(starts[p], ends[p]) for p in order]))
    out.sep[out.sep == END] = PARA
    out.sep[-1] = END
    return out


def _near_copy(rng: np.random.Generator, doc: _Doc) -> tuple[_Doc, int]:
    """One edit of a random kind applied to ``doc``; reorder needs two paragraphs."""
    edit = int(rng.integers(EDIT, REORDER + 1))
    ends = np.flatnonzero(doc.sep >= PARA) + 1
    if edit == REORDER and ends.size < 2:
        edit = TRUNCATE
    if edit == EDIT:
        return _edit(rng, doc), edit
    if edit == INSERT:
        return _insert(rng, doc), edit
    if edit == TRUNCATE:
        return _truncate(rng, doc), edit
    return _reorder(rng, doc, ends), edit


def _lorem(rng: np.random.Generator) -> str:
    """A placeholder paragraph of lorem ipsum sentences."""
    sentences = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit."]
    for _ in range(int(rng.integers(2, 7))):
        words = rng.choice(_LOREM, int(rng.integers(6, 15))).tolist()
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def _boilerplate(rng: np.random.Generator, lang: str) -> str:
    """A page of navigation, cookie/JavaScript/privacy notices or lorem ipsum, no content."""
    nav = rng.choice(_NAV, int(rng.integers(4, 10)), replace=False).tolist()
    lines = [("\n", " | ", " · ", " » ")[int(rng.integers(4))].join(nav)]
    if rng.random() < 0.25:
        lines += [_lorem(rng) for _ in range(int(rng.integers(2, 6)))]
    else:
        lines += rng.choice(_NOTICES, int(rng.integers(4, 13)), replace=False).tolist()
        if rng.random() < 0.3:
            lines.append(_lorem(rng))
    names, _ = _domains()
    site = names[int(rng.integers(len(names)))].capitalize()
    lines.append(f"Copyright © {int(rng.integers(2005, 2025))} {site}. All rights reserved.")
    return "\n".join(lines)


def _spam(rng: np.random.Generator, lang: str) -> str:
    """Keyword stuffing, bad-word laden prose, or hashtag/symbol soup (English)."""
    style = int(rng.integers(3))
    if style == 0:
        topic = _SPAM_TOPICS[int(rng.integers(len(_SPAM_TOPICS)))]
        lines = []
        for _ in range(int(rng.integers(5, 25))):
            line = ", ".join(rng.choice(topic, int(rng.integers(6, 16))).tolist())
            lines.append(line.upper() if rng.random() < 0.2 else line)
        return "\n".join(lines)
    if style == 1:
        parts = _render(_compose(rng, "en", int(rng.integers(60, 300)))).split(" ")
        hits = np.flatnonzero(rng.random(len(parts)) < 0.15)
        for i, bad in zip(hits.tolist(), rng.choice(_BAD_WORDS, hits.size).tolist(), strict=True):
            if parts[i].isalpha():
                parts[i] = bad
        return " ".join(parts)
    vocab = _vocab("en")
    lines = []
    for _ in range(int(rng.integers(5, 20))):
        tags = ["#" + w for w in vocab.tokens[2 * vocab.sample(rng, int(rng.integers(3, 8)))]]
        items = tags + rng.choice(_SPAM_SYMBOLS, int(rng.integers(3, 8))).tolist()
        lines.append(" ".join(rng.permutation(items).tolist()))
    return "\n".join(lines)


def _short(rng: np.random.Generator, lang: str) -> str:
    """A stub page of 3-29 words."""
    return _render(_compose(rng, lang, int(rng.integers(3, 30)), max_break=LINE))


def _repetitive(rng: np.random.Generator, lang: str) -> str:
    """One line or paragraph repeated many times, or a short phrase looped."""
    style = int(rng.integers(3))
    if style == 0:
        intro = _render(_compose(rng, lang, int(rng.integers(20, 60))))
        line = _render(_compose(rng, lang, int(rng.integers(6, 20)), max_break=SPACE))
        return intro + "\n\n" + "\n".join([line] * int(rng.integers(10, 40)))
    if style == 1:
        paragraph = _render(_compose(rng, lang, int(rng.integers(30, 90)), max_break=LINE))
        return "\n\n".join([paragraph] * int(rng.integers(3, 9)))
    vocab = _vocab(lang)
    phrase = vocab.joiner.join(vocab.tokens[2 * vocab.sample(rng, int(rng.integers(2, 6)))])
    loop = [phrase] * int(rng.integers(40, 150))
    return "\n".join(vocab.joiner.join(loop[i:i + 6]) for i in range(0, len(loop), 6))


def _clean_text(rng: np.random.Generator, lang: str) -> str:
    """The text of a clean document."""
    return _render(_clean(rng, lang))


_WRITERS = {
    CLEAN: _clean_text, BOILERPLATE: _boilerplate, SPAM: _spam, SHORT: _short,
    REPETITIVE: _repetitive,
}


def _url(rng: np.random.Generator, lang: str) -> str:
    """A plausible page URL on a Zipf-popular site with a language-typical TLD."""
    names, cdf = _domains()
    name = names[int(np.searchsorted(cdf, rng.random(), "right"))]
    tlds = _TLDS[lang]
    tld = tlds[int(rng.integers(len(tlds)))]
    vocab = _vocab(lang)
    slug = "-".join(w for w in vocab.tokens[2 * vocab.sample(rng, int(rng.integers(2, 7)))]
                    if w.isascii() and w.isalpha())
    number = int(rng.integers(1000, 1_000_000))
    style = int(rng.integers(5)) if slug.count("-") else 3 + int(rng.integers(2))
    if style == 0:
        path = f"/{slug}"
    elif style == 1:
        path = f"/blog/{slug}"
    elif style == 2:
        path = f"/news/{rng.integers(2005, 2025)}/{rng.integers(1, 13):02d}/{slug}"
    elif style == 3:
        path = f"/article/{number}.html"
    else:
        path = f"/p/{number}"
    return f"https://www.{name}.{tld}{path}"


def _document(seed: int, index: int, kind: int, lang: str, origin: int) -> tuple[str, str, int]:
    """Text, URL and edit code of document ``index``."""
    if kind in (EXACT_DUP, NEAR_DUP):
        original = _clean(_stream(seed, origin), lang)
        rng = _stream(seed, index)
        if kind == EXACT_DUP:
            text, edit = _render(original), EXACT
        else:
            copy, edit = _near_copy(rng, original)
            text = _render(copy)
    else:
        rng = _stream(seed, index)
        text, edit = _WRITERS[kind](rng, lang), NO_EDIT
    return text, _url(rng, lang), edit


def doc_id(index: int) -> str:
    """The id of document ``index``."""
    return f"synth-{index:09d}"


def _write_shard(shard: _Shard) -> _ShardTruth:
    """Generate and write one shard; return its ground-truth codes."""
    index = np.arange(shard.start, shard.stop)
    kind, lang, origin = _plan(shard.seed, index, shard.kind_cdf)
    edit = np.full(index.size, NO_EDIT, np.int8)
    batch: list[str] = []
    with gzip.GzipFile(shard.path, "wb", compresslevel=1, mtime=0) as out:
        for pos, (i, k, lg, o) in enumerate(
            zip(index.tolist(), kind.tolist(), lang.tolist(), origin.tolist(), strict=True)
        ):
            text, url, edit[pos] = _document(shard.seed, i, k, _LANGS[lg], o)
            record = {"id": doc_id(i), "text": text, "url": url, "lang": _LANGS[lg]}
            batch.append(json.dumps(record, ensure_ascii=False))
            if len(batch) == _WRITE_BATCH or pos == index.size - 1:
                out.write(("\n".join(batch) + "\n").encode())
                batch.clear()
    return _ShardTruth(shard.start, kind, lang, origin, edit)


_TRUTH_SCHEMA = pa.schema([
    ("id", pa.string()), ("kind", pa.string()), ("copy_of", pa.string()),
    ("edit", pa.string()), ("lang", pa.string()),
])


def _truth_table(truth: _ShardTruth) -> pa.Table:
    """Ground-truth rows of one shard."""
    ids = [doc_id(i) for i in range(truth.start, truth.start + truth.kind.size)]
    return pa.table({
        "id": ids,
        "kind": [KINDS[k] for k in truth.kind.tolist()],
        "copy_of": [doc_id(o) if o >= 0 else None for o in truth.origin.tolist()],
        "edit": [EDITS[e] if e >= 0 else None for e in truth.edit.tolist()],
        "lang": [_LANGS[g] for g in truth.lang.tolist()],
    }, schema=_TRUTH_SCHEMA)


def _run(tasks: list[_Shard], workers: int) -> Iterator[_ShardTruth]:
    """Shard results in shard order, from ``workers`` processes (in-process for one)."""
    if workers == 1:
        yield from map(_write_shard, tasks)
        return
    with multiprocessing.get_context().Pool(workers) as pool:
        yield from pool.imap(_write_shard, tasks)


def generate(
    docs: int, output: str, seed: int = 0, shards: int | None = None,
    workers: int | None = None, *, exact_dup: float = 0.05, near_dup: float = 0.08,
    bad: float = 0.15,
) -> dict:
    """Write a synthetic corpus of ``docs`` documents and its ground truth under ``output``.

    Same ``(docs, seed, shards)`` and rates give byte-identical files for any ``workers``.
    ``bad`` is the share of boilerplate, spam, short and repetitive documents together.
    Returns a summary: document counts per kind and language, shards, workers, seconds.
    """
    if docs < 1:
        raise ValueError("docs must be >= 1")
    began = time.perf_counter()
    kind_cdf = _kind_cdf(exact_dup, near_dup, bad)
    shards = min(docs, shards or -(-docs // DOCS_PER_SHARD))
    workers = max(1, min(workers or os.cpu_count() or 1, shards))
    root = Path(output)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    for stale in (root / "docs").glob("part-*.jsonl.gz"):
        stale.unlink()
    per_shard = -(-docs // shards)
    tasks = [
        _Shard(seed, s * per_shard, min(docs, (s + 1) * per_shard), kind_cdf,
               str(root / "docs" / f"part-{s:05d}.jsonl.gz"))
        for s in range(shards) if s * per_shard < docs
    ]
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

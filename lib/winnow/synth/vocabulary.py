"""Vocabulary, languages, templates and the constants of the synthetic corpus."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
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


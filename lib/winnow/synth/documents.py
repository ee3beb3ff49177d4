"""Document generators: clean text (Zipf words in sentences), junk pages and URLs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from winnow.synth.plan import _hash, _lang_of, _uniform, _uniform2
from winnow.synth.vocabulary import (
    _BOILERPLATE,
    _BREAK_CDF,
    _BREAKS,
    _CLEAN_TEXT,
    _COMMA_RATE,
    _DOC_LOG_MEDIAN,
    _DOC_LOG_SIGMA,
    _EN,
    _END,
    _LANGS,
    _LENGTH,
    _LINE,
    _LOREM,
    _MARKS_PER_LANG,
    _MAX_DOC_WORDS,
    _MIN_CLEAN_WORDS,
    _MIN_SLUG_WORDS,
    _NAV,
    _NOTICES,
    _PARA,
    _REPETITIVE,
    _SAMPLER_BITS,
    _SENTENCE_SCALE,
    _SHORT,
    _SPAM,
    _SPAM_SYMBOLS,
    _SPAM_TOPICS,
    _TERMINAL_CDF,
    _TERMINALS,
    _TEXT_STREAMS,
    _TITLE,
    _TITLE_RATE,
    _TLDS,
    _UNSPACED,
    _URL,
    BAD_WORDS,
    _between,
    _pick,
    _shuffled,
    _tables,
)


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



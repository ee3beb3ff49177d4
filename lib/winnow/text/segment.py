"""Word segmentation for scripts written without spaces (Chinese, Japanese, Thai …).

``winnow.text.words`` cuts text at white space and then by spaCy's English affix
rules. That is right for every language written with spaces, and wrong for
Chinese, Japanese, Thai, Lao, Khmer and Burmese, where a whole clause is one
white-space chunk. This module re-cuts, inside those documents only, every token
holding a character of such a script with a real segmenter, the one the reference
implementation (datatrove's per-language word tokenizers, FineWeb-2) uses or its
closest well-kept equivalent that ships its dictionary in the wheel (nothing is
downloaded at run time):

* Chinese (``zh``, ``yue``, ``wuu``): jieba (MIT; datatrove's Chinese tokenizer
  is spaCy's ``zh`` with its jieba segmenter);
* Japanese (``ja``): MeCab through ``fugashi`` with the ``unidic-lite`` dictionary
  (MIT / BSD; datatrove uses spaCy's ``ja``, i.e. SudachiPy, whose dictionary is a
  separate 70 MB package — MeCab with UniDic cuts the same short units);
* Thai (``th``): PyThaiNLP's ``newmm`` (Apache-2.0; also what spaCy's ``th`` uses).

Where a segmenter is not installed, or for Lao, Khmer and Burmese (no segmenter
shipped), the documented **script fallback** applies: every Han ideograph is a
word, a run of hiragana or of katakana is a word, and a run of Thai, Lao, Khmer
or Burmese letters is a word; other characters stay as the white-space rules cut
them. (Han ideographs average 1.5–1.7 characters per jieba word, so the fallback
over-counts Chinese words by about that factor — see docs/multilingual.md.)

Which documents are segmented: with a language column (the ``lid`` stage's
``lang``), those whose language is in ``SEGMENTED``; without one, those whose
letters are mostly (``SCRIPT_SHARE``) of a space-less script, Japanese if kana
are among them. Every other document keeps exactly the tokens of
``winnow.text.words`` (so English behaviour and speed do not change).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import regex

from winnow.numba_cache import kernel
from winnow.text.chars import ALPHA, LIMIT, PUNCT, TERM, char_table

#: Language code (lid.176 labels) -> segmenter key.
SEGMENTED = {"zh": "zh", "yue": "zh", "wuu": "zh", "ja": "ja", "th": "th",
             "lo": "fallback", "km": "fallback", "my": "fallback"}
#: A document without a language is segmented when at least this share of its
#: letters belongs to a script written without spaces.
SCRIPT_SHARE = 0.5

# Code point ranges of the space-less scripts (Unicode blocks).
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3005\u3007"
_HIRAGANA = r"\u3041-\u309f"
_KATAKANA = r"\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_THAI = r"\u0e00-\u0e7f"
_SEA_OTHER = r"\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f"  # Lao Khmer Myanmar
_SEA = _THAI + _SEA_OTHER
_SPACELESS = regex.compile(f"[{_HAN}{_HIRAGANA}{_KATAKANA}{_SEA}]")
_FALLBACK = regex.compile(
    f"[{_HAN}]|[{_HIRAGANA}ー]+|[{_KATAKANA}]+|[\u0e00-\u0e7f]+|[\u0e80-\u0eff]+"
    f"|[\u1780-\u17ff]+|[\u1000-\u109f]+|[^{_HAN}{_HIRAGANA}{_KATAKANA}{_SEA}]+")

# Script classes of the detection kernel.
_S_HAN, _S_KANA, _S_THAI, _S_SEA = 1, 2, 3, 4


#: (first, last, class) code point ranges of ``script_table`` (the blocks above).
_SCRIPT_RANGES = ((0x3400, 0x4DBF, _S_HAN), (0x4E00, 0x9FFF, _S_HAN), (0xF900, 0xFAFF, _S_HAN),
                  (0x20000, 0x3134F, _S_HAN), (0x3005, 0x3005, _S_HAN),
                  (0x3007, 0x3007, _S_HAN), (0x3041, 0x309F, _S_KANA),
                  (0x30A0, 0x30FF, _S_KANA), (0x31F0, 0x31FF, _S_KANA),
                  (0xFF66, 0xFF9F, _S_KANA), (0x0E00, 0x0E7F, _S_THAI),
                  (0x0E80, 0x0EFF, _S_SEA), (0x1780, 0x17FF, _S_SEA), (0x1000, 0x109F, _S_SEA))


@cache
def script_table() -> np.ndarray:
    """Script class (``_S_*``) of each code point below ``LIMIT`` (0: other)."""
    table = np.zeros(LIMIT, dtype=np.uint8)
    for lo, hi, cls in _SCRIPT_RANGES:
        table[lo:hi + 1] = cls
    return table


@kernel
def _script_counts(cps, text_offsets, table, scripts, out):  # pragma: no cover - compiled
    """Per text: letters, Han, kana, Thai and other SE-Asian letters (columns 0..4)."""
    for d in range(text_offsets.shape[0] - 1):
        for i in range(text_offsets[d], text_offsets[d + 1]):
            c = cps[i]
            if c < table.shape[0] and table[c] & ALPHA:
                out[d, 0] += 1
                if c >= 0x0E00:
                    s = scripts[c]
                    if s:
                        out[d, s] += 1


def detect(cps: np.ndarray, text_offsets: np.ndarray) -> list[str | None]:
    """Segmenter key per text from its script (None: a language written with spaces)."""
    n = len(text_offsets) - 1
    counts = np.zeros((n, 5), dtype=np.int64)
    if n and len(cps) and int(cps.max()) >= 0x0E00:
        _script_counts(cps, text_offsets, char_table(), script_table(), counts)
    spaceless = counts[:, 1:].sum(axis=1)
    keys: list[str | None] = [None] * n
    for d in np.flatnonzero((spaceless > 0) & (spaceless >= SCRIPT_SHARE * counts[:, 0])):
        _, han, kana, thai, sea = counts[d]
        if kana and kana * 20 >= han + kana:  # kana are at least 5 % of the CJK letters
            keys[d] = "ja"
        else:
            keys[d] = max((han, "zh"), (thai, "th"), (sea, "fallback"))[1]
    return keys


def keys_from_languages(langs: Sequence[str | None]) -> list[str | None]:
    """Segmenter key per document from its language code (None: white-space rules)."""
    return [SEGMENTED.get(lang) if lang else None for lang in langs]


def installed(key: str) -> bool:
    """Whether the real segmenter for ``key`` is importable (else the fallback runs)."""
    module = {"zh": "jieba", "ja": "fugashi", "th": "pythainlp"}.get(key)
    return module is not None and importlib.util.find_spec(module) is not None and (
        key != "ja" or importlib.util.find_spec("unidic_lite") is not None)


def fallback(text: str) -> list[str]:
    """The script fallback: each Han ideograph, each kana or SE-Asian run is a word."""
    return _FALLBACK.findall(text)


@cache
def segmenter(key: str) -> Callable[[str], list[str]]:
    """A function cutting a white-space-free string into words, for segmenter ``key``.

    Loaded once per process (jieba's dictionary takes ~2 s, PyThaiNLP's ~1 s).
    """
    if key == "zh" and installed("zh"):
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        return lambda s: tok.lcut(s, HMM=True)
    if key == "ja" and installed("ja"):
        import fugashi

        tagger = fugashi.Tagger()  # finds the unidic-lite dictionary by itself
        return lambda s: [w.surface for w in tagger(s)]
    if key == "th" and installed("th"):
        from pythainlp.tokenize import word_tokenize

        return lambda s: word_tokenize(s, engine="newmm", keep_whitespace=False)
    return fallback


@functools.lru_cache(maxsize=1 << 16)
def split_spans(text: str, key: str) -> tuple[tuple[int, int], ...]:
    """Word spans (start, end) of the white-space-free ``text`` by segmenter ``key``.

    The words must spell ``text`` in order; where a segmenter returns anything else
    (a normalised form), the fallback cuts that string instead. Cached per process:
    a batch is tokenised again after a stage rewrites it (C4's line rules), and
    navigation chunks repeat across pages.
    """
    spans = _spans(text, segmenter(key)(text))
    if spans is None:
        spans = _spans(text, fallback(text)) or [(0, len(text))]
    return tuple(spans)


def _spans(text: str, words: list[str]) -> list[tuple[int, int]] | None:
    out = []
    pos = 0
    for w in words:
        if not w or w.isspace():
            pos += len(w)
            continue
        if not text.startswith(w, pos):
            return None
        out.append((pos, pos + len(w)))
        pos += len(w)
    return out if pos == len(text) else None


def has_spaceless(text: str) -> bool:
    return _SPACELESS.search(text) is not None


@kernel
def describe(cps, starts, ends, line_start, table, hashes, flags):  # pragma: no cover
    """Hash (FNV-1a) and flags of tokens given as spans, as ``words._emit`` makes them."""
    for t in range(starts.shape[0]):
        h = np.uint64(0xCBF29CE484222325)
        fl = np.uint8(2)  # T_SYMBOL until a character that is not punctuation
        for k in range(starts[t], ends[t]):
            ck = cps[k]
            fk = table[ck] if ck < table.shape[0] else np.uint8(0)
            h = (h ^ np.uint64(ck)) * np.uint64(0x100000001B3)
            if fk & ALPHA:
                fl |= np.uint8(1)
            if not fk & PUNCT:
                fl &= ~np.uint8(2)
        if ends[t] == starts[t] + 1:
            c = cps[starts[t]]
            if c < table.shape[0] and table[c] & TERM:
                fl |= np.uint8(4)
        if line_start[t]:
            fl |= np.uint8(8)
        hashes[t] = h
        flags[t] = fl


def keys_for(langs) -> list[str | None]:
    """Segmenter key per document from a language column (list or Arrow array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(langs, pa.Array | pa.ChunkedArray):
        if len(langs) == 0 or not pc.any(pc.is_in(langs, value_set=pa.array(
                list(SEGMENTED), pa.string()))).as_py():
            return [None] * len(langs)  # the common case: no space-less language here
        langs = langs.to_pylist()
    return keys_from_languages(langs)


def resegment(tokens, texts: list[str], langs=None):
    """``tokens`` (of ``winnow.text.words.tokenize``) with the tokens of space-less
    scripts re-cut by each document's segmenter; other documents' tokens unchanged.

    ``langs``: the documents' language codes, or None to choose by script.
    """
    import dataclasses

    keys = detect(tokens.cps, tokens.text_offsets) if langs is None else keys_for(langs)
    docs = [d for d, k in enumerate(keys) if k]
    if not docs:
        return tokens
    starts, ends, flags = tokens.starts, tokens.ends, tokens.flags
    tok_offsets, text_offsets = tokens.tok_offsets, tokens.text_offsets
    counts = np.diff(tok_offsets)
    new: dict[int, tuple[list[int], list[int], list[bool]]] = {}
    for d in docs:
        key, text, base = keys[d], texts[d], int(text_offsets[d])
        ss: list[int] = []
        es: list[int] = []
        ls: list[bool] = []
        for t in range(int(tok_offsets[d]), int(tok_offsets[d + 1])):
            a, b = int(starts[t]), int(ends[t])
            piece = text[a - base:b - base]
            first = bool(flags[t] & 8)
            if has_spaceless(piece):
                for x, y in split_spans(piece, key):
                    ss.append(a + x)
                    es.append(a + y)
                    ls.append(first)
                    first = False
            else:
                ss.append(a)
                es.append(b)
                ls.append(first)
        new[d] = (ss, es, ls)
        counts[d] = len(ss)
    n_new = sum(len(v[0]) for v in new.values())
    ns = np.fromiter((x for d in docs for x in new[d][0]), np.int64, n_new)
    ne = np.fromiter((x for d in docs for x in new[d][1]), np.int64, n_new)
    nl = np.fromiter((x for d in docs for x in new[d][2]), np.bool_, n_new)
    nh = np.empty(n_new, np.uint64)
    nf = np.empty(n_new, np.uint8)
    describe(tokens.cps, ns, ne, nl, char_table(), nh, nf)
    # Interleave: original slices between the re-cut documents.
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("starts", "ends", "hashes", "flags")}
    new_arrays = {"starts": ns, "ends": ne, "hashes": nh, "flags": nf}
    prev = 0  # first document not yet copied
    pos = 0  # position in the new arrays
    for d in docs:
        lo, hi = int(tok_offsets[prev]), int(tok_offsets[d])
        for k in parts:
            parts[k].append(getattr(tokens, k)[lo:hi])
        m = len(new[d][0])
        for k in parts:
            parts[k].append(new_arrays[k][pos:pos + m])
        pos += m
        prev = d + 1
    lo = int(tok_offsets[prev])
    for k in parts:
        parts[k].append(getattr(tokens, k)[lo:])
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return dataclasses.replace(tokens, tok_offsets=offsets,
                               **{k: np.concatenate(v) for k, v in parts.items()})

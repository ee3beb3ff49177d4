"""Planted near duplicates: edits, inserts, truncations and reorderings of an original."""

from __future__ import annotations

import numpy as np

from winnow.synth.documents import _compose, _Doc, _render, _sample_words
from winnow.synth.plan import _stream
from winnow.synth.vocabulary import (
    _COMMA,
    _EDIT,
    _END,
    _INSERT,
    _INSERT_TEXT,
    _LINE,
    _PARA,
    _PERIOD,
    _REORDER,
    _SPACE,
    _TRUNCATE,
    _between,
    _tables,
)


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



"""Shards written in parallel and the ground truth: the :func:`generate` entry point."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from winnow.synth.documents import _JUNK, _clean, _render, _urls
from winnow.synth.duplicates import _near_copy
from winnow.synth.plan import _kind_cdf, _plan, _stream
from winnow.synth.vocabulary import (
    _CHUNK,
    _CLEAN,
    _EXACT,
    _EXACT_DUP,
    _LANGS,
    _NEAR_DUP,
    _NO_EDIT,
    DOCS_PER_SHARD,
    EDITS,
    KINDS,
)


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

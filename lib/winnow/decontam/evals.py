"""Evaluation items and the hash table of their n-grams.

A benchmark is a JSONL file (``.jsonl``, ``.json``, ``.jsonl.gz``), a Parquet file
or a directory holding such files (read in sorted path order). The text of an item
is the configured ``fields`` joined by a newline (a missing or null field is
skipped), so n-grams may run from a question into its answer. Items with fewer
tokens than ``ngram`` have no n-gram and are counted as ``items_too_short``.
GPT-3 (Brown et al. 2020, appendix C) uses 13-grams; datatrove uses 12.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from winnow.errors import WinnowError
from winnow.text.ngrams import build_table, ngram_hashes

#: At most this many benchmarks in one stage (one bit each in a 64-bit mask).
MAX_BENCHMARKS = 63
_JSON_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")
_PARQUET_SUFFIXES = (".parquet",)
EXCERPT_CHARS = 160


class EvalError(WinnowError):
    """A benchmark file cannot be read as evaluation items."""


def benchmark_files(path: str) -> list[str]:
    """The files of one benchmark: the file itself, or the readable files of a directory."""
    if os.path.isdir(path):
        out = []
        for root, _dirs, files in os.walk(path):
            for f in files:
                if f.endswith(_JSON_SUFFIXES + _PARQUET_SUFFIXES) and not f.startswith((".", "_")):
                    out.append(os.path.join(root, f))
        if not out:
            raise EvalError(f"{path}: directory holds no .jsonl or .parquet file")
        return sorted(out)
    if not path.endswith(_JSON_SUFFIXES + _PARQUET_SUFFIXES):
        raise EvalError(f"{path}: expected .jsonl, .jsonl.gz, .parquet or a directory")
    return [path]


def _text(record: dict, fields: list[str]) -> str:
    parts = []
    for f in fields:
        v = record.get(f)
        if v is None:
            continue
        if isinstance(v, list):  # e.g. multiple-choice options
            parts.extend(str(x) for x in v if x is not None)
        else:
            parts.append(str(v))
    return "\n".join(parts)


def read_items(path: str, fields: list[str]) -> list[str]:
    """The item texts of one benchmark, in file order."""
    items: list[str] = []
    for f in benchmark_files(path):
        if f.endswith(_PARQUET_SUFFIXES):
            import pyarrow.parquet as pq

            try:
                table = pq.read_table(f)
            except (OSError, pa.ArrowException) as exc:
                raise EvalError(f"{f}: not a readable Parquet file ({exc})") from None
            missing = [x for x in fields if x not in table.column_names]
            if len(missing) == len(fields):
                raise EvalError(f"{f}: none of the fields {fields} is a column "
                                f"(columns: {', '.join(table.column_names)})")
            items += [_text(r, fields) for r in table.to_pylist()]
            continue
        opener = gzip.open if f.endswith(".gz") else open
        found = False
        try:
            with opener(f, "rt", encoding="utf-8") as fh:
                for line_no, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        raise EvalError(f"{f}:{line_no}: not a JSON object") from None
                    if not isinstance(record, dict):
                        raise EvalError(f"{f}:{line_no}: not a JSON object")
                    found = found or any(x in record for x in fields)
                    items.append(_text(record, fields))
        except (OSError, UnicodeDecodeError) as exc:
            raise EvalError(f"{f}: cannot read ({exc})") from None
        if items and not found:
            raise EvalError(f"{f}: no record has any of the fields {fields}")
    return items


def digest(paths: dict[str, str]) -> str:
    """SHA-256 over the names and bytes of every benchmark file (the config hash)."""
    h = hashlib.sha256()
    for name in sorted(paths):
        h.update(name.encode() + b"\0")
        if "://" in paths[name]:  # remote: the URI stands for its content
            h.update(paths[name].encode() + b"\0")
            continue
        for f in benchmark_files(paths[name]):
            h.update(os.path.basename(f).encode() + b"\0")
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


@dataclass
class EvalTable:
    """Distinct eval n-gram hashes with a benchmark bit mask and a first item each."""

    names: list[str]
    ngram: int
    hashes: np.ndarray          # uint64, sorted, distinct
    masks: np.ndarray           # int64: bit i = benchmark names[i] holds the n-gram
    #: per (hash, benchmark): the first item holding it (for attribution)
    pair_hash: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.uint64))
    pair_bench: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    pair_item: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))
    items: dict[str, int] = field(default_factory=dict)
    too_short: dict[str, int] = field(default_factory=dict)
    ngrams: dict[str, int] = field(default_factory=dict)
    excerpts: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.hashes)

    def probe_table(self) -> tuple[np.ndarray, np.ndarray]:
        return build_table(self.hashes, self.masks)

    @classmethod
    def build(cls, benchmarks: dict[str, str], fields: list[str], ngram: int) -> EvalTable:
        if len(benchmarks) > MAX_BENCHMARKS:
            raise EvalError(f"at most {MAX_BENCHMARKS} benchmarks, got {len(benchmarks)}")
        names = list(benchmarks)
        all_h, all_b, all_i = [], [], []
        table = cls(names, ngram, np.zeros(0, np.uint64), np.zeros(0, np.int64))
        for b, name in enumerate(names):
            texts = read_items(benchmarks[name], fields)
            table.items[name] = len(texts)
            table.excerpts[name] = [t[:EXCERPT_CHARS] for t in texts]
            docs, hashes = ngram_hashes(pa.array(texts, pa.string()), ngram)
            table.too_short[name] = len(texts) - len(np.unique(docs))
            all_h.append(hashes)
            all_i.append(docs)
            all_b.append(np.full(len(hashes), b, np.int64))
        h = np.concatenate(all_h) if all_h else np.zeros(0, np.uint64)
        bi = np.concatenate(all_b) if all_b else np.zeros(0, np.int64)
        it = np.concatenate(all_i) if all_i else np.zeros(0, np.int64)
        # First item per (hash, benchmark): stable sort by hash, benchmark, item.
        order = np.lexsort((it, bi, h))
        h, bi, it = h[order], bi[order], it[order]
        first = np.ones(len(h), bool)
        first[1:] = (h[1:] != h[:-1]) | (bi[1:] != bi[:-1])
        table.pair_hash, table.pair_bench, table.pair_item = h[first], bi[first], it[first]
        for b, name in enumerate(names):
            table.ngrams[name] = int(np.count_nonzero(table.pair_bench == b))
        uniq, inverse = np.unique(table.pair_hash, return_inverse=True)
        masks = np.zeros(len(uniq), np.int64)
        np.bitwise_or.at(masks, inverse, np.left_shift(np.int64(1), table.pair_bench))
        table.hashes, table.masks = uniq, masks
        return table

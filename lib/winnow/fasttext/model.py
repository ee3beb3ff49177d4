"""Batched inference for fastText supervised models, read from fastText's own files.

Why not the ``fasttext`` bindings: their ``predict`` re-tokenises and re-hashes every
word of every document (lid.176.ftz: ~1,300 C4 documents/s/core). Here the summed
input vector of each distinct token is computed once per worker and cached, the
per-document sums run in a compiled kernel, and the output layer is one matrix
product per batch. Inputs follow fastText exactly: a document is the line
``text + "\\n"`` split on ASCII whitespace (so newlines count as spaces), ``</s>``
closes it, and the hidden vector is the mean of the input rows of its words,
character n-grams and word n-grams. Probabilities are computed in float64 without
fastText's ``+1e-5`` inside the log, so confident documents do not tie at 1.0.

Reads fastText 0.9 model files: dense ``.bin`` (memory-mapped) and quantized ``.ftz``.
"""

from __future__ import annotations

import mmap
import struct
import threading
from collections.abc import Sequence

import numpy as np

from winnow import worker
from winnow.errors import WinnowError
from winnow.fasttext.kernels import (
    char_ngram_hashes,
    hs_top_k,
    lookup_tokens,
    pack,
    project,
    segment_sums,
    word_ngram_sums,
)
from winnow.files import local_file as local_model_path

MAGIC = 793712314
VERSION = 12
EOS = b"</s>"
LABEL_PREFIX = b"__label__"  # fastText's default ``-label``; not stored in the model
LOSS_HS, LOSS_SOFTMAX = 1, 3
SUPERVISED = 3
KSUB = 256  # centroids per product-quantizer sub-space (8-bit codes)
#: Cached token vectors per model, bounded (~32 MiB of vectors); cleared when full.
CACHE_BYTES = 32 << 20
MIN_CACHE_SLOTS = 1 << 16
#: More slots make the hash table outgrow the CPU caches: lookups get slower, not faster.
MAX_CACHE_SLOTS = 1 << 19


class ModelFormatError(WinnowError):
    """The file is not a fastText supervised model this reader understands."""


class _Reader:
    """Sequential little-endian reads over a memory-mapped model file."""

    def __init__(self, path: str):
        with open(path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.path = path
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def cstring(self) -> bytes:
        end = self.buf.find(b"\0", self.pos)
        if end < 0:
            raise ModelFormatError(f"{self.path}: truncated dictionary")
        s = self.buf[self.pos:end]
        self.pos = end + 1
        return s

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr

    def matrix(self, quantized: bool) -> np.ndarray:
        """A fastText matrix as float32 rows: a read-only view, or decoded PQ codes."""
        if not quantized:
            m, n = self.unpack("qq")
            return self.array("<f4", m * n).reshape(m, n)
        (qnorm,) = self.unpack("?")
        m, n = self.unpack("qq")
        (codesize,) = self.unpack("i")
        codes = self.array("u1", codesize)
        rows = self._product_quantizer(codes, m)
        if qnorm:
            norm_codes = self.array("u1", m)
            norms = self._product_quantizer(norm_codes, m)[:, 0]
            rows *= norms[:, None]
        return rows

    def _product_quantizer(self, codes: np.ndarray, m: int) -> np.ndarray:
        """Decode PQ ``codes`` (m × nsubq) with the quantizer stored next in the file."""
        dim, nsubq, dsub, lastdsub = self.unpack("iiii")
        centroids = self.array("<f4", dim * KSUB)
        codes = codes.reshape(m, nsubq)
        rows = np.empty((m, dim), np.float32)
        for q in range(nsubq):
            width = lastdsub if q == nsubq - 1 else dsub
            table = centroids[q * KSUB * dsub: q * KSUB * dsub + KSUB * width].reshape(KSUB, width)
            rows[:, q * dsub: q * dsub + width] = table[codes[:, q]]
        return rows


class FastTextModel:
    """A fastText supervised model scoring batches of documents.

    ``predict`` gives the top-k labels per document, ``probability`` one label's
    probability; a lock guards the token cache shared by the worker's tasks.
    """

    def __init__(self, path: str):
        r = _Reader(path)
        magic, version = r.unpack("ii")
        if magic != MAGIC or version > VERSION:
            raise ModelFormatError(f"{path}: not a fastText model file (or a newer format)")
        (self.dim, _ws, _epoch, _min_count, _neg, self.word_ngrams, self.loss, model,
         self.bucket, self.minn, self.maxn, _lr_update, _t) = r.unpack("12id")
        if model != SUPERVISED:
            raise ModelFormatError(f"{path}: not a supervised (classifier) model")
        if self.loss not in (LOSS_HS, LOSS_SOFTMAX):
            raise ModelFormatError(f"{path}: loss {self.loss} unsupported (softmax, hs only)")
        size, self.nwords, nlabels, _ntokens, prune_size = r.unpack("iiiqq")
        self.vocab: dict[bytes, int] = {}
        label_counts = []
        self.labels: list[str] = []
        for i in range(size):
            word = r.cstring()
            count, kind = r.unpack("qb")
            if kind == 0:
                self.vocab[word] = i
            else:
                label_counts.append(count)
                self.labels.append(word.removeprefix(LABEL_PREFIX).decode("utf-8", "replace"))
        if len(self.labels) != nlabels:
            raise ModelFormatError(f"{path}: dictionary has {len(self.labels)} labels, "
                                   f"header says {nlabels}")
        # -1: n-gram hash h is row nwords + h; 0: no n-grams; > 0: pruned h -> row map.
        self.prune_size = prune_size
        if prune_size > 0:
            pairs = r.array("<i4", 2 * prune_size).reshape(-1, 2)
            self._pruned_row = np.full(self.bucket, -1, np.int64)
            self._pruned_row[pairs[:, 0]] = pairs[:, 1] + self.nwords
        (quant_input,) = r.unpack("?")
        rows = r.matrix(quant_input)
        (quant_output,) = r.unpack("?")
        self.output = np.array(r.matrix(quant_input and quant_output), np.float32)
        # Softmax logits are linear in the hidden mean: W·mean(rows) = mean(W·rows). With
        # fewer labels than dimensions (a quality model: 2 vs 100), project every input
        # row once at load and sum projections instead of vectors.
        self._projected = self.loss == LOSS_SOFTMAX and len(self.labels) < self.dim
        self._rows = project(rows, self.output) if self._projected else rows
        if self.loss == LOSS_HS:
            self._left, self._right, self._paths = _huffman_tree(label_counts)
        self._lock = threading.Lock()
        self._reset_cache()

    def _reset_cache(self, min_slots: int = 0) -> None:
        """An empty token cache (slots: token bytes, hash, summed input vector, rows)."""
        width = self._rows.shape[1]
        slots = max(MIN_CACHE_SLOTS, min(MAX_CACHE_SLOTS, CACHE_BYTES // (4 * width)), min_slots)
        self._table = np.full(1 << (2 * slots - 1).bit_length(), -1, np.int32)
        self._slot_hash = np.zeros(slots, np.int64)
        self._slot_start = np.zeros(slots, np.int64)
        self._slot_len = np.zeros(slots, np.int64)
        self._arena = np.zeros(1 << 20, np.uint8)
        self._used = np.zeros(2, np.int64)
        self._sums = np.zeros((slots, width), np.float32)
        self._counts = np.zeros(slots, np.int64)
        self._is_word = np.zeros(slots, bool)
        eos = np.frombuffer(EOS, np.uint8)
        self._lookup(eos, np.array([0, len(eos)], np.int64))  # </s> is slot 0

    def _lookup(self, buf: np.ndarray, doc_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Slots of the tokens of each document (+ ``</s>``) and per-document offsets;
        computes the vectors of unseen tokens. Empty arrays when the cache is full."""
        need = int(self._used[1]) + len(buf)
        if need > len(self._arena):
            grown = np.zeros(max(need, 2 * len(self._arena)), np.uint8)
            grown[: self._used[1]] = self._arena[: self._used[1]]
            self._arena = grown
        out = np.empty(len(buf) + len(doc_offsets), np.int64)
        offsets = np.zeros(len(doc_offsets), np.int64)
        before = int(self._used[0])
        n = lookup_tokens(buf, doc_offsets, self._table, self._slot_hash, self._slot_start,
                           self._slot_len, self._arena, self._used, 0, out, offsets)
        if n < 0:
            return out[:0], offsets[:0]
        if self._used[0] > before:
            new = np.arange(before, self._used[0])
            first = int(self._slot_start[before])
            arena = self._arena[first: self._used[1]].tobytes()
            starts = (self._slot_start[new] - first).tolist()
            ends = (self._slot_start[new] - first + self._slot_len[new]).tolist()
            self._add_tokens([arena[a:b] for a, b in zip(starts, ends, strict=True)], new)
        return out[:n], offsets

    def _ngram_rows(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Input rows of hashed n-grams (``hash % bucket``), and which survive pruning."""
        ids = hashes % self.bucket
        if self.prune_size < 0:
            return ids + self.nwords, np.ones(len(ids), bool)
        if self.prune_size == 0:
            return ids, np.zeros(len(ids), bool)
        rows = self._pruned_row[ids]
        return rows, rows >= 0

    def _add_tokens(self, tokens: list[bytes], slots: np.ndarray) -> None:
        """Compute the summed input vector of new tokens (word row + char n-gram rows)."""
        wids = np.fromiter((self.vocab.get(t, -1) for t in tokens), np.int64, len(tokens))
        # A token that looks like a label is no word: fastText leaves it out of the input.
        is_word = np.fromiter((w >= 0 or not t.startswith(LABEL_PREFIX)
                               for t, w in zip(tokens, wids, strict=True)), bool, len(tokens))
        self._is_word[slots] = is_word
        rows = [wids[wids >= 0]]
        owners = [np.flatnonzero(wids >= 0)]
        if self.maxn > 0:
            bracketed = [i for i, t in enumerate(tokens) if t != EOS and is_word[i]]
            if bracketed:
                buf, offsets = pack([b"<" + tokens[i] + b">" for i in bracketed])
                hashes, owner = char_ngram_hashes(buf, offsets, self.minn, self.maxn)
                ngram_rows, keep = self._ngram_rows(hashes)
                rows.append(ngram_rows[keep])
                owners.append(np.asarray(bracketed, np.int64)[owner[keep]])
        row_ids = np.concatenate(rows)
        owner_ids = np.concatenate(owners)
        order = np.argsort(owner_ids, kind="stable")
        counts = np.bincount(owner_ids, minlength=len(tokens))
        seg = np.zeros(len(tokens) + 1, np.int64)
        np.cumsum(counts, out=seg[1:])
        sums = np.zeros((len(tokens), self._rows.shape[1]), np.float64)
        segment_sums(self._rows, row_ids[order], seg, sums)
        self._sums[slots] = sums
        self._counts[slots] = counts

    def _features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Mean input vector (or projected logits) per document, and the number of input
        rows behind it."""
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        doc_offsets = np.zeros(len(texts) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, len(texts)), out=doc_offsets[1:])
        buf = np.frombuffer(b"".join(encoded), np.uint8)
        with self._lock:
            slots, offsets = self._lookup(buf, doc_offsets)
            if len(offsets) == 0:  # cache full: start afresh
                self._reset_cache()
                slots, offsets = self._lookup(buf, doc_offsets)
            if len(offsets) == 0:  # this batch alone has more distinct tokens: size for it
                self._reset_cache(min_slots=len(buf) // 2 + 2)
                slots, offsets = self._lookup(buf, doc_offsets)
            sums = np.zeros((len(texts), self._rows.shape[1]), np.float64)
            segment_sums(self._sums, slots, offsets, sums)
            counts = np.zeros(len(texts), np.int64)
            if len(texts):
                counts = np.add.reduceat(self._counts[slots], offsets[:-1])
            if self.word_ngrams > 1:
                self._add_word_ngrams(slots, offsets, sums, counts)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (sums / counts[:, None]).astype(np.float32), counts

    def _add_word_ngrams(
        self, slots: np.ndarray, offsets: np.ndarray, sums: np.ndarray, counts: np.ndarray
    ) -> None:
        """Add the rows of each document's word 2..n-grams."""
        mode = -1 if self.prune_size < 0 else (0 if self.prune_size == 0 else 1)
        pruned = self._pruned_row if mode == 1 else np.zeros(0, np.int64)
        word_ngram_sums(slots, offsets, self._is_word, self._slot_hash, self.word_ngrams,
                         self.bucket, self.nwords, mode, pruned, self._rows, sums, counts)

    def predict(self, texts: Sequence[str], k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` label indices and probabilities per document (-1 / NaN where the
        document has no input rows: fastText predicts nothing for it)."""
        hidden, counts = self._features(texts)
        k = min(k, len(self.labels))
        if self.loss == LOSS_HS:
            labels, logp = hs_top_k(hidden, self.output, self._left, self._right, k)
            probs = np.exp(logp)
        else:
            all_probs = self._softmax(hidden)
            labels = np.argsort(-all_probs, axis=1, kind="stable")[:, :k]
            probs = np.take_along_axis(all_probs, labels, axis=1)
        labels[counts == 0] = -1
        probs[counts == 0] = np.nan
        return labels, probs

    def probability(self, texts: Sequence[str], label: int) -> np.ndarray:
        """P(``label``) per document in float64 (NaN where fastText predicts nothing)."""
        hidden, counts = self._features(texts)
        if self.loss == LOSS_HS:
            nodes, turns_right = self._paths[label]
            f = hidden.astype(np.float64) @ self.output[nodes].T.astype(np.float64)
            # log σ(f) on right turns, log(1 − σ(f)) = log σ(−f) on left turns
            p = np.exp(-np.logaddexp(0.0, np.where(turns_right, -f, f)).sum(axis=1))
        else:
            p = self._softmax(hidden)[:, label]
        p[counts == 0] = np.nan
        return p

    def _softmax(self, features: np.ndarray) -> np.ndarray:
        logits = features.astype(np.float64)
        if not self._projected:
            logits = logits @ self.output.T.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)


def _huffman_tree(counts: list[int]) -> tuple[np.ndarray, np.ndarray, list]:
    """fastText's hierarchical-softmax tree over labels: children of every node, and
    per label the internal nodes (output rows) on its path and which turn right.

    Built as fastText builds it: labels sorted by count (descending) are leaves, and
    two cursors merge the two lightest of (remaining leaves, new internal nodes); the
    second of each pair is the right (σ) child.
    """
    osz = len(counts)
    count = [float(c) for c in counts] + [1e15] * (osz - 1)
    parent = [-1] * (2 * osz - 1)
    is_right = [False] * (2 * osz - 1)
    left = np.full(2 * osz - 1, -1, np.int64)
    right = np.full(2 * osz - 1, -1, np.int64)
    leaf, node = osz - 1, osz
    for i in range(osz, 2 * osz - 1):
        pair = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                pair.append(leaf)
                leaf -= 1
            else:
                pair.append(node)
                node += 1
        count[i] = count[pair[0]] + count[pair[1]]
        parent[pair[0]] = parent[pair[1]] = i
        left[i], right[i] = pair
        is_right[pair[1]] = True
    paths = []
    for label in range(osz):
        nodes, turns = [], []
        j = label
        while parent[j] != -1:
            nodes.append(parent[j] - osz)
            turns.append(is_right[j])
            j = parent[j]
        paths.append((np.array(nodes, np.int64), np.array(turns, bool)))
    return left, right, paths


def load_model(path: str) -> FastTextModel:
    """The model at ``path``, loaded once per Python worker (``winnow.worker.cached``)."""
    return worker.cached(("fasttext", path), lambda: FastTextModel(local_model_path(path)))

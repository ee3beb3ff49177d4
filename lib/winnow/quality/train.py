"""Train a fastText quality classifier the way DCLM did (Li et al. 2024, "DataComp-LM").

Positives are high-quality reference text, negatives random web text; DCLM's
classifier is fastText supervised with word bigrams, dim 100, lr 0.1, 5 epochs.
Inputs are read with winnow's own readers (JSONL or Parquet, locally, no Spark);
each class is reservoir-sampled, the classes are balanced by down-sampling the
larger one, and a held-out split reports precision / recall / F1 of the
high-quality label, scored with the same code the ``quality`` stage uses.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from winnow.errors import WinnowError
from winnow.fasttext.model import FastTextModel
from winnow.io.listing import expand_inputs
from winnow.io.reader import REGISTRY as READERS
from winnow.quality.score import DEFAULT_LABEL, label_index, quality_scores

NEGATIVE_LABEL = "__label__lq"


@dataclass
class TrainOptions:
    """fastText hyper-parameters (DCLM defaults) and sampling settings."""

    epoch: int = 5
    lr: float = 0.1
    dim: int = 100
    word_ngrams: int = 2
    min_count: int = 1
    bucket: int = 2_000_000
    max_per_class: int | None = None
    validation_fraction: float = 0.1
    seed: int = 0
    threads: int = max(1, (os.cpu_count() or 1))
    text_field: str = "text"


@dataclass
class TrainReport:
    """Sizes of the splits and the held-out metrics of the high-quality label."""

    model_path: str
    train_positive: int
    train_negative: int
    validation_positive: int
    validation_negative: int
    precision: float
    recall: float
    f1: float
    accuracy: float

    def format(self) -> str:
        return (
            f"model: {self.model_path}\n"
            f"train: {self.train_positive:,} positive, {self.train_negative:,} negative\n"
            f"validation: {self.validation_positive:,} positive, "
            f"{self.validation_negative:,} negative\n"
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  "
            f"F1 {self.f1:.4f}  accuracy {self.accuracy:.4f}"
        )


def read_texts(paths: list[str], text_field: str = "text") -> Iterator[str]:
    """Texts of the documents in ``paths`` (files, directories, globs; JSONL or Parquet);
    quarantined records (bad JSON, empty text) are skipped."""
    fields = {"text": text_field, "id": "id", "url": "url"}
    for f in expand_inputs(paths):
        for batch in READERS[f.format].read(f.path, fields):
            texts = batch.column("text").to_pylist()
            reasons = batch.column("reason").to_pylist()
            yield from (t for t, r in zip(texts, reasons, strict=True) if r is None)


def reservoir(items: Iterator[str], size: int | None, rng: random.Random) -> list[str]:
    """A uniform sample of ``size`` items (all of them if ``size`` is None) in one pass."""
    if size is None:
        return list(items)
    sample: list[str] = []
    for i, item in enumerate(items):
        if i < size:
            sample.append(item)
        else:
            j = rng.randrange(i + 1)
            if j < size:
                sample[j] = item
    return sample


def fasttext_line(label: str, text: str) -> str:
    """One training line: the label, then the text with newlines as spaces (as scored)."""
    return f"{label} {text.replace(chr(10), ' ')}\n"


def split_balanced(
    positives: list[str], negatives: list[str], fraction: float, rng: random.Random
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Down-sample the larger class to the smaller, shuffle, hold out ``fraction`` of each."""
    n = min(len(positives), len(negatives))
    pos = rng.sample(positives, n)
    neg = rng.sample(negatives, n)
    held = int(round(n * fraction))
    return pos[held:], neg[held:], pos[:held], neg[:held]


def precision_recall_f1(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Binary precision, recall and F1 of the positive class (0 where undefined)."""
    tp = float(np.sum(truth & predicted))
    precision = tp / max(1.0, float(np.sum(predicted)))
    recall = tp / max(1.0, float(np.sum(truth)))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def train_fasttext(data: str, output: str, params: dict) -> None:
    """Train fastText supervised on the labelled lines in ``data``; save to ``output``."""
    try:
        import fasttext
    except ImportError:
        fasttext = None
    if fasttext is None or not hasattr(fasttext, "train_supervised"):
        raise WinnowError("training needs the full fastText bindings: "
                          "pip install --force-reinstall --no-deps fasttext-numpy2-wheel")
    try:
        model = fasttext.train_supervised(input=data, **params)
    except RuntimeError as exc:
        raise WinnowError(f"fastText training failed ({exc}); try a lower --lr") from None
    model.save_model(output)


def train(
    positive: list[str], negative: list[str], output: str, opts: TrainOptions | None = None
) -> TrainReport:
    """Sample, balance, train and evaluate; write the model (fastText .bin) to ``output``."""
    opts = opts or TrainOptions()
    if not 0.0 <= opts.validation_fraction < 1.0:
        raise WinnowError("--validation-fraction: must be in [0, 1)")
    rng = random.Random(opts.seed)
    pos = reservoir(read_texts(positive, opts.text_field), opts.max_per_class, rng)
    neg = reservoir(read_texts(negative, opts.text_field), opts.max_per_class, rng)
    if not pos or not neg:
        raise WinnowError(f"need documents of both classes (positive {len(pos)}, "
                          f"negative {len(neg)})")
    train_pos, train_neg, val_pos, val_neg = split_balanced(
        pos, neg, opts.validation_fraction, rng)
    lines = [fasttext_line(DEFAULT_LABEL, t) for t in train_pos]
    lines += [fasttext_line(NEGATIVE_LABEL, t) for t in train_neg]
    rng.shuffle(lines)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="winnow-train-") as tmp:
        data = Path(tmp) / "train.txt"
        data.write_text("".join(lines), encoding="utf-8")
        params = dict(epoch=opts.epoch, lr=opts.lr, dim=opts.dim, wordNgrams=opts.word_ngrams,
                      minCount=opts.min_count, bucket=opts.bucket, thread=opts.threads,
                      seed=opts.seed, verbose=0)
        # A fresh process per run: the bindings keep native state between trainings in
        # one process and, after a few, diverge to NaN (seen with fasttext-numpy2-wheel).
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            pool.submit(train_fasttext, str(data), output, params).result()

    scorer = FastTextModel(output)
    validation = val_pos + val_neg
    truth = np.array([True] * len(val_pos) + [False] * len(val_neg))
    if validation:
        scores = quality_scores(scorer, validation, label_index(scorer, DEFAULT_LABEL))
        predicted = scores >= 0.5
        precision, recall, f1 = precision_recall_f1(truth, predicted)
        accuracy = float(np.mean(truth == predicted))
    else:
        precision = recall = f1 = accuracy = float("nan")
    return TrainReport(output, len(train_pos), len(train_neg), len(val_pos), len(val_neg),
                       precision, recall, f1, accuracy)

"""Quality classifier: train a real fastText model from real text, score with the
``quality`` stage on Spark, and check absolute and global relative thresholds.

The training corpus is built here from the shared samples: positives are C4 prose
(lines of ≥ 10 words ending in terminal punctuation, three per document), negatives
short boilerplate lines of raw Common Crawl pages (≤ 5 words: menus, dates, labels;
eight per document). An easy task on purpose: the test checks the machinery, not
a production classifier.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import random
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.cli import main
from winnow.errors import ConfigError
from winnow.fasttext.model import FastTextModel
from winnow.io.listing import expand_inputs
from winnow.io.source import read_documents
from winnow.pipeline import annotate
from winnow.progress import Progress
from winnow.quality.score import label_index, quality_scores
from winnow.quality.train import precision_recall_f1, reservoir, split_balanced
from winnow.stage import RunContext

PER_CLASS = 600


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.strip() for rec in f for line in json.loads(rec)["text"].split("\n")]


def _write_jsonl(path: Path, prefix: str, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": f"{prefix}{i:05d}", "text": text}) + "\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared_data) -> dict[str, Path]:
    """positive.jsonl / negative.jsonl built from the shared C4 and CC samples."""
    root = tmp_path_factory.mktemp("quality")
    prose = [ln for ln in _lines(shared_data / "web" / "c4-en-sample-1000.jsonl.gz")
             if len(ln.split()) >= 10 and ln.endswith((".", "!", "?"))]
    boiler = [ln for ln in _lines(shared_data / "web" / "cc-2019-30-multilingual-697.jsonl.gz")
              if 0 < len(ln.split()) <= 5]
    positives = ["\n".join(prose[i:i + 3]) for i in range(0, 3 * PER_CLASS, 3)]
    negatives = ["\n".join(boiler[i:i + 8]) for i in range(0, 8 * PER_CLASS, 8)]
    paths = {"positive": root / "positive.jsonl", "negative": root / "negative.jsonl"}
    _write_jsonl(paths["positive"], "pos", positives)
    _write_jsonl(paths["negative"], "neg", negatives)
    return paths


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory) -> tuple[Path, str]:
    """A model trained through the CLI (small hash table for speed), and what it printed."""
    model = tmp_path_factory.mktemp("model") / "quality.bin"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["train-quality", "--positive", str(corpus["positive"]),
                       "--negative", str(corpus["negative"]), "--output", str(model),
                       "--bucket", "20000", "--threads", "1", "--seed", "7"])
    assert status == 0
    return model, out.getvalue()


def test_cli_prints_held_out_metrics(trained):
    model, printed = trained
    assert model.stat().st_size > 0
    assert f"train: {PER_CLASS - 60:,} positive, {PER_CLASS - 60:,} negative" in printed
    m = re.search(r"precision ([\d.]+)\s+recall ([\d.]+)\s+F1 ([\d.]+)", printed)
    assert m, printed
    precision, recall, f1 = map(float, m.groups())
    assert f1 >= 0.9 and precision >= 0.85 and recall >= 0.85, printed


def test_cli_reports_missing_input(tmp_path, capsys):
    status = main(["train-quality", "--positive", str(tmp_path / "none.jsonl"),
                   "--negative", str(tmp_path / "none.jsonl"), "--output",
                   str(tmp_path / "m.bin")])
    assert status == 2
    assert "input not found" in capsys.readouterr().err


def test_scores_match_fasttext_bindings(trained, corpus):
    """Word-bigram hashing and softmax agree with fastText's own predict."""
    fasttext = pytest.importorskip("fasttext")
    model, _ = trained
    texts = [json.loads(line)["text"] for p in corpus.values()
             for line in p.read_text().splitlines()[:150]]
    ref = fasttext.load_model(str(model))
    labels, probs = ref.f.multilinePredict([t.replace("\n", " ") + "\n" for t in texts], 2,
                                           0.0, "strict")
    ref_hq = np.array([dict(zip(lab, pr, strict=True))["__label__hq"]
                       for lab, pr in zip(labels, probs, strict=True)])
    ours = FastTextModel(str(model))
    mine = quality_scores(ours, texts, label_index(ours, "__label__hq"))
    # fastText adds 1e-5 to the probabilities it reports.
    assert np.abs(mine - ref_hq).max() < 5e-5


def test_reservoir_is_uniform_and_seeded():
    rng = random.Random(1)
    counts = np.zeros(100)
    for _ in range(2000):
        for x in reservoir(iter(range(100)), 10, rng):
            counts[x] += 1
    assert counts.sum() == 20000
    assert counts.min() > 130 and counts.max() < 270  # expected 200 each
    assert reservoir(iter("abc"), None, rng) == ["a", "b", "c"]
    assert reservoir(iter(range(50)), 5, random.Random(3)) == reservoir(
        iter(range(50)), 5, random.Random(3))


def test_split_balances_classes_and_holds_out_each():
    tr_p, tr_n, va_p, va_n = split_balanced(list(range(100)), list(range(1000, 1030)), 0.1,
                                            random.Random(0))
    assert (len(tr_p), len(tr_n), len(va_p), len(va_n)) == (27, 27, 3, 3)
    assert not set(tr_p) & set(va_p) and all(x >= 1000 for x in tr_n + va_n)


def test_precision_recall_f1():
    truth = np.array([True, True, True, False, False])
    pred = np.array([True, True, False, True, False])
    p, r, f1 = precision_recall_f1(truth, pred)
    assert (p, r) == pytest.approx((2 / 3, 2 / 3))
    assert f1 == pytest.approx(2 / 3)
    assert precision_recall_f1(truth, np.zeros(5, bool)) == (0.0, 0.0, 0.0)


def test_config_needs_exactly_one_threshold(trained):
    model = str(trained[0])
    with pytest.raises(ConfigError, match="exactly one"):
        config.parse({"stages": [{"stage": "quality", "model": model}]})
    with pytest.raises(ConfigError, match="exactly one"):
        config.parse({"stages": [{"stage": "quality", "model": model, "min_score": 0.5,
                                  "keep_top_fraction": 0.1}]})
    with pytest.raises(ConfigError, match=r"stages\[0\]\.label: .*'__label__good'"):
        config.parse({"stages": [{"stage": "quality", "model": model, "min_score": 0.5,
                                  "label": "__label__good"}]})
    with pytest.raises(ConfigError, match=r"stages\[0\]\.model: required key missing"):
        config.parse({"stages": [{"stage": "quality", "min_score": 0.5}]})


def _stage(model: Path, **params):
    return config.parse({"stages": [{"stage": "quality", "model": str(model), **params}]}
                        ).stages[0]


def _frame(spark, corpus, partitions: int):
    files = expand_inputs([str(p) for p in corpus.values()])
    return read_documents(spark, files, config.InputConfig(), partitions)


def _annotated(stage, frame, ctx):
    """``frame`` after the pipeline ran ``stage`` (its signal pass, then its decision)."""
    return annotate(frame, [stage], ctx, Progress(quiet=True))[0]


@pytest.mark.spark
def test_keep_top_fraction_is_a_global_percentile(spark, trained, corpus, tmp_path):
    """A run keeps half of the documents (±1%) whatever the partitioning; every kept
    document outscores every removed one; stats/quality_scores records the threshold."""
    model, _ = trained
    cfg = config.parse({
        "output": {"partitions": 2},
        "stages": [{"stage": "quality", "model": str(model), "keep_top_fraction": 0.5}]})
    files = expand_inputs([str(p) for p in corpus.values()])
    out = tmp_path / "out"
    result = job.run(spark, cfg, files, str(out), progress=Progress(quiet=True))
    total = 2 * PER_CLASS
    assert result.counts.records == total
    assert abs(result.counts.kept / total - 0.5) <= 0.01
    kept = pq.read_table(out / "kept", columns=["id", "quality_score"]).to_pylist()
    removed = pq.read_table(out / "removed", columns=["id", "quality_score", "reason"]
                            ).to_pylist()
    assert {r["reason"] for r in removed} == {"quality:below_threshold"}
    assert min(r["quality_score"] for r in kept) >= max(r["quality_score"] for r in removed)

    stats = {r["outcome"]: r for r in pq.read_table(out / "stats" / "quality_scores").to_pylist()}
    assert stats["kept"]["documents"] == len(kept)
    threshold = stats["kept"]["threshold"]
    assert stats["removed"]["p99"] <= threshold <= stats["kept"]["p01"]
    signals = pq.read_table(out / "stats" / "signals", columns=["signal", "subset"]).to_pylist()
    assert {(r["signal"], r["subset"]) for r in signals} >= {("quality_score", "kept"),
                                                             ("quality_score", "removed")}

    stage = _stage(model, keep_top_fraction=0.5)
    ctx = RunContext(spark=spark, run_id="repartitioned")
    frame = _annotated(stage, _frame(spark, corpus, 5), ctx)
    kept_again = {r["id"] for r in frame.where("reason IS NULL").select("id").collect()}
    assert kept_again == {r["id"] for r in kept}
    assert stage.threshold == pytest.approx(threshold)


@pytest.mark.spark
def test_min_score_and_annotate(spark, trained, corpus):
    """min_score removes exactly the documents scoring below it; annotate removes none."""
    model, _ = trained
    ctx = RunContext(spark=spark, run_id="t")
    rows = _annotated(_stage(model, min_score=0.5), _frame(spark, corpus, 3), ctx).select(
        "id", "text", "quality_score", "reason", "stage").collect()
    scorer = FastTextModel(str(model))
    expected = quality_scores(scorer, [r["text"] for r in rows], label_index(scorer, "hq"))
    assert np.allclose([r["quality_score"] for r in rows], expected)
    for r, score in zip(rows, expected, strict=True):
        assert (r["reason"] == "quality:below_threshold") == (score < 0.5)
        assert r["stage"] == ("quality" if score < 0.5 else None)
    removed_ids = {r["id"] for r in rows if r["reason"]}
    assert sum(i.startswith("neg") for i in removed_ids) > 0.9 * PER_CLASS
    annotated = _annotated(_stage(model, min_score=0.5, mode="annotate"),
                           _frame(spark, corpus, 3), ctx)
    assert annotated.where("reason IS NOT NULL").count() == 0
    assert "quality_score" in annotated.columns

"""substring_dedup against a brute-force ExactSubstr reference, and determinism.

The corpus: planted boilerplate (real C4 lines) across synthetic documents, plus
parts of those lines spliced into the middle of body paragraphs. The reference
marks every token covered by a window of ``min_tokens`` tokens that also occurs
in a document with a smaller id (the exact set Lee et al. remove, first copy kept),
by direct comparison of token tuples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from winnow import config
from winnow.errors import ConfigError
from winnow.stage import RunContext
from winnow.stages.line_dedup import LineDedup, LineDedupParams
from winnow.stages.substring_dedup import SubstringDedup, SubstringDedupParams
from winnow.subdedup import planted as planted_mod
from winnow.text.words import tokenize

ROOT = Path(__file__).resolve().parents[1]
N_DOCS = 2000
MIN_TOKENS = 20
WINDOW = 8


def _splice(p: planted_mod.Planted) -> planted_mod.Planted:
    """Every 7th document also quotes words 3…-3 of a planted line mid-paragraph."""
    rng = np.random.default_rng(7)
    texts = list(p.texts)
    for d in range(3, len(texts), 7):
        quote = " ".join(p.boilerplate[int(rng.integers(len(p.boilerplate)))].split()[3:-3])
        paras = texts[d].split("\n\n")
        words = paras[-1].split(" ")
        at = len(words) // 2
        paras[-1] = " ".join(words[:at] + [quote] + words[at:])
        texts[d] = "\n\n".join(paras)
    p.texts = texts
    return p


@pytest.fixture(scope="module")
def corpus(shared_data):
    return _splice(planted_mod.build(shared_data / "web" / "c4-en-sample-1000.jsonl.gz",
                                     N_DOCS, body_words=(12, 30), copies=(2, 80)))


def reference(texts: list[str], m: int) -> list[set[int]]:
    """Per document (texts in id order): tokens covered by a window of ``m`` tokens that
    a document with a smaller id also holds."""
    toks = tokenize(texts).strings(texts)
    earlier: set[tuple[str, ...]] = set()
    covered = []
    for words in toks:
        windows = [tuple(words[i:i + m]) for i in range(len(words) - m + 1)]
        hit: set[int] = set()
        for i, w in enumerate(windows):
            if w in earlier:
                hit.update(range(i, i + m))
        covered.append(hit)
        earlier.update(windows)
    return covered


def _found(texts: list[str], spans: dict[int, list[tuple[int, int]]]) -> list[set[int]]:
    """Tokens lying wholly inside a dropped span."""
    t = tokenize(texts)
    out = []
    for d in range(len(texts)):
        base, lo, hi = t.text_offsets[d], t.tok_offsets[d], t.tok_offsets[d + 1]
        sp = spans.get(d, [])
        out.append({i - lo for i in range(lo, hi)
                    if any(s <= t.starts[i] - base and t.ends[i] - base <= e for s, e in sp)})
    return out


@pytest.fixture(scope="module")
def drops(spark, corpus):
    df = planted_mod.frame_of(spark, corpus, partitions=4)
    stage = SubstringDedup(SubstringDedupParams(min_tokens=MIN_TOKENS, window=WINDOW))
    index = {doc_id: d for d, doc_id in enumerate(corpus.ids)}
    rows = stage.drops(df, RunContext(spark, "t")).collect()
    return {index[r["id"]]: [(s["start"], s["end"]) for s in r["spans"]] for r in rows}


def test_recall_and_no_false_removal_against_brute_force(corpus, drops):
    ref = reference(corpus.texts, MIN_TOKENS)
    found = _found(corpus.texts, drops)
    words = tokenize(corpus.texts).strings(corpus.texts)
    ref_chars = sum(len(words[d][i]) for d in range(N_DOCS) for i in ref[d])
    hit_chars = sum(len(words[d][i]) for d in range(N_DOCS) for i in ref[d] & found[d])
    assert ref_chars > 50_000  # the planted repeats are there
    assert hit_chars / ref_chars >= 0.99
    assert all(found[d] <= ref[d] for d in range(N_DOCS)), "a span that is not repeated"
    assert sum(len(r) for r in ref) > sum(len(f) for f in found) * 0.99


def _outputs(spark, corpus, partitions: int, reverse: bool) -> dict[str, list]:
    df = planted_mod.frame_of(spark, corpus, partitions=partitions, reverse=reverse)
    ctx = RunContext(spark, "t")
    out = LineDedup(LineDedupParams()).apply(df, ctx)
    out = SubstringDedup(SubstringDedupParams(min_tokens=MIN_TOKENS, window=WINDOW)).apply(
        out, ctx)
    return {r["id"]: [r["reason"], r["text"]] for r in out.select("id", "reason", "text")
            .collect()}


SUBPROCESS = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from test_substring_dedup import _outputs, _splice
    from winnow.session import build_session
    from winnow.subdedup import planted
    spark = build_session("local[1]", app_name="subdedup-local1", extra={
        "spark.sql.shuffle.partitions": "3", "spark.ui.enabled": "false"})
    corpus = _splice(planted.build(sys.argv[2], int(sys.argv[3]), body_words=(12, 30),
                                   copies=(2, 80)))
    json.dump(_outputs(spark, corpus, 1, False), open(sys.argv[4], "w"))
""")


def test_same_output_in_local1_and_local2_any_order(spark, shared_data, tmp_path):
    n = 400
    corpus = _splice(planted_mod.build(shared_data / "web" / "c4-en-sample-1000.jsonl.gz", n,
                                       body_words=(12, 30), copies=(2, 80)))
    mine = _outputs(spark, corpus, partitions=5, reverse=True)
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
    out = tmp_path / "local1.json"
    subprocess.run([sys.executable, "-c", SUBPROCESS, str(ROOT / "tests"),
                    str(shared_data / "web" / "c4-en-sample-1000.jsonl.gz"), str(n), str(out)],
                   check=True, env=env, cwd=ROOT, timeout=900)
    theirs = json.loads(out.read_text())
    assert theirs == mine
    reasons = {r for r, _ in mine.values()}
    assert reasons >= {None, "line_dedup:mostly_duplicate"}
    assert sum(t != corpus.texts[corpus.ids.index(i)] for i, (_, t) in mine.items()) > 50


def test_window_must_not_exceed_min_tokens():
    with pytest.raises(ConfigError, match="window: must be at most min_tokens"):
        config.parse({"stages": [{"stage": "substring_dedup", "min_tokens": 10, "window": 11}]})

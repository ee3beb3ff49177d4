"""decontaminate: planted benchmark passages in real C4 text, both match paths, strip.

The benchmark is real text from another shared corpus (the Clough & Stevenson
Wikipedia sources, cut into 40-word items); passages of its items are planted
verbatim, with case, punctuation or whitespace edits, with one word changed and
split across lines into real C4 documents. Every planted document must be caught
and no other document of the same corpus. One item is planted into five documents:
with ``max_corpus_count: 3`` its n-grams are common phrases (GPT-3's rule) and those
documents stay. The broadcast (numba probe) and Spark-join paths must decide alike.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.decontam.evals import EvalError, EvalTable, read_items
from winnow.io.listing import expand_inputs
from winnow.minhash.shingles import normalize_for_shingles
from winnow.progress import Progress
from winnow.text import ngrams

pytestmark = pytest.mark.spark

VARIANTS = ("verbatim", "case", "punctuation", "whitespace", "one_word", "split_lines")
PER_VARIANT = 3
N_DOCS = 120
COMMON_DOCS = 5


def benchmark_items(shared: Path, words: int = 40) -> list[str]:
    """40-word items from the five Wikipedia source texts of Clough & Stevenson."""
    items = []
    for f in sorted((shared / "neardup" / "clough-stevenson").glob("orig_task*.txt")):
        w = f.read_text(encoding="utf-8", errors="replace").split()
        items += [" ".join(w[i:i + words]) for i in range(0, len(w) - words + 1, words)]
    return items


def edit(passage: str, variant: str, rng: random.Random) -> str:
    words = passage.split()
    if variant == "case":
        return passage.upper()
    if variant == "punctuation":
        bare = [re.sub(r"[^\w]", "", w) or w for w in words]
        return ", ".join(" ".join(bare[i:i + 5]) for i in range(0, len(bare), 5)) + "!"
    if variant == "whitespace":
        return "".join(w + rng.choice(["  ", "\t", " \n ", "   "]) for w in words)
    if variant == "one_word":
        words[len(words) // 2] = "zebra"
        return " ".join(words)
    if variant == "split_lines":
        return "\n".join(" ".join(words[i:i + 7]) for i in range(0, len(words), 7))
    return passage


def build_corpus(shared: Path, out: Path) -> dict:
    rng = random.Random(7)
    items = benchmark_items(shared)
    bench = out / "evals" / "wiki.jsonl"
    bench.parent.mkdir(parents=True)
    bench.write_text("".join(json.dumps({"question": " ".join(t.split()[:20]),
                                         "answer": " ".join(t.split()[20:])}) + "\n"
                             for t in items))
    (out / "evals" / "other").mkdir()
    pq.write_table(pa.table({"question": ["zz qq " * 20]}), out / "evals" / "other" / "a.parquet")
    with gzip.open(shared / "web" / "c4-en-sample-1000.jsonl.gz", "rt") as f:
        docs = [json.loads(line) for line in f][:N_DOCS]
    planted: dict[str, str] = {}
    common_item = items[-1]
    recs = []
    for i, r in enumerate(docs):
        text, doc_id = r["text"], f"c4-{i:04d}"
        if i < len(VARIANTS) * PER_VARIANT:
            variant = VARIANTS[i // PER_VARIANT]
            passage = edit(items[i % (len(items) - 1)], variant, rng)
            cut = text.find(" ", len(text) // 2)
            text = text[:cut] + "\n" + passage + "\n" + text[cut:]
            planted[doc_id] = variant
        elif i == len(VARIANTS) * PER_VARIANT:  # two passages far apart: two cuts
            text = items[1] + "\n" + text + "\n" + items[2]
            planted[doc_id] = "twice"
        elif i <= len(VARIANTS) * PER_VARIANT + COMMON_DOCS:
            text = text + "\n" + common_item
            planted[doc_id] = "common"
        recs.append({"id": doc_id, "text": text, "url": r["url"]})
    (out / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in recs))
    return {"shared": str(shared), "bench": str(bench), "other": str(out / "evals" / "other"),
            "planted": planted, "ids": [x["id"] for x in recs], "input": str(out / "in.jsonl")}


def run(spark, corpus: dict, out: Path, stages: list[dict]) -> Path:
    cfg = config.parse({"stages": stages})
    job.run(spark, cfg, expand_inputs([corpus["input"]]), str(out), run_id="dc",
            progress=Progress(quiet=True))
    return out


def decon(corpus: dict, **kw) -> dict:
    return {"stage": "decontaminate", "fields": ["question", "answer"],
            "benchmarks": {"wiki": corpus["bench"], "other": corpus["other"]}, **kw}


def reasons(out: Path) -> dict[str, str]:
    return {r["id"]: r["reason"] for r in pq.read_table(out / "removed").to_pylist()}


def table(spark, out: Path, name: str) -> list[dict]:
    return [r.asDict() for r in spark.read.parquet(str(out / "stats" / name)).collect()]


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    return build_corpus(shared_data, tmp_path_factory.mktemp("decontam"))


@pytest.fixture(scope="module")
def broadcast(spark, corpus, tmp_path_factory):
    return run(spark, corpus, tmp_path_factory.mktemp("bc") / "out",
               [decon(corpus, method="broadcast", max_corpus_count=3)])


@pytest.fixture(scope="module")
def joined(spark, corpus, tmp_path_factory):
    return run(spark, corpus, tmp_path_factory.mktemp("jn") / "out",
               [decon(corpus, method="join", max_corpus_count=3)])


def test_every_planted_document_is_caught_and_no_other(broadcast, corpus):
    got = reasons(broadcast)
    leaks = {d for d, v in corpus["planted"].items() if v != "common"}
    assert set(got) == leaks, (sorted(leaks - set(got)), sorted(set(got) - leaks))
    assert set(got.values()) == {"decontam:wiki"}
    kept = {r["id"] for r in pq.read_table(broadcast / "kept").to_pylist()}
    assert kept | set(got) == set(corpus["ids"])  # conservation: every record, once


def test_common_ngrams_are_ignored_by_the_gpt3_rule(broadcast, corpus):
    kept = pq.read_table(broadcast / "kept").to_pandas().set_index("id")
    common = [d for d, v in corpus["planted"].items() if v == "common"]
    assert len(common) == COMMON_DOCS
    assert (kept.loc[common, "decontam_ngrams"] > 0).all()  # matched, yet kept


def test_signals_and_contamination_table(spark, broadcast, corpus, shared_data):
    removed = pq.read_table(broadcast / "removed").to_pandas().set_index("id")
    verbatim = [d for d, v in corpus["planted"].items() if v == "verbatim"]
    assert (removed.loc[verbatim, "decontam_ngrams"] >= 40 - 13 + 1).all()
    assert all(list(b) == ["wiki"] for b in removed["decontam_benchmarks"])
    rows = table(spark, broadcast, "contamination")
    summary = {r["benchmark"]: r for r in rows if r["item"] is None}
    # The common item's documents are left out: its n-grams are common phrases.
    assert summary["wiki"]["documents_hit"] == len(VARIANTS) * PER_VARIANT + 1
    assert summary["wiki"]["items"] == len(benchmark_items(shared_data))
    assert summary["wiki"]["ngrams"] > 20 * summary["wiki"]["items"]
    assert summary["other"]["documents_hit"] == 0 and summary["other"]["items"] == 1
    items = [r for r in rows if r["benchmark"] == "wiki" and r["item"] is not None]
    assert items and all(r["example_id"] in removed.index for r in items)
    assert all(r["item_excerpt"] for r in items)


def test_recheck_lists_published_documents_to_retract(spark, broadcast, corpus, tmp_path):
    from winnow.cli import main

    retract = tmp_path / "retract"
    assert main(["decontaminate", "--output", str(broadcast), "--benchmark",
                 f"wiki={corpus['bench']}", "--fields", "question", "answer",
                 "--retract", str(retract), "--master", "local[2]"]) == 0
    rows = pq.read_table(retract).to_pylist()
    common = {d for d, v in corpus["planted"].items() if v == "common"}
    # Published (kept) documents holding benchmark n-grams: the common-item ones.
    assert {r["id"] for r in rows} == common
    assert {r["benchmark"] for r in rows} == {"wiki"} and all(r["run_id"] is None for r in rows)
    assert (broadcast / "kept").exists()  # published files untouched


def test_join_path_decides_like_the_broadcast_path(spark, broadcast, joined):
    assert reasons(joined) == reasons(broadcast)
    key = ("benchmark", "item", "documents_hit", "ngrams_matched", "example_id")

    def rows(out: Path) -> list[tuple]:
        return sorted(tuple(str(r[k]) for k in key) for r in table(spark, out, "contamination"))

    assert rows(joined) == rows(broadcast)


def test_strip_cuts_the_passage_and_counts_it(spark, corpus, tmp_path):
    out = run(spark, corpus, tmp_path / "out",
              [decon(corpus, action="strip", strip_window=5, max_strips=1),
               {"stage": "pii", "action": "redact"}])
    kept = pq.read_table(out / "kept").to_pandas().set_index("id")
    twice = [d for d, v in corpus["planted"].items() if v == "twice"]
    assert reasons(out) == {twice[0]: "decontam:wiki"}  # two cuts > max_strips 1
    assert len(kept) == N_DOCS - 1
    items = benchmark_items(Path(corpus["shared"]))
    for i, (d, v) in enumerate(corpus["planted"].items()):
        if v == "verbatim":
            passage = normalize_for_shingles(items[i % (len(items) - 1)])
            assert passage[:60] not in normalize_for_shingles(kept.loc[d, "text"])
            assert kept.loc[d, "decontaminate_chars_removed"] >= len(items[i])
    stripped = set(kept.index[kept["decontaminate_modified"]])
    assert stripped == {d for d, v in corpus["planted"].items() if v != "twice"}
    summary = table(spark, out, "stage_summary")
    mod = {r["stage"]: r["documents"] for r in summary if r["outcome"] == "modified"}
    assert mod["decontaminate"] == len(stripped)
    assert mod["pii"] == int(kept["pii_modified"].sum()) > 0  # C4 holds real phone numbers
    assert "<PHONE>" in "".join(kept["text"])


def test_kernel_hashes_are_the_minhash_shingles():
    from winnow.minhash.shingles import shingles
    from winnow.minhash.signatures import fnv1a64

    def fmix(x: int) -> int:
        m = (1 << 64) - 1
        x ^= x >> 33
        x = (x * 0xFF51AFD7ED558CCD) & m
        x ^= x >> 33
        x = (x * 0xC4CEB9FE1A85EC53) & m
        return x ^ (x >> 33)

    text = "Ünïcode, Text: with 12 digits — and ideographs 漢字 😀 end.\nNext line"
    _, got = ngrams.ngram_hashes(pa.array([text]), 3)
    assert [int(h) for h in got] == [fmix(fnv1a64(s.encode())) for s in shingles(text, 3)]
    keys, vals = ngrams.build_table(got[:1], np.array([1]))
    m = ngrams.probe(pa.array([text, ""]), 3, keys, vals)
    assert m.counts.tolist() == [1, 0]
    assert text[m.starts[0]:m.ends[0]] == "Ünïcode, Text: with"


def test_bad_benchmarks_fail_with_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\nnot json\n')
    with pytest.raises(EvalError, match=r"bad.jsonl:2: not a JSON object"):
        read_items(str(bad), ["text"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(config.ConfigError, match="directory holds no"):
        config.parse({"stages": [{"stage": "decontaminate",
                                  "benchmarks": {"x": str(tmp_path / "empty")}}]})
    with pytest.raises(config.ConfigError, match="action: must be one of"):
        config.parse({"stages": [{"stage": "decontaminate", "action": "burn",
                                  "benchmarks": {"x": str(bad)}}]})
    with pytest.raises(config.ConfigError, match="needs method broadcast"):
        config.parse({"stages": [{"stage": "decontaminate", "action": "strip",
                                  "max_corpus_count": 5, "benchmarks": {"x": str(bad)}}]})
    cfg = {"stages": [{"stage": "decontaminate", "benchmarks": {"x": str(bad)}}]}
    before = config.parse(cfg).hash
    bad.write_text('{"text": "a"}\n{"text": "b"}\n')  # same path, new content
    assert config.parse(cfg).hash != before  # nightly: benchmark content is in the hash
    short = tmp_path / "short.jsonl"
    short.write_text('{"text": "too short"}\n')
    t = EvalTable.build({"s": str(short)}, ["text"], 13)
    assert (t.items["s"], t.too_short["s"], len(t)) == (1, 1, 0)

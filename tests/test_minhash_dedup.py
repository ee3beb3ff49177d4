"""The ``minhash_dedup`` stage end to end, judged against brute-force exact Jaccard.

Ground truth never comes from the code under test: exact Jaccard of every pair of
documents is computed from the readable shingle definition with a sparse
matrix product.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sparse
from conftest import C4_SAMPLE, ROOT
from datasketch import MinHash, MinHashLSH
from pyspark.sql import functions as F
from winnow import config, job, synth
from winnow.errors import ConfigError
from winnow.io.listing import expand_inputs
from winnow.minhash.candidates import band_rows, star_edges
from winnow.minhash.components import connected_components
from winnow.minhash.shingles import shingles
from winnow.minhash.signatures import Permutations, fnv1a64
from winnow.progress import Progress
from winnow.stage import RunContext
from winnow.stages.minhash_dedup import MinhashDedup

pytestmark = pytest.mark.spark

RECIPE = ROOT / "conf" / "recipes" / "minhash.yaml"
SYNTH_DOCS = 2000


def _pair_jaccard(shingle_sets: list[set[str]]) -> dict[tuple[int, int], float]:
    """Exact Jaccard of every pair sharing a shingle (i < j), by brute force."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, s in enumerate(shingle_sets):
        for x in s:
            rows.append(i)
            cols.append(vocab.setdefault(x, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)),
                          shape=(len(shingle_sets), max(1, len(vocab))))
    inter = (m @ m.T).tocoo()
    sizes = np.array([len(s) for s in shingle_sets])
    upper = inter.row < inter.col
    r, c, n = inter.row[upper], inter.col[upper], inter.data[upper]
    jac = n / (sizes[r] + sizes[c] - n)
    return {(int(a), int(b)): float(j) for a, b, j in zip(r, c, jac, strict=True)}


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


@pytest.fixture(scope="module")
def synth_run(spark, tmp_path_factory):
    """The minhash recipe over a synth corpus with planted near duplicates."""
    d = tmp_path_factory.mktemp("minhash")
    synth.generate(SYNTH_DOCS, str(d / "corpus"), seed=11, workers=1)
    cfg = config.load(RECIPE)
    files = expand_inputs([str(d / "corpus" / "docs")], cfg.input.format)
    job.run(spark, cfg, files, str(d / "out"), run_id="mh", progress=Progress(quiet=True))
    docs = []
    for part in sorted((d / "corpus" / "docs").glob("*.jsonl.gz")):
        with gzip.open(part, "rt") as f:
            docs += [json.loads(line) for line in f]
    kept = [{**r, "reason": None, "duplicate_of": None} for r in _rows(d / "out" / "kept")]
    rows = {r["id"]: r for r in kept + _rows(d / "out" / "removed")}
    sets = [set(shingles(doc["text"])) for doc in docs]
    return d / "out", docs, rows, sets


def test_ground_truth_recall_and_precision(synth_run):
    """Pairs with true 5-gram Jaccard ≥ 0.8 share a cluster (recall ≥ 0.95); every
    near-duplicate removal points at a kept document with Jaccard ≥ 0.5 (≥ 0.98)."""
    _, docs, rows, sets = synth_run
    ids = [doc["id"] for doc in docs]
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    jac = _pair_jaccard(sets)
    cluster = {doc_id: rows[doc_id]["dup_cluster"] for doc_id in ids}
    similar = [(a, b) for (a, b), j in jac.items() if j >= 0.8
               and cluster[ids[a]] is not None and cluster[ids[b]] is not None]
    assert len(similar) > 100
    found = sum(cluster[ids[a]] == cluster[ids[b]] for a, b in similar)
    assert found / len(similar) >= 0.95

    removed = [r for r in rows.values() if r["reason"] == "dedup:near_duplicate"]
    assert len(removed) > 50
    good = 0
    for r in removed:
        a, b = sorted((index[r["id"]], index[r["duplicate_of"]]))
        good += jac.get((a, b), 0.0) >= 0.5
        assert rows[r["duplicate_of"]]["reason"] is None
        assert rows[r["duplicate_of"]]["dup_cluster"] == r["dup_cluster"]
    assert good / len(removed) >= 0.98


def test_who_goes_through_lsh(synth_run):
    """Exactly the documents kept by exact dedup with at least one shingle get a cluster;
    short ones skip LSH (no shared sentinel cluster) and are never near duplicates."""
    _, docs, rows, sets = synth_run
    for doc, s in zip(docs, sets, strict=True):
        r = rows[doc["id"]]
        went = r["reason"] != "dedup:exact_duplicate" and len(s) > 0
        assert (r["dup_cluster"] is not None) == went, doc["id"]
        if not s:
            assert r["reason"] is None and r["dup_cluster_size"] is None
    assert any(not s for s in sets), "the synth corpus has documents below one shingle"


def test_clusters_are_consistent_and_chains_end_kept(synth_run):
    _, _, rows, _ = synth_run
    members: dict[str, list[dict]] = {}
    for r in rows.values():
        if r["dup_cluster"] is not None:
            members.setdefault(r["dup_cluster"], []).append(r)
    assert max(len(m) for m in members.values()) > 1
    for name, group in members.items():
        assert name == min(r["id"] for r in group)
        assert {r["dup_cluster_size"] for r in group} == {len(group)}
        assert sum(r["reason"] is None for r in group) == 1  # one survivor per cluster
    for r in rows.values():
        seen = 0
        while r["duplicate_of"] is not None:
            r = rows[r["duplicate_of"]]
            seen += 1
            assert seen < 5
        assert r["reason"] is None


def test_stats_tables(synth_run):
    out, _, rows, _ = synth_run
    hist = _rows(out / "stats" / "dup_clusters")
    assert all(h["run_id"] == "mh" and h["clusters"] * h["cluster_size"] == h["documents"]
               for h in hist)
    assert sum(h["documents"] for h in hist) == sum(
        r["dup_cluster"] is not None for r in rows.values())
    largest = _rows(out / "stats" / "dup_clusters_largest")
    assert 0 < len(largest) <= 20
    sizes = [r["cluster_size"] for r in largest]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == max(h["cluster_size"]
                                                                    for h in hist)
    for r in largest:
        assert rows[r["kept_id"]]["reason"] is None
        assert rows[r["sample_id"]]["text"].startswith(r["sample_snippet"])


def _planted_corpus(n: int, seed: int) -> list[tuple[str, str, float]]:
    """C4 documents plus copies with 0–8% of words replaced: pairs across the S-curve."""
    rng = random.Random(seed)
    with gzip.open(C4_SAMPLE, "rt") as f:
        texts = [json.loads(line)["text"] for line in f][:n]
    rows = []
    for i, text in enumerate(texts):
        rows.append((f"c{i:04d}", text, rng.random()))
        if i % 3 == 0:
            words = text.split()
            for _ in range(1 + rng.randrange(2)):
                rate = rng.uniform(0.0, 0.08)
                copy = [rng.choice(("alpha", "beta", "gamma")) if rng.random() < rate else w
                        for w in words]
                rows.append((f"c{i:04d}-{len(rows)}", " ".join(copy), rng.random()))
    return rows


def _frame(spark, rows):
    return spark.createDataFrame(rows, "id string, text string, quality_score double").withColumns({
        "reason": F.lit(None).cast("string"), "stage": F.lit(None).cast("string"),
        "duplicate_of": F.lit(None).cast("string"),
        "char_count": F.length("text").cast("long"),
    })


def _stage(**params) -> MinhashDedup:
    cfg = config.parse({"stages": [{"stage": "minhash_dedup", **params}]})
    return cfg.stages[0]


def test_same_result_for_any_partitioning_and_cc_path(spark):
    """repartition(1) with the one-task finish and repartition(3) with star rounds give
    identical clusters, survivors and reasons; survivors follow the priority."""
    rows = _planted_corpus(200, seed=2)
    ctx = RunContext(spark=spark, run_id="p")
    cols = ["id", "reason", "duplicate_of", "dup_cluster", "dup_cluster_size"]
    one = _stage().apply(_frame(spark, rows).repartition(1), ctx).select(*cols)
    three = _stage(components_local_limit=0).apply(
        _frame(spark, list(reversed(rows))).repartition(3), ctx).select(*cols)
    a = sorted(map(tuple, one.collect()))
    b = sorted(map(tuple, three.collect()))
    assert a == b
    score = {r[0]: r[2] for r in rows}
    groups: dict[str, list[tuple]] = {}
    for r in a:
        groups.setdefault(r[3], []).append(r)
    multi = [g for g in groups.values() if len(g) > 1]
    assert len(multi) > 15
    for g in multi:
        kept = [r[0] for r in g if r[1] is None]
        assert kept == [max((r[0] for r in g), key=lambda i: score[i])]


def test_candidate_pairs_match_datasketch(spark):
    """Same documents and parameters: the (band, key) buckets give the same candidate
    pairs as datasketch's MinHashLSH, and star edges keep their connectivity."""
    rows = _planted_corpus(240, seed=3)
    stage = _stage()
    perms = Permutations.from_seed(112, stage.params.seed)
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    sketches = {}
    for doc_id, text, _ in rows:
        sh = shingles(text)
        if sh:
            m = MinHash(num_perm=112, scheme="affine64", hashfunc=fnv1a64,
                        permutations=(perms.a, perms.b))
            m.update_batch([s.encode() for s in sh])
            lsh.insert(doc_id, m)
            sketches[doc_id] = m
    theirs = {tuple(sorted((k, q))) for k, m in sketches.items() for q in lsh.query(m) if q != k}

    sigs = stage.signature_frame(_frame(spark, rows), []).where("signature IS NOT NULL")
    bands = band_rows(sigs).cache()
    ours = {tuple(r) for r in bands.alias("a").join(bands.alias("b"), ["band", "key"])
            .where(F.col("a.id") < F.col("b.id")).select("a.id", "b.id").distinct().collect()}
    assert len(theirs) > 50
    assert len(ours & theirs) / len(ours | theirs) >= 0.99

    labels, _ = connected_components(star_edges(bands, _local), _local)
    ours_cc = dict(labels.collect())
    bands.unpersist()
    assert set(ours_cc) == {doc_id for pair in theirs for doc_id in pair}
    for a, b in theirs:
        assert ours_cc[a] == ours_cc[b]


def _local(frame):
    return frame.localCheckpoint(eager=True)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold": 0.8, "bands": 20}, "either threshold or bands"),
        ({"threshold": 1.5}, "threshold"),
        ({"unit": "byte"}, "unit"),
        ({"ngram": 0}, "ngram"),
        ({"priority": ["-"]}, "priority"),
    ],
)
def test_config_errors(params, message):
    with pytest.raises(ConfigError, match=message):
        _stage(**params)


def test_threshold_chooses_banding_and_recipe_loads():
    stage = _stage(threshold=0.8, num_perm=112)
    assert (stage.banding.bands, stage.banding.rows) == (9, 12)
    assert stage.min_similarity == pytest.approx(0.7)
    names = [s.name for s in config.load(RECIPE).stages]
    assert names == ["normalize", "exact_dedup", "minhash_dedup"]


def test_no_candidate_pair_skips_the_graph(spark):
    """Documents with no shared bucket: every one kept in a cluster of its own, the
    one without a shingle outside LSH (no verification or components ran)."""
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    # Letters, not digits, make the texts differ (shingles fold digits).
    rows = [(f"d{i}", " ".join(w + "xyzvw"[i] * 3 for w in words), 0.5) for i in range(5)]
    rows.append(("short", "two words", 0.5))
    out = _stage().apply(_frame(spark, rows), RunContext(spark=spark, run_id="n"))
    got = {r["id"]: r for r in out.collect()}
    assert len(got) == 6
    for i in range(5):
        r = got[f"d{i}"]
        assert (r["reason"], r["dup_cluster"], r["dup_cluster_size"]) == (None, f"d{i}", 1)
    assert (got["short"]["reason"], got["short"]["dup_cluster"]) == (None, None)

"""``sample_weight`` (rehydrate, softdedup, SQL) and ``metadata_prefix`` (MeCo)."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.errors import ConfigError, WinnowError
from winnow.io.listing import expand_inputs
from winnow.progress import Progress
from winnow.stage import RunContext
from winnow.stages.metadata_prefix import MetadataPrefix, MetadataPrefixParams
from winnow.stages.sample_weight import SampleWeight, SampleWeightParams

pytestmark = pytest.mark.spark

#: Copies of document i of the sample: cluster sizes 1, 2, 3, 4, 6, 12.
COPIES = [1, 2, 3, 4, 6, 12]
BUCKETS = {1: 1.0, 2: 2.0, 3: 3.0, 5: 5.0, 10: 1.0}


def bucket(size: int) -> float:
    return BUCKETS[max(b for b in BUCKETS if b <= size)]


def domain(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host[4:] if host and host.startswith("www.") else host


@pytest.fixture(scope="module")
def run(spark, shared_data, tmp_path_factory):
    """minhash_dedup → sample_weight (rehydrate) → metadata_prefix over C4 with copies."""
    tmp = tmp_path_factory.mktemp("weights")
    with gzip.open(shared_data / "web" / "c4-en-sample-1000.jsonl.gz", "rt") as f:
        docs = [json.loads(line) for line in f.read().splitlines()[:60]]
    records = []
    for i, d in enumerate(docs):
        for k in range(COPIES[i] if i < len(COPIES) else 1):
            records.append({"id": f"d{i:03d}-{k}", "text": d["text"],
                            "url": d["url"] if k == 0 else f"https://www.Copy{k}.example/{i}"})
    records[-1]["url"] = None  # a kept document without a URL gets no prefix
    data = tmp / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    cfg = config.parse({"stages": [
        {"stage": "minhash_dedup"},
        {"stage": "sample_weight", "policy": "rehydrate",
         "buckets": {str(k): v for k, v in BUCKETS.items()}},
        {"stage": "metadata_prefix", "template": "{domain}\n\n"},
    ]})
    job.run(spark, cfg, expand_inputs([str(data)]), str(tmp / "out"), run_id="w",
            progress=Progress(quiet=True))
    kept = pq.read_table(tmp / "out" / "kept").to_pylist()
    removed = pq.read_table(tmp / "out" / "removed").to_pylist()
    return kept, removed


def test_rehydrate_weights_follow_the_bucket_table(run):
    kept, removed = run
    assert len(kept) == 60 and len(removed) == sum(COPIES) - len(COPIES)
    sizes = {r["dup_cluster_size"] for r in kept}
    assert {2, 3, 4, 6, 12} <= sizes
    for r in kept:
        assert r["sample_weight"] == bucket(r["dup_cluster_size"]), r["id"]
    assert all(r["sample_weight"] is None for r in removed)


def test_meco_column_matches_its_template(run):
    kept, removed = run
    for r in kept:
        d = domain(r["url"])
        expected = f"{d}\n\n{r['text']}" if d else r["text"]
        assert r["text_with_metadata"] == expected
    assert any(r["url"] is None for r in kept)
    assert all(r["text_with_metadata"] is None for r in removed)


@pytest.fixture(scope="module")
def small(spark):
    rows = [
        ("a", "alpha text", None, 1, 0.5, "https://www.A.org/x", "en"),
        ("b", "beta text", None, 2, 1.5, None, "en"),
        ("c", "gamma text", None, 4, 2.0, "http://c.net", None),
        ("d", "delta text", "x:y", 4, 9.0, "http://d.net", "de"),
    ]
    return spark.createDataFrame(
        rows, "id string, text string, reason string, dup_cluster_size long, score double, "
              "url string, lang string")


def apply(stage, df, spark):
    return {r["id"]: r.asDict() for r in stage.apply(df, RunContext(spark, "t")).collect()}


def test_softdedup_is_inverse_cluster_size_with_mean_one(spark, small):
    out = apply(SampleWeight(SampleWeightParams(policy="softdedup")), small, spark)
    raw = {"a": 1.0, "b": 0.5, "c": 0.25}
    mean = sum(raw.values()) / 3
    for k, v in raw.items():
        assert out[k]["sample_weight"] == pytest.approx(v / mean)
    assert out["d"]["sample_weight"] is None


def test_sql_policy_and_its_errors(spark, small):
    out = apply(SampleWeight(SampleWeightParams(policy="score * 2")), small, spark)
    assert [out[k]["sample_weight"] for k in "abcd"] == [1.0, 3.0, 4.0, None]
    with pytest.raises(WinnowError, match=r"no finite weight >= 0 for 3 kept document\(s\), "
                                          r"e\.g\. id a"):
        apply(SampleWeight(SampleWeightParams(policy="score - 10")), small, spark)
    with pytest.raises(ConfigError, match="unknown column 'quality'"):
        apply(SampleWeight(SampleWeightParams(policy="quality * 2")), small, spark)


def test_prefix_template_over_columns_and_replace_text(spark, small):
    stage = MetadataPrefix(MetadataPrefixParams(template="Lang: {lang} | {domain}\n"))
    out = apply(stage, small, spark)
    assert out["a"]["text_with_metadata"] == "Lang: en | a.org\nalpha text"
    assert out["b"]["text_with_metadata"] == "beta text"  # no url: no prefix
    assert out["c"]["text_with_metadata"] == "gamma text"  # no lang: no prefix
    assert out["d"]["text_with_metadata"] is None  # removed
    replaced = apply(MetadataPrefix(MetadataPrefixParams(replace_text=True)), small, spark)
    assert replaced["a"]["text"] == "a.org\n\nalpha text"
    assert replaced["d"]["text"] == "delta text"
    assert "text_with_metadata" not in replaced["a"]


def test_config_errors():
    cases = [
        ({"stage": "sample_weight", "buckets": {"two": 2}}, "buckets.two: keys are cluster"),
        ({"stage": "sample_weight", "buckets": {"2": 2}}, "needs a bucket starting at"),
        ({"stage": "metadata_prefix", "template": "{domain"}, "template:"),
        ({"stage": "metadata_prefix", "template": "{domain!r}"}, "plain column name"),
        ({"stage": "metadata_prefix", "template": "plain"}, "names no column"),
    ]
    for entry, message in cases:
        with pytest.raises(ConfigError, match=message):
            config.parse({"stages": [entry]})

"""``winnow mix``: token shares, sample weights, repeats, shards, determinism, errors."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from winnow import cli
from winnow.errors import ConfigError, WinnowError
from winnow.mix import command
from winnow.mix import config as mixconfig

pytestmark = pytest.mark.spark

#: Documents per (source, language): 100,000 in all.
POOLS = {("web", "en"): 60_000, ("web", "de"): 25_000, ("wiki", "en"): 15_000}
WEIGHTS = {"web/en": 0.6, "web/de": 0.1, "wiki/en": 0.3}
BUDGET = 20_000_000


def write_sources(root) -> dict[str, str]:
    """Curated-looking Parquet: id, text, lang, token_count (lognormal), web: sample_weight."""
    rng = np.random.default_rng(7)
    paths = {}
    for source in ("web", "wiki"):
        tables = []
        for (src, lang), n in POOLS.items():
            if src != source:
                continue
            tokens = np.maximum(1, rng.lognormal(5.4, 0.8, n).astype(np.int64))
            cols = {
                "id": [f"{lang}-{i:06d}" for i in range(n)],
                "text": [f"{src} {lang} document {i}" for i in range(n)],
                "lang": [lang] * n,
                "token_count": tokens,
                "source": [f"/data/{src}.jsonl"] * n,
            }
            if source == "web":
                cols["sample_weight"] = rng.choice([1.0, 2.0, 3.0], n)
            tables.append(pa.table(cols))
        table = pa.concat_tables(tables)
        out = root / source / "kept"
        out.mkdir(parents=True)
        order = rng.permutation(table.num_rows)
        for k, chunk in enumerate(np.array_split(order, 4)):  # four files per source
            pq.write_table(table.take(chunk), out / f"part-{k:05d}.parquet")
        paths[source] = str(out)
    return paths


def mix_config(sources: dict[str, str], **over) -> dict:
    raw = {"sources": sources, "group_by": ["source", "lang"], "budget_tokens": BUDGET,
           "weights": dict(WEIGHTS), "repeat": "allow", "seed": 1,
           "shards": {"format": "parquet", "target_mb": 0.5}}
    raw.update(over)
    return raw


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mix")
    return tmp, write_sources(tmp)


@pytest.fixture(scope="module")
def mixed(spark, pool):
    """The same mix twice: default input splits, then small splits and other shuffles."""
    tmp, sources = pool
    cfg = mixconfig.parse(mix_config(sources))
    first = command.run(spark, cfg, str(tmp / "a"))
    conf = spark.conf
    saved = {k: conf.get(k) for k in ("spark.sql.files.maxPartitionBytes",
                                      "spark.sql.shuffle.partitions")}
    conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))
    conf.set("spark.sql.shuffle.partitions", "7")
    try:
        second = command.run(spark, cfg, str(tmp / "b"))
    finally:
        for k, v in saved.items():
            conf.set(k, v)
    return tmp, sources, first, second


def shard_rows(path) -> list[list[tuple]]:
    out = []
    for shard in sorted((path / "shards").iterdir()):
        t = pq.read_table(shard, columns=["source", "id", "mix_repeat"]).to_pylist()
        out.append([(r["source"], r["id"], r["mix_repeat"]) for r in t])
    return out


def test_token_shares_within_one_percent(mixed):
    _, _, manifest, _ = mixed
    groups = {g["group"]: g for g in manifest["groups"]}
    assert set(groups) == set(WEIGHTS)
    for name, weight in WEIGHTS.items():
        g = groups[name]
        assert abs(g["share"] - weight) <= 0.01 * weight, (name, g["share"])
        assert abs(g["tokens"] - g["target_tokens"]) <= 0.01 * g["target_tokens"]
        assert g["repeats"] == g["rows"] - g["documents"]
    assert abs(manifest["totals"]["tokens"] - BUDGET) <= 0.01 * BUDGET
    # wiki/en asks for more tokens than it has: it repeats documents.
    assert groups["wiki/en"]["tokens"] > groups["wiki/en"]["pool_tokens"]
    assert groups["wiki/en"]["repeats"] > 0


def test_manifest_and_stats_agree_with_the_shards(mixed):
    tmp, _, manifest, _ = mixed
    rows = [r for shard in shard_rows(tmp / "a") for r in shard]
    assert len(rows) == manifest["totals"]["rows"] == len(set(rows))
    table = pq.read_table(tmp / "a" / "shards").to_pandas()
    by_group = table.groupby("mix_group")["token_count"].sum().to_dict()
    for g in manifest["groups"]:
        assert by_group[g["group"]] == g["tokens"]
    stats = {r["group"]: r for r in pq.read_table(tmp / "a" / "stats" / "mixture").to_pylist()}
    assert {k: (v["tokens"], v["documents"], v["repeats"]) for k, v in stats.items()} == {
        g["group"]: (g["tokens"], g["documents"], g["repeats"]) for g in manifest["groups"]}
    assert (tmp / "a" / "_SUCCESS").exists()
    assert json.loads((tmp / "a" / "manifest.json").read_text())["seed"] == 1
    assert set(table["source_file"]) == {"/data/web.jsonl", "/data/wiki.jsonl"}


def test_sample_weight_sets_the_draw_rate(mixed):
    tmp, sources, _, _ = mixed
    weights = {r["id"]: r["sample_weight"] for r in pq.read_table(
        sources["web"], columns=["id", "sample_weight"]).to_pylist() if r["id"].startswith("en")}
    drawn = Counter(r[1] for shard in shard_rows(tmp / "a") for r in shard if r[0] == "web"
                    and r[1].startswith("en"))
    per_doc = {}
    for w in (1.0, 2.0, 3.0):
        docs = [i for i, x in weights.items() if x == w]
        per_doc[w] = sum(drawn[i] for i in docs) / len(docs)
    assert per_doc[2.0] / per_doc[1.0] == pytest.approx(2.0, rel=0.05)
    assert per_doc[3.0] / per_doc[1.0] == pytest.approx(3.0, rel=0.05)


def test_shards_are_sized_shuffled_and_deterministic(mixed):
    tmp, _, first, second = mixed
    a, b = shard_rows(tmp / "a"), shard_rows(tmp / "b")
    assert a == b  # same rows, same shards, same order, whatever the input splits
    assert first["groups"] == second["groups"]
    assert len(a) == len(first["shards"]) >= 2
    sizes = [s["bytes"] for s in first["shards"]]
    assert max(sizes) < 1.3 * min(sizes)
    assert all(0.25 * 2**20 < s < 2 * 2**20 for s in sizes), sizes
    for shard in a:  # every shard mixes all groups, in no sorted order
        assert {(s, i[:2]) for s, i, _ in shard} == {("web", "en"), ("web", "de"), ("wiki", "en")}
        assert shard != sorted(shard)


def test_group_missing_from_the_data_is_one_line_after_reading(spark, pool):
    tmp, sources = pool
    weights = {"web/en": 0.5, "web/fr": 0.2, "wiki/en": 0.3}
    cfg = mixconfig.parse(mix_config(sources, weights=weights))
    with pytest.raises(ConfigError, match=r"weights\.web/fr: no such group in the data "
                                          r"\(groups: web/de, web/en, wiki/en\)"):
        command.run(spark, cfg, str(tmp / "c"))


def test_repeat_error_refuses_a_group_that_is_too_small(spark, pool):
    tmp, sources = pool
    cfg = mixconfig.parse(mix_config(sources, repeat="error"))
    with pytest.raises(WinnowError, match=r"weights\.wiki/en: .* documents would repeat"):
        command.run(spark, cfg, str(tmp / "d"))


def test_jsonl_zst_shards(spark, pool):
    import zstandard

    tmp, sources = pool
    cfg = mixconfig.parse(mix_config(
        sources, budget_tokens=600_000, shards={"format": "jsonl.zst", "target_mb": 512}))
    manifest = command.run(spark, cfg, str(tmp / "z"))
    files = sorted((tmp / "z" / "shards").iterdir())
    assert [f.name for f in files] == ["shard-00000.jsonl.zst"]
    lines = zstandard.ZstdDecompressor().stream_reader(files[0].open("rb")).read().splitlines()
    docs = [json.loads(line) for line in lines]
    assert len(docs) == manifest["totals"]["rows"]
    assert sum(d["token_count"] for d in docs) == manifest["totals"]["tokens"]


def test_config_errors_before_spark(tmp_path, capsys, pool):
    _, sources = pool
    cases = [
        ({"weights": {"web/en": 0.6, "web/de": 0.3, "wiki/en": 0.3}},
         "weights: must sum to 1, they sum to 1.2"),
        ({"weights": {"web/en": 0.6, "news/en": 0.4}}, "weights.news/en: no source 'news'"),
        ({"weights": {"web": 1.0}}, "weights.web: a group names 2 value(s) (source/lang)"),
        ({"group_by": ["source", "language"]},
         "group_by: source 'web' has no column 'language'"),
        ({"budget_tokens": None}, "set exactly one of budget_tokens and budget_documents"),
        ({"repeat": "sometimes"}, "repeat: must be one of allow, error"),
        ({"shards": {"format": "csv"}}, "shards.format: must be one of parquet, jsonl.zst"),
        ({"sorces": {}}, "sorces: unknown key"),
    ]
    import yaml

    for over, message in cases:
        path = tmp_path / "mix.yaml"
        path.write_text(yaml.safe_dump(mix_config(sources, **over)))
        code = cli.main(["mix", "--config", str(path), "--output", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == cli.EXIT_USAGE and message in err and err.count("\n") == 1, (over, err)
    # A source without token_count under a token budget: found in the Parquet footer.
    bare = tmp_path / "bare"
    bare.mkdir()
    pq.write_table(pa.table({"id": ["a"], "text": ["x"], "lang": ["en"]}), bare / "p.parquet")
    with pytest.raises(ConfigError, match="sources.bare: no token_count column, but "
                                          "budget_tokens is set"):
        mixconfig.parse(mix_config({"bare": str(bare)}, weights={"bare/en": 1.0}))
    assert not (tmp_path / "out").exists()


def test_budget_in_documents(spark, pool):
    tmp, sources = pool
    cfg = mixconfig.parse(mix_config(sources, budget_tokens=None, budget_documents=30_000,
                                     shards={"target_mb": 512}))
    manifest = command.run(spark, cfg, str(tmp / "docs"))
    rows = {g["group"]: g["rows"] for g in manifest["groups"]}
    for name, weight in WEIGHTS.items():
        assert math.isclose(rows[name], weight * 30_000, rel_tol=0.01)

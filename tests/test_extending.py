"""The worked examples of docs/extending.md: a signal stage and a frame stage, run by the job."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark import cloudpickle
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from winnow import config, frame, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress
from winnow.stage import (
    REGISTRY,
    FrameStage,
    Range,
    Rule,
    RunContext,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    register,
    threshold_rules,
)

pytestmark = pytest.mark.spark


# -- docs/extending.md: "A signal stage" --------------------------------------------------
@dataclass
class DigitsParams(StageParams):
    max_digit_fraction: float | None = bounded(Range(0.0, 1.0), 0.2)


class Digits(SignalStage):
    """``digit_fraction``: the share of characters that are digits (tables, spam)."""

    name = "digits"
    Params = DigitsParams
    params: DigitsParams

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("digit_fraction", pa.float64())]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        return {"digit_fraction": [sum(c.isdigit() for c in t) / max(len(t), 1)
                                   for t in batch.texts]}

    def rules(self) -> list[Rule]:
        return threshold_rules(self.params, [
            ("too_many_digits", "digit_fraction", ">", "max_digit_fraction")])


# -- docs/extending.md: "A frame stage" ---------------------------------------------------
class OnePerUrl(FrameStage):
    """Of the kept documents sharing a ``url``, keep the one with the smallest id."""

    name = "one_per_url"
    family = "dedup"

    def output_columns(self) -> list[str]:
        return ["url_copies"]

    def apply(self, df: DataFrame, ctx: RunContext) -> DataFrame:
        by_url = Window.partitionBy("url")
        kept = frame.is_kept() & F.col("url").isNotNull()
        out = df.withColumns({
            "url_copies": F.when(kept, F.count(F.when(kept, 1)).over(by_url)),
            "_first": F.min(F.when(kept, F.col("id"))).over(by_url),
        })
        later = kept & (F.col("id") != F.col("_first"))
        return self.reject(out, later, "same_url", F.col("_first")).drop("_first")


@pytest.fixture
def examples():
    """Register both stages for one test; the workers get this module by value."""
    module = sys.modules[__name__]
    for cls in (Digits, OnePerUrl):
        register(cls)
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)
    for cls in (Digits, OnePerUrl):
        del REGISTRY[cls.name]


def test_new_stages_run_from_a_config(spark, examples, tmp_path):
    words = "a plain sentence of ordinary words that says nothing much at all " * 3
    records = [
        {"id": "a", "text": words, "url": "http://x.org/1"},
        {"id": "b", "text": words + "again", "url": "http://x.org/1"},
        {"id": "c", "text": "12345 67890 " * 10 + words, "url": "http://x.org/2"},
        {"id": "d", "text": words + "more", "url": "http://x.org/2"},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    late = {"stage": "sql_rule", "name": "late", "where": "url_copies > 5"}
    digits = {"stage": "digits", "max_digit_fraction": 0.3}
    with pytest.raises(config.ConfigError, match="unknown column 'url_copies'"):
        config.parse({"stages": [digits, late, {"stage": "one_per_url"}]})
    cfg = config.parse({"stages": [digits, {"stage": "one_per_url"}, late]})
    job.run(spark, cfg, expand_inputs([str(tmp_path / "in.jsonl")]), str(tmp_path / "out"),
            run_id="ext", progress=Progress(quiet=True))
    kept = {r["id"] for r in pq.read_table(tmp_path / "out" / "kept").to_pylist()}
    removed = {r["id"]: (r["reason"], r["duplicate_of"])
               for r in pq.read_table(tmp_path / "out" / "removed").to_pylist()}
    assert kept == {"a", "d"}
    assert removed == {"b": ("dedup:same_url", "a"), "c": ("digits:too_many_digits", None)}
    with pytest.raises(config.ConfigError, match=r"max_digit_fraction: must be in \[0, 1\]"):
        config.parse({"stages": [{"stage": "digits", "max_digit_fraction": 2}]})

"""The stage contract: declared hooks, the rule tables, and corpus-wide decisions.

``stage_rules.json`` holds the (reason, predicate) of every stage of every shipped
recipe and of parameter variants, captured before the rule ladders became tables:
the SQL each stage generates must not change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pyspark import cloudpickle
from pyspark.sql import functions as F
from winnow import config
from winnow.frame import DOC_SCHEMA, is_kept
from winnow.pipeline import annotate
from winnow.progress import Progress
from winnow.stage import (
    REGISTRY,
    FrameStage,
    Rule,
    RunContext,
    SignalStage,
    Stage,
    StageParams,
    TextBatch,
    flag_rules,
    threshold_rules,
)
from winnow.stages.length import Length, LengthParams
from winnow.stages.normalize import Normalize
from winnow.stages.sql_rule import SqlRule, SqlRuleParams

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = json.loads((Path(__file__).parent / "stage_rules.json").read_text())
WORDS = "asset:url-banned/"
#: Parameters that switch rules on and off, beyond what the recipes use.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "length_all": [{"stage": "length", "min_words": 5, "max_words": 900, "min_chars": 20,
                    "max_chars": 5000}],
    "length_some": [{"stage": "length", "max_chars": 10}],
    "c4_off": [{"stage": "c4", "lorem_ipsum": False, "curly_bracket": False,
                "min_sentences": 0}],
    "c4_three": [{"stage": "c4", "curly_bracket": False, "min_sentences": 3}],
    "url_soft": [{"stage": "url", "soft_banned_words": WORDS + "soft_banned_words.txt",
                  "soft_threshold": 4}],
    "url_words": [{"stage": "url", "banned_words": WORDS + "banned_words.txt",
                   "banned_subwords": WORDS + "banned_subwords.txt"}],
    "gopher_q": [{"stage": "gopher_quality", "min_words": 0, "max_words": None,
                  "min_mean_word_length": 2, "max_symbol_word_ratio": None,
                  "max_bullet_lines": 1, "min_alpha_words": 0.5, "min_stop_words": None}],
    "gopher_r": [{"stage": "gopher_repetition", "max_dup_para_frac": None,
                  "max_dup_line_frac": 0, "top_ngram_char_frac": {"3": 1},
                  "dup_ngram_char_frac": {}}],
    "fineweb": [{"stage": "fineweb", "min_line_punct_ratio": None, "max_short_line_ratio": 1,
                 "max_newline_ratio": 2}],
    "lid": [{"stage": "lid", "languages": ["en", "fr"], "min_score": 0}],
    "lid2": [{"stage": "lid", "min_score": 0.3}],
    "badwords": [{"stage": "c4_badwords", "lists": {"en": WORDS + "banned_words.txt"}}],
}


def _rules(cfg: config.Config) -> list[list[Any]]:
    return [[s.name, [[r.name, r.predicate] for r in s.rules()]] for s in cfg.stages
            if isinstance(s, SignalStage)]


@pytest.mark.parametrize("recipe", sorted(EXPECTED["recipes"]))
def test_recipe_rules_are_unchanged(recipe):
    assert _rules(config.load(ROOT / recipe)) == EXPECTED["recipes"][recipe]


def test_every_recipe_is_checked():
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "conf").rglob("*.yaml")
               if "spark" not in p.parts and not p.name.startswith("mix_")}
    assert shipped == set(EXPECTED["recipes"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_rules_are_unchanged(variant):
    cfg = config.parse({"stages": VARIANTS[variant]}, base_dir=ROOT / "conf" / "recipes")
    assert _rules(cfg) == EXPECTED["variants"][variant]


def test_threshold_and_flag_rules():
    p = LengthParams(min_words=0, max_words=7)
    table = [("short", "word_count", "<", "min_words"), ("long", "word_count", ">", "max_words")]
    assert threshold_rules(p, table, zero_off=True) == [Rule("long", "word_count > 7")]
    assert threshold_rules(p, table) == [Rule("short", "word_count < 0"),
                                         Rule("long", "word_count > 7")]
    assert flag_rules(p, [("a", "x", "min_words"), ("b", "y", "max_words")]) == [Rule("b", "y")]


def test_contract_declares_validate_repeatable_and_names():
    config.load_stage_modules()
    assert Stage.repeatable is False and Normalize(StageParams()).validate() is None
    assert {n for n, cls in REGISTRY.items() if cls.repeatable} == {"sql_rule",
                                                                     "python_signals"}
    rule = SqlRule(SqlRuleParams(name="r", where="true"))
    assert (rule.name, type(rule).name, rule.reason("r")) == ("sql_rule[r]", "sql_rule",
                                                              "sql:r")
    assert Length(LengthParams()).name == "length"
    frame = {n: cls(cls.Params()).output_columns() for n, cls in REGISTRY.items()
             if issubclass(cls, FrameStage)}
    assert frame == {"exact_dedup": ["text_hash", "exact_copies"],
                     "minhash_dedup": ["dup_cluster", "dup_cluster_size"],
                     "line_dedup": ["line_dedup_modified", "line_dedup_chars_removed"],
                     "substring_dedup": ["substring_dedup_modified",
                                         "substring_dedup_chars_removed"],
                     "sample_weight": ["sample_weight"],
                     "metadata_prefix": ["text_with_metadata"]}


def test_repeated_stages_are_refused_by_name():
    rule = {"stage": "sql_rule", "name": "r", "where": "true"}
    with pytest.raises(config.ConfigError, match=r"stage 'sql_rule\[r\]' listed more"):
        config.parse({"stages": [rule, rule]})
    with pytest.raises(config.ConfigError, match="stage 'length' listed more"):
        config.parse({"stages": [{"stage": "length"}, {"stage": "length"}]})
    assert config.parse({"stages": [rule, {**rule, "name": "s"}]})


class LongestHalf(SignalStage):
    """The worked example: keep the longer half of the documents still kept."""

    name = "longest_half"
    threshold: float | None = None

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("longest_half_chars", pa.int64())]

    def compute(self, batch: TextBatch) -> dict[str, list[Any]]:
        return {"longest_half_chars": [len(t) for t in batch.texts]}

    def corpus_wide(self) -> bool:
        return True

    def decide(self, df, ctx: RunContext) -> list[Rule]:
        row = df.where(is_kept()).agg(F.percentile_approx("longest_half_chars", 0.5)).first()
        self.threshold = row[0]
        return [Rule("shorter_half", f"longest_half_chars < {self.threshold!r}")]


@pytest.fixture
def by_value():
    """Ship this module's classes to the Python workers by value (they cannot import it)."""
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)


@pytest.mark.spark
def test_corpus_wide_decision_sees_earlier_rules_and_precedes_later(spark, by_value):
    """Length removes the one-word documents first; the median is taken over the rest;
    the later rule only judges what the decision kept."""
    texts = ["w"] * 4 + [" ".join(["word"] * n) for n in range(2, 12)]
    rows = {f.name: [None] * len(texts) for f in DOC_SCHEMA}
    rows.update(id=[f"d{i:02d}" for i in range(len(texts))], text=texts,
                source=["s"] * len(texts), position=list(range(len(texts))))
    df = spark.createDataFrame(pa.table(rows, schema=DOC_SCHEMA)).repartition(3)
    stages = [Length(LengthParams(min_words=2), 0), LongestHalf(StageParams(), 1),
              SqlRule(SqlRuleParams(name="late", where="word_count < 100"), 2)]
    out, timing, _ = annotate(df, stages, RunContext(spark=spark, run_id="t"),
                              Progress(quiet=True))
    got = {r["id"]: r["reason"] for r in out.select("id", "reason").collect()}
    assert stages[1].threshold == len(" ".join(["word"] * 6))  # median of 2…11 words
    assert [got[f"d{i:02d}"] for i in range(4)] == ["length:too_short"] * 4
    assert [got[f"d{i:02d}"] for i in range(4, 8)] == ["longest_half:shorter_half"] * 4
    assert {got[f"d{i:02d}"] for i in range(8, 14)} == {"sql:late"}
    assert timing.signal_passes == 1

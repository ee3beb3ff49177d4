"""User-defined rules without forking: a signal function from the user's own module and
plain SQL predicates, through the real job on local Spark."""

from __future__ import annotations

import json
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT
from winnow import config, job
from winnow.errors import ConfigError
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

SIGNALS_MODULE = '''
"""A user's signal module, outside the winnow package."""

SHOUTY = {"hate", "awful"}


def toxicity(texts):
    """Fraction of words that are shouty, and the exclamation-mark count."""
    out = {"toxicity": [], "exclamations": []}
    for t in texts:
        words = t.lower().split()
        out["toxicity"].append(sum(w.strip("!.,") in SHOUTY for w in words) / max(len(words), 1))
        out["exclamations"].append(t.count("!"))
    return out
'''

CONFIG = """
stages:
  - stage: url
  - stage: python_signals
    function: "winnow_test_signals:toxicity"
    family: toxicity
    rules:
      - {name: toxic, where: "toxicity > 0.3"}
  - stage: sql_rule
    name: example_domain
    where: "url_domain = 'example.com'"
  - stage: sql_rule
    name: shouting
    where: "exclamations >= 3 AND length(text) < 200"
"""

DOCS = [
    {"id": "fine", "text": "A calm and friendly text about gardening in spring.",
     "url": "https://garden.org/a"},
    {"id": "toxic", "text": "hate hate awful hate everything", "url": "https://a.net/x"},
    {"id": "domain", "text": "A calm text on a listed domain.", "url": "https://www.example.com/p"},
    {"id": "shouting", "text": "Wow! Great! Amazing!", "url": "https://b.net/y"},
]


@pytest.fixture()
def user_module(tmp_path, spark):
    """Write the module to a folder outside the package; ship it like --py-files."""
    path = tmp_path / "winnow_test_signals.py"
    path.write_text(textwrap.dedent(SIGNALS_MODULE))
    sys.path.insert(0, str(tmp_path))
    spark.sparkContext.addPyFile(str(path))
    yield path
    sys.path.remove(str(tmp_path))
    sys.modules.pop("winnow_test_signals", None)


@pytest.mark.spark
def test_user_signal_function_and_sql_rules_in_stats(spark, tmp_path, user_module):
    inp = tmp_path / "docs.jsonl"
    inp.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    cfg = config.parse(yaml.safe_load(CONFIG), base_dir=ROOT / "conf")
    result = job.run(spark, cfg, expand_inputs([str(inp)]), str(tmp_path / "out"),
                     progress=Progress(quiet=True))
    removed = {r["id"]: r for r in pq.read_table(tmp_path / "out" / "removed").to_pylist()}
    assert removed["toxic"]["reason"] == "toxicity:toxic"
    assert removed["domain"]["reason"] == "sql:example_domain"
    assert removed["shouting"]["reason"] == "sql:shouting"
    assert removed["toxic"]["toxicity"] == pytest.approx(0.8)
    assert result.counts.kept == 1
    summary = pq.read_table(tmp_path / "out" / "stats" / "stage_summary").to_pylist()
    by_stage = {(r["stage"], r["reason"]) for r in summary if r["outcome"] == "removed"}
    assert {("python_signals[winnow_test_signals:toxicity]", "toxicity:toxic"),
            ("sql_rule[example_domain]", "sql:example_domain"),
            ("sql_rule[shouting]", "sql:shouting")} <= by_stage
    outs = [r["documents"] for r in summary if r["outcome"] == "out"]
    assert outs == sorted(outs, reverse=True) and outs[-1] == 1  # a funnel, no double counts


def test_user_stage_config_errors(user_module):
    bad = [
        ({"stage": "python_signals", "function": "no_such_module:f"}, "cannot import"),
        ({"stage": "python_signals", "function": "winnow_test_signals:toxicity",
          "columns": {"toxicity": "decimal"}}, "unknown type"),
        ({"stage": "sql_rule", "name": "has space", "where": "true"}, "name"),
        ({"stage": "sql_rule", "name": "x", "where": " "}, "where"),
    ]
    for stage, message in bad:
        with pytest.raises(ConfigError, match=message):
            config.parse({"stages": [stage]})
    two = config.parse({"stages": [{"stage": "sql_rule", "name": "a", "where": "true"},
                                   {"stage": "sql_rule", "name": "b", "where": "true"}]})
    assert [s.name for s in two.stages] == ["sql_rule[a]", "sql_rule[b]"]
    with pytest.raises(ConfigError, match="more than once"):
        config.parse({"stages": [{"stage": "sql_rule", "name": "a", "where": "true"}] * 2})
    declared = config.parse({"stages": [{"stage": "python_signals",
                                         "function": "winnow_test_signals:toxicity",
                                         "columns": {"toxicity": "double"}}]})
    assert [f.name for f in declared.stages[0].output_fields()] == ["toxicity"]


def test_rule_reasons_are_sql_literals_whatever_they_hold(spark):
    """apply_rules writes its CASE chains as SQL text: a reason with quotes and
    backslashes (a plug-in stage's rule name) comes out verbatim, first rule first."""
    from winnow.pipeline import apply_rules
    from winnow.stage import Rule

    class Odd:
        name = "it's\\odd"

        def reason(self, rule):
            return f"{self.name}:{rule}"

    df = spark.createDataFrame([(1, None, None), (5, None, None), (9, "kept:no", "x")],
                               "n int, reason string, stage string")
    cases = [(Odd(), Rule("a'b\\c", "n > 3")), (Odd(), Rule("second", "n > 0"))]
    rows = sorted(apply_rules(df, cases).collect())
    assert [(r.n, r.reason, r.stage) for r in rows] == [
        (1, "it's\\odd:second", "it's\\odd"),
        (5, "it's\\odd:a'b\\c", "it's\\odd"),
        (9, "kept:no", "x"),  # an earlier reason stays
    ]

"""Config validation: one-line errors naming the key, before Spark starts."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from winnow import config
from winnow.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _parse(stages, **top):
    return config.parse({"stages": stages, **top})


def test_default_and_recipes_validate():
    paths = [ROOT / "conf" / "default.yaml", *sorted((ROOT / "conf" / "recipes").glob("*.yaml"))]
    for p in paths:
        if p.name.startswith("mix_"):  # a `winnow mix` config, checked below
            continue
        cfg = config.load(p)
        assert cfg.stages, p


def test_shipped_mix_recipes_validate(tmp_path):
    """`winnow mix` configs: everything but the sources (which name a user's outputs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from winnow.mix import config as mix_config
    recipes = sorted((ROOT / "conf" / "recipes").glob("mix_*.yaml"))
    assert recipes
    pq.write_table(pa.table({"id": ["a"], "text": ["x"], "lang": ["en"], "token_count": [1]}),
                   tmp_path / "part-0.parquet")
    for p in recipes:
        raw = yaml.safe_load(p.read_text())
        raw["sources"] = {name: str(tmp_path) for name in raw["sources"]}
        cfg = mix_config.parse(raw, base_dir=p.parent)
        assert cfg.weights and abs(sum(cfg.weights.values()) - 1) < 1e-9, p


def test_stage_params_are_typed_and_ordered():
    cfg = _parse([{"stage": "normalize"}, {"stage": "length", "min_words": 5, "max_words": 9}])
    assert [s.name for s in cfg.stages] == ["normalize", "length"]
    assert cfg.stages[1].params.min_words == 5
    assert [r.name for r in cfg.stages[1].rules()] == ["too_short", "too_long"]


@pytest.mark.parametrize(
    "stages, top, message",
    [
        ([{"stage": "length", "min_wrods": 5}], {}, "stages[0].min_wrods: unknown key"),
        ([{"stage": "length", "min_words": "five"}], {}, "min_words: expected an integer"),
        ([{"stage": "length", "min_words": True}], {}, "stages[0].min_words: expected an integer"),
        ([{"stage": "lenght"}], {}, "stages[0].stage: unknown stage 'lenght'"),
        ([{"stage": "length", "mode": "maybe"}], {}, "stages[0].mode: must be one of"),
        ([{"min_words": 3}], {}, "stages[0]: must be a mapping with a 'stage' key"),
        ([], {}, "stages: must be a non-empty list"),
        ([{"stage": "normalize"}], {"outptu": {}}, "outptu: unknown top-level key"),
        ([{"stage": "normalize"}], {"input": {"format": "csv"}}, "input.format: must be one of"),
        ([{"stage": "normalize"}], {"input": {"fields": {"body": "x"}}}, "input.fields.body"),
        ([{"stage": "normalize"}], {"output": {"removed_text": "yes"}},
         "output.removed_text: expected true/false"),
        ([{"stage": "length", "min_words": 10, "max_words": 5}], {}, "stages[0].max_words"),
        ([{"stage": "normalize"}, {"stage": "normalize"}], {}, "listed more than once"),
        ([{"stage": "gopher_quality", "max_symbol_word_ratio": -0.1}], {},
         "stages[0].max_symbol_word_ratio: must be in [0, 1000000000], got -0.1"),
        ([{"stage": "fineweb", "max_char_dup_ratio": float("nan")}], {},
         "stages[0].max_char_dup_ratio: expected a finite number, got nan"),
        ([{"stage": "normalize"}], {"output": {"partitions": -1}},
         "output.partitions: must be 0 or in [1, 100000], got -1"),
        ([{"stage": "length"}, {"stage": "sql_rule", "name": "r", "where": "wrod_count > 1"}],
         {}, "stages[1].where: unknown column 'wrod_count'; did you mean 'word_count'?"),
    ],
)
def test_errors_name_the_key(stages, top, message):
    with pytest.raises(ConfigError) as exc:
        _parse(stages, **top)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_file_param_is_an_error(tmp_path):
    from winnow.stage import FilePath

    with pytest.raises(ConfigError, match=r"k: file not found: nope\.txt"):
        config._coerce("nope.txt", FilePath, "k", tmp_path)


def test_unreadable_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("stages: [\n  - stage: normalize\n  bad")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load(p)
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "missing.yaml")


def _winnow(*args):
    return subprocess.run(
        [sys.executable, "-m", "winnow.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_config_error_is_one_line_and_nonzero(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"stages": [{"stage": "length", "min_wrods": 1}]}))
    proc = _winnow("run", "--config", str(bad), "--input", str(tmp_path), "--output",
                   str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "stages[0].min_wrods: unknown key" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_missing_input_is_one_line_before_spark(tmp_path):
    proc = _winnow("run", "--config", str(ROOT / "conf" / "default.yaml"), "--input",
                   str(tmp_path / "nothing-here"), "--output", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"winnow: error: input not found: {tmp_path / 'nothing-here'}"


def test_rules_may_name_the_columns_of_the_input_format():
    """A WARC reader adds http_status, content_type, …: a rule may use them when the
    input is WARC (or auto), and is refused with the usual one line otherwise."""
    rule = [{"stage": "sql_rule", "name": "not_ok", "where": "http_status <> 200"}]
    for fmt in ("warc", "auto"):
        assert config.parse({"input": {"format": fmt}, "stages": rule}).stages
    with pytest.raises(ConfigError, match="unknown column 'http_status'"):
        config.parse({"input": {"format": "jsonl"}, "stages": rule})

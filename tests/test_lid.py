"""Language identification: the fastText reader against the official bindings, the
accuracy of the ``lid`` stage on real text, and the stage end to end on Spark."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.errors import ConfigError, WinnowError
from winnow.fasttext.model import FastTextModel, load_model
from winnow.io.listing import expand_inputs
from winnow.langid.identify import default_model_path, identify
from winnow.progress import Progress
from winnow.stage import TextBatch

ROOT = Path(__file__).resolve().parents[1]
LANGID_DIR = "langid/langid-py-tests"


def _jsonl_texts(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def _langid_files(shared: Path) -> list[tuple[str, str]]:
    """(ISO code from the file name, text) of the langid.py test files."""
    files = sorted((shared / LANGID_DIR).glob("*.txt"))
    return [(f.name.split(".")[0], f.read_text(encoding="utf-8")) for f in files]


def _bindings_top1(texts: list[str]) -> list[str]:
    """The model's own top-1 language from the official fastText bindings (whole text,
    newlines replaced by spaces)."""
    fasttext = pytest.importorskip("fasttext")
    ref = fasttext.load_model(default_model_path())
    labels, _ = ref.f.multilinePredict([t.replace("\n", " ") + "\n" for t in texts], 1, 0.0,
                                       "strict")
    return [row[0].removeprefix("__label__") for row in labels]


@pytest.fixture(scope="module")
def lid_model() -> FastTextModel:
    return load_model(default_model_path())


def test_reader_matches_fasttext_bindings(lid_model, shared_data):
    """Top-2 labels and probabilities equal those of fastText's own predict."""
    fasttext = pytest.importorskip("fasttext")
    texts = _jsonl_texts(shared_data / "web" / "cc-2019-30-multilingual-697.jsonl.gz")
    ref = fasttext.load_model(default_model_path())
    ref_labels, ref_probs = ref.f.multilinePredict(
        [t.replace("\n", " ") + "\n" for t in texts], 2, 0.0, "strict")
    top, probs = lid_model.predict(texts, k=2)
    mine = [[lid_model.labels[i] for i in row] for row in top.tolist()]
    same_top1 = sum(m[0] == r[0].removeprefix("__label__")
                    for m, r in zip(mine, ref_labels, strict=True))
    assert same_top1 == len(texts)
    # fastText reports exp(Σ log(p + 1e-5)); we report the exact product of the path.
    assert max(abs(float(p[0]) - float(r[0]))
               for p, r in zip(probs, ref_probs, strict=True)) < 1e-3


def test_lid_accuracy_on_langid_test_files(lid_model, shared_data):
    """≥ 90% top-1 accuracy over the languages lid.176 knows, ≥ 99% agreement with the
    model's own prediction, through the stage's compute()."""
    from winnow.stages.lid import Lid, LidParams

    files = _langid_files(shared_data)
    assert len(files) > 100
    stage = Lid(LidParams())
    stage.setup()
    texts = [text for _, text in files]
    out = stage.compute(TextBatch(texts))
    predicted = out["lang"].to_pylist()
    supported = [i for i, (code, _) in enumerate(files) if code in lid_model.labels]
    assert len(supported) >= 80
    accuracy = sum(predicted[i] == files[i][0] for i in supported) / len(supported)
    agreement = sum(a == b for a, b in zip(predicted, _bindings_top1(texts), strict=True))
    assert accuracy >= 0.90, accuracy
    assert agreement / len(texts) >= 0.99


def test_identify_gives_no_language_to_blank_text(lid_model):
    found = identify(lid_model, ["", "  \n ", "Das ist ein kurzer deutscher Satz über Bäume."])
    assert found.lang[:2] == [None, None]
    assert list(found.lang_score[:2]) == [0.0, 0.0]
    assert found.lang[2] == "de" and found.lang_score[2] > 0.65
    assert found.lang2[2] is not None and found.lang2_score[2] < found.lang_score[2]


def test_newlines_are_spaces_and_text_is_kept(lid_model):
    from winnow.stages.lid import Lid, LidParams

    text = "Le chat dort\nsur le canapé\ndepuis ce matin."
    stage = Lid(LidParams())
    stage.setup()
    batch = TextBatch([text])
    out = stage.compute(batch)
    assert batch.texts == [text]
    one_line = identify(lid_model, [text.replace("\n", " ")])
    assert out["lang"].to_pylist() == ["fr"] == one_line.lang
    assert out["lang_score"].to_pylist()[0] == pytest.approx(one_line.lang_score[0], abs=1e-6)


def test_model_is_loaded_once_per_path():
    assert load_model(default_model_path()) is load_model(default_model_path())


def test_not_a_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(WinnowError, match="not a fastText model"):
        FastTextModel(str(bad))


def test_config_checks_languages_against_the_model():
    raw = {"stages": [{"stage": "lid", "languages": ["en", "eng"]}]}
    with pytest.raises(ConfigError, match=r"stages\[0\]\.languages\[1\]: 'eng'"):
        config.parse(raw)
    with pytest.raises(ConfigError, match=r"min_score"):
        config.parse({"stages": [{"stage": "lid", "min_score": 1.5}]})


def test_rules_in_order():
    cfg = config.parse({"stages": [{"stage": "lid", "languages": ["en", "de"]}]})
    rules = cfg.stages[0].rules()
    assert [r.name for r in rules] == ["not_allowed", "low_score"]
    assert rules[0].predicate == "lang IS NULL OR lang NOT IN ('en', 'de')"
    assert rules[1].predicate == "lang_score < 0.65"


def test_recipe_is_annotate_only():
    cfg = config.load(ROOT / "conf" / "recipes" / "lid.yaml")
    assert [(s.name, s.mode) for s in cfg.stages] == [("normalize", "filter"),
                                                      ("lid", "annotate")]


@pytest.mark.spark
def test_lid_filter_end_to_end(spark, shared_data, tmp_path, lid_model):
    """A real run: reasons follow the model's predictions; stats/languages adds up."""
    src = shared_data / "web" / "cc-2019-30-multilingual-697.jsonl.gz"
    cfg = config.parse({"stages": [
        {"stage": "lid", "languages": ["en", "de"], "min_score": 0.65}]})
    files = expand_inputs([str(src)])
    out = tmp_path / "out"
    result = job.run(spark, cfg, files, str(out), progress=Progress(quiet=True))

    by_id = {json.loads(line)["id"]: json.loads(line)["text"]
             for line in gzip.open(src, "rt", encoding="utf-8")}
    kept = pq.read_table(out / "kept").to_pylist()
    removed = pq.read_table(out / "removed").to_pylist()
    docs = kept + removed
    ids = [d["id"] for d in docs]
    expected = identify(lid_model, [by_id[i] for i in ids])
    for d, lang, score in zip(docs, expected.lang, expected.lang_score, strict=True):
        assert d["lang"] == lang
        assert d["lang_score"] == pytest.approx(score, abs=1e-9)
        want = (None if lang in ("en", "de") and score >= 0.65
                else "lang:not_allowed" if lang not in ("en", "de") else "lang:low_score")
        assert d.get("reason") == want, (d["id"], lang, score)
    assert result.counts.by_reason.get("lang:not_allowed", 0) > 100
    assert result.counts.kept > 200

    langs = {r["lang"]: r for r in pq.read_table(out / "stats" / "languages").to_pylist()}
    assert sum(r["documents"] for r in langs.values()) == len(docs)
    assert sum(r["kept"] for r in langs.values()) == result.counts.kept
    assert langs["en"]["documents"] == expected.lang.count("en")
    assert langs["en"]["characters"] == sum(len(by_id[i]) for i, lang in
                                            zip(ids, expected.lang, strict=True) if lang == "en")
    assert {r["run_id"] for r in langs.values()} == {result.run_id}


def test_token_cache_overflow_keeps_scores(monkeypatch, shared_data):
    """A cache far smaller than the vocabulary (reset on overflow, resized for a batch
    bigger than it) gives the same probabilities as a roomy one."""
    import winnow.fasttext.model as ftm

    texts = _jsonl_texts(shared_data / "web" / "cc-2019-30-multilingual-697.jsonl.gz")[:300]
    roomy = ftm.FastTextModel(default_model_path()).predict(texts, 3)[1]
    monkeypatch.setattr(ftm, "MIN_CACHE_SLOTS", 64)
    monkeypatch.setattr(ftm, "CACHE_BYTES", 64 * 4 * 16)
    small = ftm.FastTextModel(default_model_path())
    batches = [small.predict(texts[i:i + 7], 3)[1] for i in range(0, 252, 7)] + [
        small.predict(texts[252:], 3)[1]]
    assert len(small._slot_hash) > 64  # the last batch needed a bigger cache
    assert np.allclose(np.concatenate(batches), roomy, atol=1e-9, equal_nan=True)


def test_model_uri_is_copied_once_and_missing_file_is_an_error(tmp_path):
    """A URI (here file://, as s3a:// would be) is fetched to a local copy, reused."""
    from winnow.fasttext.model import local_model_path

    uri = Path(default_model_path()).as_uri()
    first = local_model_path(uri)
    assert first != default_model_path()
    assert Path(first).read_bytes() == Path(default_model_path()).read_bytes()
    assert local_model_path(uri) == first
    with pytest.raises(WinnowError, match="file not found"):
        local_model_path(str(tmp_path / "missing.ftz"))


@pytest.mark.spark
def test_word_lists_are_found_where_spark_files_put_them(spark, tmp_path):
    """On an executor without the driver's file system, a word list named in the config
    is read from the copy ``--files`` / ``addFile`` shipped (as models are)."""
    from winnow.text.badwords import read_list
    from winnow.text.url import read_entries

    shipped = tmp_path / "winnow-test-shipped-list.txt"
    shipped.write_text("alpha\n# comment\nbeta\n")
    spark.sparkContext.addFile(str(shipped))
    elsewhere = f"/driver/only/path/{shipped.name}"
    assert read_entries(elsewhere) == ["alpha", "beta"]
    assert read_list(elsewhere, "en").cps.size > 0
    with pytest.raises(WinnowError, match="file not found"):
        read_entries("/driver/only/path/never-shipped.txt")

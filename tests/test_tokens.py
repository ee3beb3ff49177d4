"""The ``tokens`` stage: a real BPE tokenizer trained here, counts equal to its own."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest
from winnow import config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark


def train_tokenizer(texts: list[str], path) -> str:
    """A small byte-level BPE tokenizer trained on ``texts``, saved as tokenizer.json."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    tok.save(str(path))
    return str(path)


@pytest.fixture(scope="module")
def run(spark, shared_data, tmp_path_factory):
    """One job over the C4 sample plus bad records: length filter, then tokens."""
    tmp = tmp_path_factory.mktemp("tokens")
    sample = shared_data / "web" / "c4-en-sample-1000.jsonl.gz"
    with gzip.open(sample, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    tokenizer = train_tokenizer(texts[:300], tmp / "tokenizer.json")
    data = tmp / "in.jsonl"
    data.write_text("\n".join(lines[:400] + ["{not json", json.dumps({"text": "ünïcödé 🙂 x"})])
                    + "\n", encoding="utf-8")
    cfg = config.parse({"stages": [
        {"stage": "length", "min_words": 120},
        {"stage": "tokens", "tokenizer": tokenizer},
    ]})
    result = job.run(spark, cfg, expand_inputs([str(data)]), str(tmp / "out"), run_id="tok",
                     progress=Progress(quiet=True))
    return tmp, tokenizer, result


def test_token_counts_equal_the_tokenizers_own(run):
    from tokenizers import Tokenizer

    tmp, path, _ = run
    kept = pq.read_table(tmp / "out" / "kept").to_pylist()
    removed = pq.read_table(tmp / "out" / "removed").to_pylist()
    assert len(kept) > 100 and len(removed) > 50
    tok = Tokenizer.from_file(path)
    for rows in (kept, removed):
        own = [len(e.ids) for e in tok.encode_batch([r["text"] for r in rows],
                                                    add_special_tokens=False)]
        assert [r["token_count"] for r in rows] == own
    assert all(r["token_count"] > 0 for r in kept)


def test_quarantine_rows_have_no_count_and_conservation_holds(run):
    tmp, _, result = run
    quarantine = pq.read_table(tmp / "out" / "quarantine")
    assert quarantine.num_rows == 1
    assert "token_count" not in quarantine.column_names
    c = result.counts
    assert c.records == 402 == c.kept + c.removed + c.quarantined


def test_stage_summary_counts_tokens_through_the_funnel(run):
    tmp, _, _ = run
    table = pq.read_table(tmp / "out" / "stats" / "stage_summary")
    if "tokens" not in table.column_names:
        pytest.skip("stage_summary has no tokens column yet (winnow.stats)")
    rows = table.to_pylist()
    kept = pq.read_table(tmp / "out" / "kept").column("token_count").to_pylist()
    removed = pq.read_table(tmp / "out" / "removed").to_pylist()
    by = {(r["stage"], r["outcome"], r["reason"]): r["tokens"] for r in rows}
    assert by[("tokens", "out", None)] == sum(kept)
    assert by[("length", "removed", "length:too_short")] == sum(
        r["token_count"] for r in removed if r["reason"] == "length:too_short")
    assert by[("input", "in", None)] == sum(kept) + sum(r["token_count"] for r in removed)


def test_missing_or_bad_tokenizer_is_a_one_line_config_error(tmp_path):
    with pytest.raises(config.ConfigError, match=r"stages\[0\]\.tokenizer: file not found"):
        config.parse({"stages": [{"stage": "tokens", "tokenizer": str(tmp_path / "no.json")}]})
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a tokenizer"}')
    with pytest.raises(config.ConfigError, match="is not a Hugging Face tokenizer.json"):
        config.parse({"stages": [{"stage": "tokens", "tokenizer": str(bad)}]})
    with pytest.raises(config.ConfigError, match="tokenizer: required"):
        config.parse({"stages": [{"stage": "tokens"}]})


def test_report_shows_the_funnel_in_tokens(run):
    from winnow.report import write_report

    tmp, _, _ = run
    html = open(write_report(str(tmp / "out"), str(tmp / "report.html")),
                encoding="utf-8").read()
    assert ">Tokens<" in html
    funnel = html[html.index('id="funnel"'):html.index('id="reasons"')]
    assert ">Tokens<" in funnel
    reasons = html[html.index('id="reasons"'):]
    assert "<th>tokens</th>" in reasons or ">tokens<" in reasons

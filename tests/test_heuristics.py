"""Heuristic signals on small texts, against values computed by hand (no Spark)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from winnow.text import badwords, c4, fineweb, gopher_quality, gopher_repetition, url
from winnow.text.words import tokenize


def words(text: str) -> list[str]:
    return tokenize([text]).strings([text])[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello, world! It's a test...",
     ["Hello", ",", "world", "!", "It", "'s", "a", "test", "..."]),
    ("Don't e-mail a.b@example.com or see https://example.com/x.",
     ["Don", "'t", "e", "-", "mail", "a.b@example.com", "or", "see", "https://example.com/x",
      "."]),
    ("The U.S. economy grew 3.5% in 2019-2020, Mr. Smith said.",
     ["The", "U.S.", "economy", "grew", "3.5", "%", "in", "2019", "-", "2020", ",", "Mr.",
      "Smith", "said", "."]),
    ("covid-19 non- O'Brien 7:05 1/2 AT&T 1,000 -- —",
     ["covid-19", "non-", "O'Brien", "7:05", "1/2", "AT&T", "1,000", "--", "—"]),
    # spaCy's affix rules: punctuation inside a chunk stays (and/or-like markup, CJK
    # clauses), only prefixes, suffixes and listed infixes split; special cases keep
    # their period (the expected lists are spaCy 3.8 en's tokens, minus white space).
    ("Skaidrojums[labot šo sadaļu] 食物，觀念先正確。 (https://x.org/a-b) a.C. e.g., \"a.\"",
     ["Skaidrojums[labot", "šo", "sadaļu", "]", "食物，觀念先正確", "。", "(",
      "https://x.org/a-b", ")", "a.", "C.", "e.g.", ",", '"', "a.", '"']),
    ("10km² US$5 x...y well-known 3^2 ab.\"Cd rock'n'roll they're Jones' ((a)). ==Ref==",
     ["10", "km²", "US$", "5", "x", "...", "y", "well", "-", "known", "3", "^", "2", "ab", ".",
      '"Cd', "rock'n'roll", "they", "'re", "Jones", "'", "(", "(", "a", ")", ")", ".", "=", "=",
      "Ref=="]),
    ("தமிழ்நாடு அரசு", ["தமிழ்நாடு", "அரசு"]),  # vowel signs stay inside the word
    ("விக்கிப்பீடியாவில் இருந்து. ab́.", ["விக்கிப்பீடியாவில்", "இருந்து", ".", "ab́."]),
    ("I cannot. Cannot CANNOT", ["I", "can", "not", ".", "Can", "not", "CANNOT"]),
    ("30°C 45°19′ N°", ["30", "°", "C", "45", "°", "19′", "N", "°"]),  # ° is a symbol (So)
    ("", []),
    (" \n\t ", []),
])
def test_tokens(text, expected):
    assert words(text) == expected


def test_token_flags_and_batches():
    texts = ["a. B", "", "x\ny"]
    tok = tokenize(texts)
    assert tok.counts().tolist() == [2, 0, 2]  # "a." is initials: one token
    assert tok.strings(texts) == [["a.", "B"], [], ["x", "y"]]


def test_gopher_quality_by_hand():
    text = "# Title\n- the cat sat...\n- and a dog"
    # tokens: # Title - the cat sat ... - and a dog  (11; 7 of them words)
    q = {k: v[0] for k, v in gopher_quality.quality_signals([text]).items()}
    assert q["word_count"] == 7
    assert q["mean_word_length"] == pytest.approx(21 / 7)
    assert q["hash_ratio"] == pytest.approx(1 / 11)
    assert q["ellipsis_ratio"] == pytest.approx(1 / 11)
    assert q["bullet_lines_ratio"] == pytest.approx(2 / 3)
    assert q["ellipsis_lines_ratio"] == pytest.approx(1 / 3)
    assert q["alpha_words_ratio"] == pytest.approx(7 / 11)
    assert q["stop_words"] == 2  # the, and


def test_gopher_quality_edges():
    q = gopher_quality.quality_signals(["", "....... …\n", "The THE the to"])
    assert q["word_count"].tolist() == [0, 0, 4]
    assert q["ellipsis_ratio"][1] == pytest.approx(3 / 2)  # 2 x "..." + "…" over 2 tokens
    assert q["ellipsis_lines_ratio"][1] == 1.0  # a final newline opens no new line
    assert q["stop_words"][2] == 2  # case-sensitive: "the" and "to"
    for v in q.values():
        assert np.isfinite(v).all()


def test_gopher_repetition_by_hand():
    text = "a b c\na b c\nd e f"  # 17 characters, 9 tokens
    r = {k: v[0] for k, v in gopher_repetition.repetition_signals([text]).items()}
    assert r["dup_line_frac"] == pytest.approx(1 / 3)
    assert r["dup_line_char_frac"] == pytest.approx(5 / 17)
    assert r["dup_para_frac"] == 0.0
    assert r["top_2gram_char_frac"] == pytest.approx(2 * 3 / 17)  # "a b" twice
    assert r["top_3gram_char_frac"] == pytest.approx(2 * 5 / 17)  # "a b c" twice
    assert r["top_4gram_char_frac"] == pytest.approx(7 / 17)  # all distinct: the first
    assert r["dup_5gram_char_frac"] == 0.0


def test_gopher_top_ngram_keeps_word_order():
    text = "alpha beta beta alpha gamma"  # 27 characters; no 2-gram repeats
    r = gopher_repetition.repetition_signals([text])
    assert r["top_2gram_char_frac"][0] == pytest.approx(len("alpha beta") / 27)
    r = gopher_repetition.repetition_signals(["Meds, Lead, etc."])  # ", Lead" is not "Lead ,"
    assert r["top_2gram_char_frac"][0] == pytest.approx(len("Meds ,") / 16)


def test_gopher_duplicate_ngrams_jump_past_a_repeat():
    text = "x y z w v x y z w v"  # 19 characters
    r = gopher_repetition.repetition_signals([text], dup_ngrams=[5, 6])
    assert r["dup_5gram_char_frac"][0] == pytest.approx(5 / 19)  # "xyzwv" once, no spaces
    assert r["dup_6gram_char_frac"][0] == 0.0
    paras = gopher_repetition.repetition_signals(["p one\n\n\np one\n\nq"])
    assert paras["dup_para_frac"][0] == pytest.approx(1 / 3)


C4_PAGE = ("This is a fine sentence.\n"
           "short line.\n"
           "This line has no end\n"
           "Enable JavaScript to see this page.\n"
           "We use cookies on this site.\n"
           "The price is {5}!")


def test_c4_line_rules_by_hand():
    cleaned = c4.clean([C4_PAGE])
    assert cleaned.texts == ["This is a fine sentence.\nThe price is {5}!"]
    removed = {k: int(v[0]) for k, v in cleaned.removed_lines.items()}
    assert removed == {"too_long_word": 0, "no_terminal_punct": 1, "too_few_words": 1,
                       "javascript": 1, "policy": 1}
    assert cleaned.curly_bracket.tolist() == [True]
    assert cleaned.lorem_ipsum.tolist() == [False]
    assert c4.sentence_counts(tokenize(cleaned.texts)).tolist() == [2]


def test_c4_options_and_document_flags():
    texts = ["Lorem ipsum dolor sit amet.", "As shown before[1] in the study.",
             "A supercalifragilistic word here.", "No final mark in it"]
    cleaned = c4.clean(texts, c4.LineRules(max_word_length=10))
    assert cleaned.lorem_ipsum.tolist() == [True, False, False, False]
    assert cleaned.texts[1] == "As shown before in the study."
    assert cleaned.removed_lines["too_long_word"].tolist() == [0, 0, 1, 0]
    fineweb_variant = c4.clean(texts[3:], c4.LineRules(terminal_punctuation=False))
    assert fineweb_variant.texts == ["No final mark in it"]


def test_c4_sentences():
    texts = ["Mr. Smith went to Washington. He said hi! Then left", "One...two", "A.\nB."]
    assert c4.sentence_counts(tokenize(texts)).tolist() == [3, 1, 2]


def test_fineweb_by_hand():
    text = ("Hello there.\nshort\n\nHello there.\n"
            "A much longer line that goes past thirty characters")
    f = {k: v[0] for k, v in fineweb.signals([text]).items()}
    assert f["line_punct_ratio"] == pytest.approx(2 / 4)
    assert f["short_line_ratio"] == pytest.approx(3 / 4)
    assert f["char_dup_ratio"] == pytest.approx(12 / (len(text) - 4))
    assert f["newline_ratio"] == pytest.approx(4 / 16)
    empty = fineweb.signals(["\n \n"])
    assert empty["line_punct_ratio"][0] == 0.0 and math.isfinite(empty["newline_ratio"][0])


def test_badwords_whole_words_case_insensitive():
    en = badwords.make_list(["ass", "blow job", "🖕"], "en")
    texts = ["You ASS!", "a passage", "a blow job here", "blow  job", "🖕x", "x 🖕 y"]
    counts = badwords.count_matches(texts, [en] * len(texts))
    assert counts.tolist() == [1, 0, 1, 0, 0, 1]
    zh = badwords.make_list(["三级片"], "zh")
    assert badwords.count_matches(["看三级片吧", "看吧"], [zh, None]).tolist() == [1, -1]


def test_badwords_allowlist(tmp_path):
    path = tmp_path / "zh"
    path.write_text("性\n三级片\n\n")
    wl = badwords.read_list(str(path), "zh", badwords.ALLOWLIST["zh"])
    assert badwords.count_matches(["性别", "三级片"], [wl, wl]).tolist() == [0, 1]


def test_url_rules():
    lists = url.UrlLists.build(domains=["bad.com"], banned_words=["porn"],
                               soft_banned_words=["sex", "hot"],
                               banned_subwords=["2 girls 1 cup"])
    s = url.signals(["https://www.sub.bad.com/x", "http://example.com/porn-videos",
                     "http://example.com/hot-sex", "example.com/2girls1cup", None], lists)
    assert s.domain == ["sub.bad.com", "example.com", "example.com", "example.com", None]
    assert s.blocked == [True, False, False, False, None]
    assert s.banned_words == [0, 1, 0, 0, None]
    assert s.soft_banned_words == [0, 0, 2, 0, None]
    assert s.banned_subwords == [0, 0, 0, 1, None]
    assert url.host("http://user@Example.COM:8080/a") == "example.com"


def test_badwords_stage_uses_the_lang_column(tmp_path):
    import pyarrow as pa
    from winnow import config
    from winnow.stage import TextBatch

    (tmp_path / "en").write_text("ass\n")
    (tmp_path / "de").write_text("arsch\n")
    cfg = config.parse({"stages": [{"stage": "c4_badwords", "default_language": "en",
                                    "lists": {"en": str(tmp_path / "en"),
                                              "de": str(tmp_path / "de")}}]})
    stage = cfg.stages[0]
    stage.setup()
    texts = ["du arsch", "you ass", "du arsch", "you ass", "ass arsch"]
    batch = TextBatch(texts, {"lang": pa.array(["de", "de", None, "en-US", "fr"])})
    assert stage.compute(batch)["c4_badwords"].to_pylist() == [1, 0, 0, 1, None]
    no_lang = stage.compute(TextBatch(texts))["c4_badwords"].to_pylist()
    assert no_lang == [0, 1, 0, 1, 1]  # every document in the default language


def test_stage_rules_follow_the_config():
    from winnow import config

    cfg = config.parse({"stages": [
        {"stage": "gopher_quality", "min_words": 80, "max_symbol_word_ratio": None},
        {"stage": "gopher_repetition", "top_ngram_char_frac": {2: 0.3},
         "dup_ngram_char_frac": {}},
        {"stage": "fineweb", "max_newline_ratio": None},
        {"stage": "url"},
    ]})
    gq, gr, fw, u = cfg.stages
    predicates = {r.name: r.predicate for r in gq.rules()}
    assert predicates["too_few_words"] == "gopher_word_count < 80"
    assert "hash_ratio" not in predicates and "ellipsis_ratio" not in predicates
    assert [r.name for r in gr.rules()][-1] == "top_2gram"
    assert [f.name for f in gr.output_fields()][-1] == "gopher_top_2gram_char_frac"
    assert "newline_ratio" not in {r.name for r in fw.rules()}
    assert u.rules() == []  # no list given, no rule

"""The vectorised signals decide like a plain per-document implementation of the same
definitions, written here independently (regex tokens, Counter, sets), on the
1,000-document C4 sample: ≥ 99 % agreement for every rule (no Spark)."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from functools import cache

import numpy as np
import pytest
import regex
from conftest import C4_SAMPLE
from reference_tokenizer import reference_tokens
from winnow.text import badwords, c4, fineweb, gopher_quality, gopher_repetition, url
from winnow.text.words import tokenize

PUNCT = regex.compile(r"[\p{P}\p{Sm}\p{Sc}\p{Sk}\p{Cc}]")
TERM = regex.compile(r"\p{Sentence_Terminal}")
STOP = {"the", "be", "to", "of", "and", "that", "have", "with"}
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
          "use cookies")
AGREEMENT = 0.99


@pytest.fixture(scope="module")
def sample() -> tuple[list[str], list[str]]:
    with gzip.open(C4_SAMPLE, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r["text"] for r in rows], [r["url"] for r in rows]


@pytest.fixture(scope="module")
def ref_tokens(sample) -> list[list[str]]:
    """The sample tokenised by the plain-Python definition (slow: once)."""
    return [reference_tokens(t) for t in sample[0]]


@cache
def is_symbol(token: str) -> bool:
    return all(PUNCT.fullmatch(c) for c in token)


@cache
def has_letter(token: str) -> bool:
    return any(c.isalpha() for c in token)


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def lines_of(text: str) -> list[str]:
    parts = text.split("\n")
    return parts[:-1] if parts[-1] == "" else parts


def ref_gopher_quality(text: str, tokens: list[str]) -> dict[str, bool]:
    words = [t for t in tokens if not is_symbol(t)]
    mean = ratio(sum(map(len, words)), len(words))
    lines = lines_of(text)
    return {
        "too_few_words": len(words) < 50,
        "too_many_words": len(words) > 100_000,
        "short_words": mean < 3,
        "long_words": mean > 10,
        "hash_ratio": ratio(text.count("#"), len(tokens)) > 0.1,
        "ellipsis_ratio": ratio(text.count("...") + text.count("…"), len(tokens)) > 0.1,
        "bullet_lines": ratio(sum(ln.lstrip().startswith(gopher_quality.BULLETS) for ln in lines),
                              len(lines)) > 0.9,
        "ellipsis_lines": ratio(sum(ln.rstrip().endswith(("...", "…")) for ln in lines),
                                len(lines)) > 0.3,
        "alpha_words": ratio(sum(map(has_letter, tokens)), len(tokens)) < 0.8,
        "stop_words": len(STOP & set(tokens)) < 2,
    }


def lib_gopher_quality(texts: list[str]) -> list[dict[str, bool]]:
    q = gopher_quality.quality_signals(texts)
    rules = {
        "too_few_words": q["word_count"] < 50,
        "too_many_words": q["word_count"] > 100_000,
        "short_words": q["mean_word_length"] < 3,
        "long_words": q["mean_word_length"] > 10,
        "hash_ratio": q["hash_ratio"] > 0.1,
        "ellipsis_ratio": q["ellipsis_ratio"] > 0.1,
        "bullet_lines": q["bullet_lines_ratio"] > 0.9,
        "ellipsis_lines": q["ellipsis_lines_ratio"] > 0.3,
        "alpha_words": q["alpha_words_ratio"] < 0.8,
        "stop_words": q["stop_words"] < 2,
    }
    return [{k: bool(v[i]) for k, v in rules.items()} for i in range(len(texts))]


TOP = {2: 0.20, 3: 0.18, 4: 0.16}
DUP = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}


def duplicates(parts: list[str]) -> tuple[int, int]:
    seen: set[str] = set()
    count = chars = 0
    for p in parts:
        if p in seen:
            count += 1
            chars += len(p)
        seen.add(p)
    return count, chars


def ref_gopher_repetition(text: str, tokens: list[str]) -> dict[str, bool]:
    paragraphs = re.split(r"\n{2,}", text.strip())
    lines = re.split(r"\n+", text)
    para_dup, para_chars = duplicates(paragraphs)
    line_dup, line_chars = duplicates(lines)
    out = {
        "dup_para_frac": para_dup / len(paragraphs) > 0.3,
        "dup_para_char_frac": ratio(para_chars, len(text)) > 0.2,
        "dup_line_frac": line_dup / len(lines) > 0.3,
        "dup_line_char_frac": ratio(line_chars, len(text)) > 0.2,
    }
    for n, bound in TOP.items():
        grams = Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        top = max(grams.items(), key=lambda kv: kv[1], default=((), 0))
        out[f"top_{n}gram"] = ratio(len(" ".join(top[0])) * top[1], len(text)) > bound
    for n, bound in DUP.items():
        seen: set[tuple[str, ...]] = set()
        repeated, i = 0, 0
        while i < len(tokens) - n + 1:
            gram = tuple(tokens[i:i + n])
            if gram in seen:
                repeated += len("".join(gram))
                i += n
            else:
                seen.add(gram)
                i += 1
        out[f"dup_{n}gram"] = ratio(repeated, len(text)) > bound
    return out


def lib_gopher_repetition(texts: list[str]) -> list[dict[str, bool]]:
    r = gopher_repetition.repetition_signals(texts)
    rules = {
        "dup_para_frac": r["dup_para_frac"] > 0.3,
        "dup_para_char_frac": r["dup_para_char_frac"] > 0.2,
        "dup_line_frac": r["dup_line_frac"] > 0.3,
        "dup_line_char_frac": r["dup_line_char_frac"] > 0.2,
        **{f"top_{n}gram": r[f"top_{n}gram_char_frac"] > b for n, b in TOP.items()},
        **{f"dup_{n}gram": r[f"dup_{n}gram_char_frac"] > b for n, b in DUP.items()},
    }
    return [{k: bool(v[i]) for k, v in rules.items()} for i in range(len(texts))]


def ref_sentences(line: str) -> int:
    count, seen_end = 0, False
    for i, t in enumerate(reference_tokens(line)):
        if i == 0 or (seen_end and not is_symbol(t)):
            count += 1
            seen_end = False
        if len(t) == 1 and TERM.fullmatch(t):
            seen_end = True
    return count


def ref_c4(text: str, terminal: bool) -> tuple[dict[str, bool], str]:
    kept, lorem, curly, sentences = [], False, False, 0
    for line in text.splitlines():
        line = line.strip()
        if not line or any(len(w) > 1000 for w in line.split()):
            continue
        line = re.sub(r"\[\d*\]|\[edit\]|\[citation needed\]", "", line)
        if terminal and (not line.endswith((".", "?", "!", '"', "'")) or line.endswith("...")):
            continue
        if len(line.split()) < 3:
            continue
        if "lorem ipsum" in line.lower():
            lorem = True
        if "javascript" in line.lower():
            continue
        if "{" in line:
            curly = True
        if any(p in line.lower() for p in POLICY):
            continue
        sentences += ref_sentences(line)
        kept.append(line)
    return ({"lorem_ipsum": lorem, "curly_bracket": curly, "too_few_sentences": sentences < 5},
            "\n".join(kept))


def ref_fineweb(text: str, tokens: list[str]) -> dict[str, bool]:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    words = len(tokens)
    return {
        "line_punct_ratio": ratio(sum(bool(TERM.fullmatch(ln[-1])) for ln in lines),
                                  len(lines)) < 0.12,
        "short_line_ratio": ratio(sum(len(ln) <= 30 for ln in lines), len(lines)) > 0.67,
        "char_dup_ratio": ratio(duplicates(lines)[1], len(text.replace("\n", ""))) > 0.01,
        "newline_ratio": ratio(text.count("\n"), words) > 0.3,
    }


def assert_agree(ref: list[dict[str, bool]], lib: list[dict[str, bool]]) -> dict[str, int]:
    """Per-rule agreement ≥ AGREEMENT; returns how often each rule fired (reference)."""
    for rule in ref[0]:
        same = np.mean([r[rule] == m[rule] for r, m in zip(ref, lib, strict=True)])
        assert same >= AGREEMENT, f"{rule}: {same:.3f} agreement"
    return {rule: sum(r[rule] for r in ref) for rule in ref[0]}


def test_gopher_quality_matches_plain_implementation(sample, ref_tokens):
    texts, _ = sample
    ref = [ref_gopher_quality(t, tokens) for t, tokens in zip(texts, ref_tokens, strict=True)]
    fired = assert_agree(ref, lib_gopher_quality(texts))
    assert fired["too_few_words"] > 50 and fired["alpha_words"] > 20  # the sample exercises them


def test_gopher_repetition_matches_plain_implementation(sample, ref_tokens):
    texts, _ = sample
    ref = [ref_gopher_repetition(t, tokens) for t, tokens in zip(texts, ref_tokens, strict=True)]
    fired = assert_agree(ref, lib_gopher_repetition(texts))
    assert fired["top_4gram"] > 5 and fired["dup_5gram"] > 5


def test_c4_matches_plain_implementation(sample):
    texts, _ = sample
    ref = [ref_c4(t, terminal=True) for t in texts]
    cleaned = c4.clean(texts)
    sentences = c4.sentence_counts(tokenize(cleaned.texts))
    lib = [{"lorem_ipsum": bool(cleaned.lorem_ipsum[i]),
            "curly_bracket": bool(cleaned.curly_bracket[i]),
            "too_few_sentences": bool(sentences[i] < 5)} for i in range(len(texts))]
    fired = assert_agree([r[0] for r in ref], lib)
    assert fired["too_few_sentences"] > 20
    assert np.mean([r[1] == t for r, t in zip(ref, cleaned.texts, strict=True)]) >= AGREEMENT


def test_c4_without_terminal_rule_rewrites_like_plain_implementation(sample):
    texts = sample[0][:200]
    cleaned = c4.clean(texts, c4.LineRules(terminal_punctuation=False))
    assert cleaned.texts == [ref_c4(t, terminal=False)[1] for t in texts]


def test_fineweb_matches_plain_implementation(sample, ref_tokens):
    texts, _ = sample
    f = fineweb.signals(texts)
    lib = [{"line_punct_ratio": f["line_punct_ratio"][i] < 0.12,
            "short_line_ratio": f["short_line_ratio"][i] > 0.67,
            "char_dup_ratio": f["char_dup_ratio"][i] > 0.01,
            "newline_ratio": f["newline_ratio"][i] > 0.3} for i in range(len(texts))]
    assert_agree([ref_fineweb(t, tok) for t, tok in zip(texts, ref_tokens, strict=True)], lib)


def test_badwords_match_the_reference_regex(sample, assets_path):
    texts, _ = sample
    entries = (assets_path / "ldnoobw" / "en").read_text().split("\n")
    entries = sorted({e.strip().lower() for e in entries} - {""})
    patterns = {e: regex.compile(r"(?:\W|^)" + regex.escape(e) + r"(?:\W|$)") for e in entries}
    lowered = [t.lower() for t in texts]
    ref = [{"badwords": any(e in low and patterns[e].search(low) for e in entries)}
           for low in lowered]
    wl = badwords.make_list(entries, "en")
    counts = badwords.count_matches(texts, [wl] * len(texts))
    fired = assert_agree(ref, [{"badwords": bool(c > 0)} for c in counts])
    assert fired["badwords"] > 0  # C4 was filtered with (an older) LDNOOBW list


def test_url_rules_match_plain_implementation(sample, assets_path):
    _, urls = sample
    folder = assets_path / "url-banned"
    raw = {name: url.read_entries(str(folder / f"{name}.txt"))
           for name in ("banned_words", "soft_banned_words", "banned_subwords")}
    norm = {k: {re.sub(r"[^a-z0-9]", "", w.lower()) for w in v} - {""} for k, v in raw.items()}
    ref = []
    for u in urls:
        parts = set(re.split(r"[^a-z0-9]+", u.lower()))
        squashed = re.sub(r"[^a-z0-9]", "", u.lower())
        ref.append({"banned_word": bool(parts & norm["banned_words"]),
                    "soft_banned_words": len(parts & norm["soft_banned_words"]) >= 2,
                    "banned_subword": any(w in squashed for w in norm["banned_subwords"])})
    s = url.signals(urls, url.UrlLists.build(**raw))
    lib = [{"banned_word": s.banned_words[i] > 0, "soft_banned_words": s.soft_banned_words[i] >= 2,
            "banned_subword": s.banned_subwords[i] > 0} for i in range(len(urls))]
    assert_agree(ref, lib)


def test_tokenizer_equals_its_plain_python_definition(sample, ref_tokens):
    """The white-space rules (spaCy's); scripts without spaces are then re-cut by a
    segmenter (tests/test_multilingual.py), which this reference does not know."""
    texts, _ = sample
    assert tokenize(texts, segment=False).strings(texts) == ref_tokens

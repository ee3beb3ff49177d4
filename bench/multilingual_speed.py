"""Multilingual words: removal rates per language, segmenter agreement, fused-pass speed.

On the shared multilingual Common Crawl sample (697 pages, 54 languages):

1. removal rate of each word-based rule per language, *before* (white-space words,
   English parameters: gopher_quality and c4 defaults) and *after*
   (``conf/recipes/fineweb2_style.yaml``: segmented words, per-language params) —
   each rule counted on its own (would it remove the page?), decided by the rules'
   SQL (polars' SQL engine here, Spark's in a job);
2. zh/ja word counts (gopher words: tokens with a non-punctuation character) against
   the reference segmenter run over the whole document (jieba for Chinese, MeCab/UniDic
   for Japanese; counting its tokens that are not white space or punctuation), for
   winnow's segmented tokens and for the script fallback;
3. docs/s/core of the recipe's fused signal pass (the stages' ``compute`` in this
   process over one batch, no Spark), on the mixed sample and on the English C4
   sample, best of ``--repeat``.

    .venv/bin/python bench/multilingual_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
from winnow import config
from winnow.stage import TextBatch
from winnow.text import c4 as c4text
from winnow.text import segment
from winnow.text.chars import PUNCT, char_table
from winnow.text.gopher_quality import quality_signals
from winnow.text.words import tokenize

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT.parent / "shared" / "data" / "web"
MIXED = WEB / "cc-2019-30-multilingual-697.jsonl.gz"
ENGLISH = WEB / "c4-en-sample-1000.jsonl.gz"
RECIPE = ROOT / "conf" / "recipes" / "fineweb2_style.yaml"
WORD_RULES = ("too_few_words", "short_words", "long_words", "alpha_words", "stop_words")
SHOWN = ("en", "es", "de", "fr", "ru", "zh", "ja", "ko", "th")


def read(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def signal_stages():
    cfg = config.load(RECIPE)
    return cfg, [s for s in cfg.stages if s.mode != "off"]


def fused(stages, texts: list[str]) -> dict[str, pa.Array]:
    """The recipe's signal pass over one batch, as ``pipeline.signal_pass`` runs it."""
    tb = TextBatch(list(texts), {})
    out: dict[str, pa.Array] = {}
    for s in stages:
        s.setup()
        values = s.compute(tb)
        for f in s.output_fields():
            v = values[f.name]
            out[f.name] = v if isinstance(v, pa.Array) else pa.array(v, f.type)
            tb.columns[f.name] = out[f.name]
    return out


def rates(frame: pl.DataFrame, rules: dict[str, str]) -> dict[tuple[str, str], float]:
    ctx = pl.SQLContext(docs=frame)
    cases = ", ".join(f"AVG(CASE WHEN {p} THEN 1.0 ELSE 0.0 END) AS \"{n}\""
                      for n, p in rules.items())
    got = ctx.execute(f"SELECT lang, COUNT(*) AS n, {cases} FROM docs GROUP BY lang",
                      eager=True)
    return {(row["lang"], n): row[n] for row in got.iter_rows(named=True) for n in rules} | {
        (row["lang"], "n"): row["n"] for row in got.iter_rows(named=True)}


def removal_table(texts: list[str]) -> None:
    cfg, stages = signal_stages()
    after = fused(stages, texts)
    langs = after["lang"].to_pylist()
    gq = next(s for s in stages if s.name == "gopher_quality")
    c4 = next(s for s in stages if s.name == "c4")
    # Before: white-space words, English defaults (the stages' own defaults).
    cleaned = c4text.clean(texts, c4text.LineRules())
    before_sig = quality_signals(texts, tokenize(texts, segment=False))
    before = {f"gopher_{k}": v for k, v in before_sig.items()}
    before["c4_sentences"] = c4text.sentence_counts(tokenize(cleaned.texts, segment=False))
    base = type(gq)(type(gq).Params())
    base_c4 = type(c4)(type(c4).Params())
    rules_b = {r.name: r.predicate for r in base.rules() if r.name in WORD_RULES}
    rules_b["too_few_sentences"] = next(r.predicate for r in base_c4.rules()
                                        if r.name == "too_few_sentences")
    rules_a = {r.name: r.predicate for r in gq.rules() if r.name in WORD_RULES}
    rules_a["too_few_sentences"] = next(r.predicate for r in c4.rules()
                                        if r.name == "too_few_sentences")
    cols = [k for k in before if k in after]
    fb = pl.DataFrame({"lang": [x or "none" for x in langs],
                       **{k: np.asarray(before[k]) for k in cols}})
    fa = pl.DataFrame({"lang": [x or "none" for x in langs],
                       **{k: after[k].to_numpy(zero_copy_only=False) for k in cols}})
    rb, ra = rates(fb, rules_b), rates(fa, rules_a)
    names = [*WORD_RULES, "too_few_sentences"]
    print("\nremoval rate per word-based rule, before -> after (each rule on its own)")
    print("| lang | docs | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    others = Counter(x or "none" for x in langs)
    for lang in [*SHOWN, "all"]:
        if lang == "all":
            n = len(langs)
            cells = []
            for name in names:
                b = sum(rb.get((g, name), 0) * rb[(g, "n")] for g in others) / n
                a = sum(ra.get((g, name), 0) * ra[(g, "n")] for g in others) / n
                cells.append(f"{b:.0%} → {a:.0%}")
        elif (lang, "n") not in rb:
            continue
        else:
            n = rb[(lang, "n")]
            cells = [f"{rb[(lang, k)]:.0%} → {ra[(lang, k)]:.0%}" for k in names]
        print(f"| {lang} | {n} | " + " | ".join(cells) + " |")


def reference_counts(texts: list[str], langs: list[str]) -> None:
    table = char_table()

    def words(tokens: list[str]) -> int:
        return sum(1 for t in tokens if t.strip() and not all(
            ord(c) < len(table) and table[ord(c)] & PUNCT for c in t.strip()))

    print("\nword counts against the reference segmenter over the whole document")
    print("| lang | docs | winnow / reference (median) | within ±20% | fallback / reference "
          "(median) | fallback within ±20% |")
    print("|---|---:|---:|---:|---:|---:|")
    for lang in ("zh", "ja", "th"):
        docs = [t for t, g in zip(texts, langs, strict=True) if g == lang]
        if not docs:
            continue
        ref = segment.segmenter(lang)
        ours = quality_signals(docs, tokenize(docs, [lang] * len(docs)))["word_count"]
        fb_tokens = tokenize(docs, ["lo"] * len(docs))  # "lo": the script fallback
        fb = quality_signals(docs, fb_tokens)["word_count"]
        refs = np.array([max(words(ref(d)), 1) for d in docs])
        r1, r2 = ours / refs, fb / refs
        print(f"| {lang} | {len(docs)} | {np.median(r1):.2f} | "
              f"{np.mean(np.abs(r1 - 1) <= 0.2):.0%} | {np.median(r2):.2f} | "
              f"{np.mean(np.abs(r2 - 1) <= 0.2):.0%} |")


def speed(texts: list[str], repeat: int) -> tuple[float, float]:
    _, stages = signal_stages()
    fused(stages, texts[:50])  # warm: models, dictionaries, compiled kernels
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fused(stages, texts)
        best = min(best, time.process_time() - t0)
    return len(texts) / best, sum(map(len, texts)) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    mixed, english = read(MIXED), read(ENGLISH)
    _, stages = signal_stages()
    langs = fused(stages[:2], mixed)["lang"].to_pylist()
    print("languages:", dict(Counter(x or "none" for x in langs).most_common(12)))
    removal_table(mixed)
    reference_counts(mixed, langs)
    by = defaultdict(int)
    for x in langs:
        by[segment.SEGMENTED.get(x or "", "spaces")] += 1
    print("\nsegmented documents in the mixed sample:", dict(by))
    m_docs, m_chars = speed(mixed, args.repeat)
    e_docs, e_chars = speed(english, args.repeat)
    print("\nfused pass of fineweb2_style.yaml (CPU seconds of this process, 1 core)")
    print(f"mixed   (697 pages, 54 languages): {m_docs:8.1f} docs/s/core "
          f"{m_chars / 1e6:6.2f} M chars/s")
    print(f"English (C4 sample, 1,000 pages) : {e_docs:8.1f} docs/s/core "
          f"{e_chars / 1e6:6.2f} M chars/s")
    print(f"mixed / English: {m_docs / e_docs:.0%} of the docs/s, "
          f"{m_chars / e_chars:.0%} of the chars/s")


if __name__ == "__main__":
    main()

"""Agreement of winnow's heuristic decisions with datatrove's filters, family by family.

datatrove is a benchmark-only reference, never a dependency: it runs in its own
interpreter (a second virtualenv), this script runs both sides and compares
keep/remove per document on ``../shared/data/web/*.jsonl.gz`` (documents with an
empty text are left out: winnow quarantines them before any stage). Thresholds
are the published defaults on both sides. Agreement is also reported for the
documents that winnow's ``lid`` labels English, the language datatrove's default
(spaCy English) tokeniser is meant for and the one FineWeb filters.

    python3.11 -m venv /tmp/dt && /tmp/dt/bin/pip install datatrove spacy \\
        tldextract pyahocorasick
    .venv/bin/python bench/compare_datatrove.py --datatrove-python /tmp/dt/bin/python
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT.parent / "shared" / "data" / "web"
WORDLISTS = ROOT.parent / "shared" / "data" / "wordlists"
FAMILIES = ("url", "gopher_repetition", "gopher_quality", "c4", "c4_fineweb_variant",
            "c4_badwords", "fineweb")


def read_docs(path: Path) -> list[dict]:
    """Documents with a non-blank text: ``text`` and ``url`` (C4: top level; CC: metadata)."""
    docs = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            text = r.get("text") or ""
            if text.strip():
                link = r.get("url") or (r.get("metadata") or {}).get("url") or ""
                docs.append({"text": text, "url": link})
    return docs


def datatrove_side(inp: str, out: str) -> None:
    """Run in the datatrove interpreter: one keep/remove decision per family and doc."""
    import functools

    import tldextract
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4BadWordsFilter,
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        URLFilter,
        c4_filters,
    )

    # Offline: the bad-words list and the public-suffix list come from local files.
    c4_filters.cached_asset_path_or_download = lambda *a, **k: str(WORDLISTS / "ldnoobw" / "en")
    tldextract.TLDExtract = functools.partial(tldextract.TLDExtract, suffix_list_urls=())
    lists = {name: (WORDLISTS / "url-banned" / f"{name}.txt").read_text().splitlines()
             for name in ("banned_words", "banned_subwords", "soft_banned_words")}
    filters = {
        "url": URLFilter(use_integrated_lists=False, **lists),
        "gopher_repetition": GopherRepetitionFilter(),
        "gopher_quality": GopherQualityFilter(),
        "c4": C4QualityFilter(),
        "c4_fineweb_variant": C4QualityFilter(filter_no_terminal_punct=False),
        "c4_badwords": C4BadWordsFilter(fail_on_missing_language=False),
        "fineweb": FineWebQualityFilter(),
    }
    docs = json.loads(Path(inp).read_text())
    decisions = {name: [] for name in filters}
    seconds = dict.fromkeys(filters, 0.0)
    for i, d in enumerate(docs):
        for name, flt in filters.items():
            doc = Document(text=d["text"], id=str(i), metadata={"url": d["url"] or "x"})
            t0 = time.process_time()
            verdict = flt.filter(doc)
            seconds[name] += time.process_time() - t0
            decisions[name].append(verdict is True)
    Path(out).write_text(json.dumps({"decisions": decisions, "seconds": seconds}))


def winnow_side(docs: list[dict]) -> dict[str, list[bool]]:
    """winnow's keep/remove per family with the published thresholds (pure functions)."""
    from winnow.text import badwords, c4, fineweb, gopher_quality, gopher_repetition, url

    texts = [d["text"] for d in docs]
    q = gopher_quality.quality_signals(texts)
    r = gopher_repetition.repetition_signals(texts)
    f = fineweb.signals(texts)
    lists = url.UrlLists.build(**{
        name: url.read_entries(str(WORDLISTS / "url-banned" / f"{name}.txt"))
        for name in ("banned_words", "banned_subwords", "soft_banned_words")})
    u = url.signals([d["url"] for d in docs], lists)
    en = badwords.read_list(str(WORDLISTS / "ldnoobw" / "en"), "en")
    bad = badwords.count_matches(texts, [en] * len(texts))
    out = {
        "url": [not (u.banned_words[i] or (u.soft_banned_words[i] or 0) >= 2
                     or u.banned_subwords[i]) for i in range(len(docs))],
        "gopher_quality": list(~(
            (q["word_count"] < 50) | (q["word_count"] > 100_000)
            | (q["mean_word_length"] < 3) | (q["mean_word_length"] > 10)
            | (q["hash_ratio"] > 0.1) | (q["ellipsis_ratio"] > 0.1)
            | (q["bullet_lines_ratio"] > 0.9) | (q["ellipsis_lines_ratio"] > 0.3)
            | (q["alpha_words_ratio"] < 0.8) | (q["stop_words"] < 2))),
        "gopher_repetition": list(~(
            (r["dup_para_frac"] > 0.3) | (r["dup_para_char_frac"] > 0.2)
            | (r["dup_line_frac"] > 0.3) | (r["dup_line_char_frac"] > 0.2)
            | (r["top_2gram_char_frac"] > 0.20) | (r["top_3gram_char_frac"] > 0.18)
            | (r["top_4gram_char_frac"] > 0.16)
            | (r["dup_5gram_char_frac"] > 0.15) | (r["dup_6gram_char_frac"] > 0.14)
            | (r["dup_7gram_char_frac"] > 0.13) | (r["dup_8gram_char_frac"] > 0.12)
            | (r["dup_9gram_char_frac"] > 0.11) | (r["dup_10gram_char_frac"] > 0.10))),
        "fineweb": list(~(
            (f["line_punct_ratio"] < 0.12) | (f["short_line_ratio"] > 0.67)
            | (f["char_dup_ratio"] > 0.01) | (f["newline_ratio"] > 0.3))),
        "c4_badwords": list(bad == 0),
    }
    from winnow.text.words import tokenize

    for name, terminal in (("c4", True), ("c4_fineweb_variant", False)):
        cleaned = c4.clean(texts, c4.LineRules(terminal_punctuation=terminal))
        sentences = c4.sentence_counts(tokenize(cleaned.texts))
        out[name] = list(~(cleaned.lorem_ipsum | cleaned.curly_bracket | (sentences < 5)))
    return {k: [bool(x) for x in v] for k, v in out.items()}


def english(docs: list[dict]) -> list[bool]:
    from winnow.fasttext.model import load_model
    from winnow.langid.identify import default_model_path, identify

    found = identify(load_model(default_model_path()), [d["text"] for d in docs])
    return [lang == "en" for lang in found.lang]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datatrove-python", help="interpreter with datatrove + spacy installed")
    ap.add_argument("--datatrove-side", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.datatrove_side:
        datatrove_side(*args.datatrove_side)
        return 0
    if not args.datatrove_python:
        ap.error("--datatrove-python is required")
    total_docs, total_seconds = 0, 0.0
    for path in sorted(WEB.glob("*.jsonl.gz")):
        docs = read_docs(path)
        with tempfile.TemporaryDirectory() as tmp:
            inp, out = Path(tmp) / "docs.json", Path(tmp) / "decisions.json"
            inp.write_text(json.dumps(docs))
            subprocess.run([args.datatrove_python, __file__, "--datatrove-side", str(inp),
                            str(out)], check=True)
            theirs = json.loads(out.read_text())
        ours = winnow_side(docs)
        is_en = english(docs)
        print(f"\n{path.name}: {len(docs)} documents ({sum(is_en)} English)")
        print(f"  {'family':<20} {'agree':>7} {'agree(en)':>10} "
              f"{'kept winnow/datatrove':>22}")
        for name in FAMILIES:
            a, b = ours[name], theirs["decisions"][name]
            same = [x == y for x, y in zip(a, b, strict=True)]
            same_en = [s for s, e in zip(same, is_en, strict=True) if e]
            print(f"  {name:<20} {sum(same) / len(same):>7.1%} "
                  f"{sum(same_en) / max(len(same_en), 1):>10.1%} {sum(a):>10} / {sum(b):<10}")
        four = ("gopher_repetition", "gopher_quality", "c4", "fineweb")
        total_seconds += sum(theirs["seconds"][k] for k in four)
        total_docs += len(docs)
    print(f"\ndatatrove Gopher repetition + quality + C4 + FineWeb: "
          f"{total_docs / total_seconds:,.0f} docs/s/core over {total_docs} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())

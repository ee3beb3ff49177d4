"""C4's cleaning rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning
with a Unified Text-to-Text Transformer", §2.2), in the order of the reference
code that made C4 (TensorFlow Datasets ``c4_utils.clean_page``).

Each line is stripped; blank lines are dropped (and not counted). A line is
removed, first rule first, if it

1. has a word (whitespace-separated) longer than ``max_word_length`` characters;
2. — after Wikipedia citation markers (``[1]``, ``[edit]``, ``[citation needed]``)
   are cut out — does not end in a terminal punctuation mark (``. ? ! " '``) or
   ends in an ellipsis ``...``;
3. has fewer than ``min_words_per_line`` words;
4. mentions "javascript";
5. mentions cookie/privacy-policy boilerplate.

Two document rules are decided on the lines that pass rules 1–3: "lorem ipsum"
anywhere in such a line, and a curly bracket in such a line that also passes
rule 4 (the reference code drops the page at that point). The minimum-sentences
rule counts sentences in the kept lines (see ``sentence_counts``). The kept
lines, joined by ``\\n``, are the new text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.words import T_LINE_START, T_SYMBOL, T_TERM, Tokens

END_MARKS = (".", "?", "!", '"', "'")
ELLIPSIS = "..."
POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
                  "use of cookies", "use cookies")
LINE_RULES = ("too_long_word", "no_terminal_punct", "too_few_words", "javascript", "policy")
_CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")


@dataclass(frozen=True)
class LineRules:
    """Which line rules run and with which bounds (C4's published defaults)."""

    max_word_length: int = 1000  # 0: off
    remove_citations: bool = True
    terminal_punctuation: bool = True  # FineWeb's C4 variant switches this off
    end_marks: tuple[str, ...] = END_MARKS
    min_words_per_line: int = 3  # 0: off
    javascript: bool = True
    policy: bool = True


@dataclass
class Cleaned:
    """New texts, removed-line counts per rule, and the two document flags."""

    texts: list[str]
    removed_lines: dict[str, np.ndarray]
    lorem_ipsum: np.ndarray
    curly_bracket: np.ndarray


def clean(texts: list[str], rules: LineRules = LineRules()) -> Cleaned:
    """Apply the C4 line rules to every text (see the module docstring)."""
    n = len(texts)
    removed = np.zeros((len(LINE_RULES), n), dtype=np.int64)
    lorem = np.zeros(n, dtype=bool)
    curly = np.zeros(n, dtype=bool)
    out: list[str] = []
    max_word = rules.max_word_length
    min_words = rules.min_words_per_line
    end_marks = rules.end_marks
    for d, text in enumerate(texts):
        low = text.lower()
        has_lorem = "lorem ipsum" in low
        has_js = rules.javascript and "javascript" in low
        has_policy = rules.policy and any(p in low for p in POLICY_PHRASES)
        has_curly = "{" in text
        cite = rules.remove_citations and "[" in text
        need_lower = has_lorem or has_js or has_policy
        kept = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            if max_word and len(line) > max_word and any(
                    len(w) > max_word for w in line.split()):
                removed[0, d] += 1
                continue
            if cite:
                line = _CITATION.sub("", line)
            if rules.terminal_punctuation and (
                    not line.endswith(end_marks) or line.endswith(ELLIPSIS)):
                removed[1, d] += 1
                continue
            if min_words and len(line.split()) < min_words:
                removed[2, d] += 1
                continue
            if need_lower:
                lowered = line.lower()
                if has_lorem and "lorem ipsum" in lowered:
                    lorem[d] = True
                if has_js and "javascript" in lowered:
                    removed[3, d] += 1
                    continue
                if has_curly and "{" in line:
                    curly[d] = True
                if has_policy and any(p in lowered for p in POLICY_PHRASES):
                    removed[4, d] += 1
                    continue
            elif has_curly and "{" in line:
                curly[d] = True
            kept.append(line)
        out.append("\n".join(kept))
    return Cleaned(out, dict(zip(LINE_RULES, removed, strict=True)), lorem, curly)


def sentence_counts(tokens: Tokens) -> np.ndarray:
    """Sentences per text, each line counted on its own, as spaCy's sentencizer does.

    A new sentence starts at each line, and after a sentence-terminal token
    (``.``, ``!``, ``?`` … standing alone) at the next token that is not
    punctuation. Abbreviations and initials keep their period (``Mr.``, ``U.S.``)
    and so end no sentence; an ellipsis ``...`` ends none either.
    """
    out = np.zeros(len(tokens.tok_offsets) - 1, dtype=np.int64)
    _sentence_kernel(tokens.tok_offsets, tokens.flags, out)
    return out


@kernel
def _sentence_kernel(tok_offsets, flags, out):  # pragma: no cover - compiled
    for d in range(tok_offsets.shape[0] - 1):
        count = 0
        seen_end = False
        for t in range(tok_offsets[d], tok_offsets[d + 1]):
            fl = flags[t]
            if fl & T_LINE_START:
                count += 1
                seen_end = False
            elif seen_end and not fl & T_SYMBOL:
                count += 1
                seen_end = False
            if fl & T_TERM:
                seen_end = True
        out[d] = count

"""Gopher quality signals (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", Appendix A.1.1 and Table A1): word count
and length, symbol ratios, bullet and ellipsis lines, alphabetic words, stop words.

Words are the tokens of ``winnow.text.words`` (punctuation is a token of its own,
as in the reference implementation, datatrove). Where the paper leaves a choice
open, datatrove's definition is followed and said so next to the code. All
fractions are 0 when their denominator is 0, so every signal is a finite number.
"""

from __future__ import annotations

import numpy as np

from winnow.numba_cache import kernel
from winnow.text.chars import SPACE, char_table
from winnow.text.words import T_ALPHA, T_SYMBOL, Tokens, token_hash, tokenize

#: Gopher's stop words: a document must contain at least two of them.
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
#: What starts a bullet line; datatrove uses "•" and "-", the other bullets are
#: their Unicode siblings, which the paper's "bullet point" covers as well.
BULLETS = ("•", "‣", "◦", "⁃", "●", "▪", "-")


def quality_signals(
    texts: list[str],
    tokens: Tokens | None = None,
    stop_words: tuple[str, ...] | list[str] = STOP_WORDS,
    bullets: tuple[str, ...] | list[str] = BULLETS,
) -> dict[str, np.ndarray]:
    """Per-document Gopher quality signals.

    * ``word_count``: tokens with a character that is not punctuation ("words";
      datatrove counts these for the 50…100,000 bound);
    * ``mean_word_length``: their mean length in code points;
    * ``hash_ratio``, ``ellipsis_ratio``: occurrences of ``#`` and of ``...``/``…``
      per token;
    * ``bullet_lines_ratio``: lines whose first non-space character is a bullet;
    * ``ellipsis_lines_ratio``: lines ending (before trailing space) in ``...``/``…``;
      lines are separated by ``\\n`` and a final newline does not open a new line;
    * ``alpha_words_ratio``: tokens with an alphabetic character, per token;
    * ``stop_words``: how many distinct stop words occur (exact, case-sensitive
      tokens, as in datatrove).
    """
    tokens = tokens if tokens is not None else tokenize(texts)
    stop_hashes = np.array([token_hash(w) for w in stop_words], dtype=np.uint64)
    bullet_cps = np.array([ord(b) for b in bullets], dtype=np.uint32)
    n = len(texts)
    out = {name: np.zeros(n, dtype=np.float64) for name in (
        "mean_word_length", "hash_ratio", "ellipsis_ratio", "bullet_lines_ratio",
        "ellipsis_lines_ratio", "alpha_words_ratio")}
    out["word_count"] = np.zeros(n, dtype=np.int64)
    out["stop_words"] = np.zeros(n, dtype=np.int64)
    _quality_kernel(tokens.cps, tokens.text_offsets, tokens.tok_offsets, tokens.starts,
                    tokens.ends, tokens.hashes, tokens.flags, char_table(), stop_hashes,
                    max(map(len, stop_words), default=0), bullet_cps, out["word_count"],
                    out["mean_word_length"], out["hash_ratio"], out["ellipsis_ratio"],
                    out["bullet_lines_ratio"], out["ellipsis_lines_ratio"],
                    out["alpha_words_ratio"], out["stop_words"])
    return out


@kernel
def _is_space(table: np.ndarray, c: np.uint32) -> bool:
    return c < table.shape[0] and table[c] & SPACE != 0


@kernel
def _quality_kernel(cps, text_offsets, tok_offsets, starts, ends, hashes, flags, table,
                    stop_hashes, stop_max_len, bullet_cps, word_count, mean_word_length,
                    hash_ratio, ellipsis_ratio, bullet_lines_ratio, ellipsis_lines_ratio,
                    alpha_words_ratio, stop_words):  # pragma: no cover - compiled
    seen = np.zeros(stop_hashes.shape[0], dtype=np.bool_)
    for d in range(text_offsets.shape[0] - 1):
        lo, hi = tok_offsets[d], tok_offsets[d + 1]
        n_tokens = hi - lo
        words = 0
        word_chars = 0
        alpha = 0
        seen[:] = False
        for t in range(lo, hi):
            fl = flags[t]
            if not fl & T_SYMBOL:
                words += 1
                word_chars += ends[t] - starts[t]
            if fl & T_ALPHA:
                alpha += 1
            if ends[t] - starts[t] <= stop_max_len:
                for s in range(stop_hashes.shape[0]):
                    if hashes[t] == stop_hashes[s]:
                        seen[s] = True
        word_count[d] = words
        mean_word_length[d] = word_chars / words if words else 0.0
        alpha_words_ratio[d] = alpha / n_tokens if n_tokens else 0.0
        stop_words[d] = seen.sum()

        a, b = text_offsets[d], text_offsets[d + 1]
        hashes_n = 0
        ellipses = 0
        dots = 0
        lines = 0
        bullet_lines = 0
        ellipsis_lines = 0
        line_start = a
        for i in range(a, b + 1):
            c = cps[i] if i < b else np.uint32(10)
            if c == 46:
                dots += 1
                continue
            ellipses += dots // 3
            dots = 0
            if c == 35:
                hashes_n += 1
            elif c == 0x2026:
                ellipses += 1
            elif c == 10:
                if i == b and line_start == b:
                    break  # a final newline (or an empty text) opens no new line
                lines += 1
                k = line_start
                while k < i and _is_space(table, cps[k]):
                    k += 1
                if k < i:
                    for bc in bullet_cps:
                        if cps[k] == bc:
                            bullet_lines += 1
                            break
                e = i
                while e > line_start and _is_space(table, cps[e - 1]):
                    e -= 1
                if (e > line_start and cps[e - 1] == 0x2026) or (
                        e - line_start >= 3 and cps[e - 1] == 46 and cps[e - 2] == 46
                        and cps[e - 3] == 46):
                    ellipsis_lines += 1
                line_start = i + 1
        hash_ratio[d] = hashes_n / n_tokens if n_tokens else 0.0
        ellipsis_ratio[d] = ellipses / n_tokens if n_tokens else 0.0
        bullet_lines_ratio[d] = bullet_lines / lines if lines else 0.0
        ellipsis_lines_ratio[d] = ellipsis_lines / lines if lines else 0.0

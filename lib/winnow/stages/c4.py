"""``c4``: C4's cleaning rules (Raffel et al. 2020, §2.2), see ``winnow.text.c4``.

The line rules rewrite the text (only in ``filter`` mode; ``annotate`` computes the
signals of the rewrite without applying it). Signals: ``c4_original_chars`` (the
length before), ``c4_lines_removed``/``c4_chars_removed`` and the removed lines per
line rule (``c4_lines_<rule>``), ``c4_lorem_ipsum``, ``c4_curly_bracket`` and
``c4_sentences`` (in the kept lines). Document rules, in the reference code's
order: ``lorem_ipsum``, ``curly_bracket``, ``too_few_sentences`` (fewer than 5).
FineWeb's variant sets ``terminal_punctuation: false`` (Penedo et al. 2024, §3.3).
The stats table ``c4_lines`` sums the removed lines per line rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from pyspark.sql import functions as F

from winnow.stage import (
    Rule,
    SignalStage,
    StageParams,
    TextBatch,
    flag_rules,
    register,
    threshold_rules,
)
from winnow.text.c4 import END_MARKS, LINE_RULES, LineRules, clean, sentence_counts
from winnow.text.words import tokenize

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass
class C4Params(StageParams):
    max_word_length: int = 1000  # 0: off
    remove_citations: bool = True
    terminal_punctuation: bool = True
    end_marks: list[str] = field(default_factory=lambda: list(END_MARKS))
    min_words_per_line: int = 3  # 0: off
    javascript: bool = True
    policy: bool = True
    lorem_ipsum: bool = True
    curly_bracket: bool = True
    min_sentences: int = 5  # 0: off


@register
class C4(SignalStage):
    """Line-level cleaning plus the lorem-ipsum, curly-bracket and sentence rules."""

    name = "c4"
    Params = C4Params
    params: C4Params

    def _line_rules(self) -> LineRules:
        p = self.params
        return LineRules(max_word_length=p.max_word_length, remove_citations=p.remove_citations,
                         terminal_punctuation=p.terminal_punctuation,
                         end_marks=tuple(p.end_marks), min_words_per_line=p.min_words_per_line,
                         javascript=p.javascript, policy=p.policy)

    def modifies_text(self) -> bool:
        return self.mode == "filter"

    def output_fields(self) -> list[pa.Field]:
        return ([pa.field("c4_modified", pa.bool_()),
                 pa.field("c4_original_chars", pa.int64()),
                 pa.field("c4_lines_removed", pa.int64()),
                 pa.field("c4_chars_removed", pa.int64())]
                + [pa.field(f"c4_lines_{r}", pa.int64()) for r in LINE_RULES]
                + [pa.field("c4_lorem_ipsum", pa.bool_()),
                   pa.field("c4_curly_bracket", pa.bool_()),
                   pa.field("c4_sentences", pa.int64())])

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        old = batch.texts
        cleaned = clean(old, self._line_rules())
        if self.mode == "filter":
            batch.replace_texts(cleaned.texts)
            tokens = batch.tokens
        else:
            tokens = tokenize(cleaned.texts)
        before = np.fromiter(map(len, old), dtype=np.int64, count=len(old))
        after = np.fromiter(map(len, cleaned.texts), dtype=np.int64, count=len(old))
        out: dict[str, Any] = {
            "c4_modified": [a != b for a, b in zip(old, cleaned.texts, strict=True)],
            "c4_original_chars": before,
            "c4_lines_removed": sum(cleaned.removed_lines.values()),
            "c4_chars_removed": before - after,
            "c4_lorem_ipsum": cleaned.lorem_ipsum,
            "c4_curly_bracket": cleaned.curly_bracket,
            "c4_sentences": sentence_counts(tokens),
        }
        for rule, counts in cleaned.removed_lines.items():
            out[f"c4_lines_{rule}"] = counts
        return out

    def rules(self) -> list[Rule]:
        return (flag_rules(self.params, [("lorem_ipsum", "c4_lorem_ipsum", "lorem_ipsum"),
                                         ("curly_bracket", "c4_curly_bracket", "curly_bracket")])
                + threshold_rules(self.params, [
                    ("too_few_sentences", "c4_sentences", "<", "min_sentences")], zero_off=True))

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``c4_lines``: removed lines per line rule (characters in the ``all`` row),
        over every document with a text (including those other stages removed)."""
        sums = df.where(F.col("text").isNotNull()).agg(
            *[F.sum(f"c4_lines_{r}").alias(r) for r in LINE_RULES],
            F.sum("c4_lines_removed").alias("all"),
            F.sum("c4_chars_removed").alias("chars"))
        rows = [F.struct(F.lit(r).alias("rule"),
                         F.coalesce(F.col(r), F.lit(0)).alias("lines"),
                         (F.coalesce(F.col("chars"), F.lit(0)) if r == "all"
                          else F.lit(None).cast("long")).alias("characters"))
                for r in (*LINE_RULES, "all")]
        return {"c4_lines": sums.select(F.lit(run_id).alias("run_id"),
                                        F.explode(F.array(*rows)).alias("r"))
                .select("run_id", "r.rule", "r.lines", "r.characters")}

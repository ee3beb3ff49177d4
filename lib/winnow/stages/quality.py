"""``quality``: score documents with a fastText quality classifier (DCLM style).

Signal ``quality_score`` = the model's probability of the high-quality ``label``.
The threshold is absolute (``min_score``) or relative (``keep_top_fraction``: keep
that fraction of the documents still kept, by a global percentile of their scores
computed with Spark over the whole corpus, not per partition). The scores are a
signal of the fused pass; a relative threshold is a corpus-wide decision
(``decide``): one ``percentile_approx`` job over the materialised pass, after the
rules of the stages before this one, then the SQL rule. Reason
``quality:below_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from pyspark.sql import functions as F

from winnow import frame
from winnow.errors import ConfigError, WinnowError
from winnow.fasttext.model import FastTextModel, load_model
from winnow.quality.score import DEFAULT_LABEL, label_index, quality_scores
from winnow.stage import (
    FRACTION,
    ModelPath,
    Range,
    Rule,
    RunContext,
    SignalStage,
    StageParams,
    TextBatch,
    bounded,
    register,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Rank accuracy of the global percentile (percentile_approx: error ≤ 1/ACCURACY of N).
PERCENTILE_ACCURACY = 100_000
SCORE_QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@dataclass
class QualityParams(StageParams):
    model: ModelPath = field(kw_only=True)  # fastText .bin/.ftz from `winnow train-quality`
    label: str = DEFAULT_LABEL  # the high-quality label; quality_score = P(label)
    min_score: float | None = bounded(FRACTION, None)  # absolute threshold, or …
    #: … keep this top fraction (global percentile)
    keep_top_fraction: float | None = bounded(Range(0.0, 1.0, lo_open=True), None)


@register
class Quality(SignalStage):
    """Scores every document, then removes those below the absolute or global threshold."""

    name = "quality"
    Params = QualityParams
    params: QualityParams

    def __init__(self, params: QualityParams, index: int = 0):
        super().__init__(params, index)
        #: The threshold applied: ``min_score``, or the one ``decide`` found.
        self.threshold: float | None = params.min_score

    def validate(self) -> None:
        p = self.params
        if (p.min_score is None) == (p.keep_top_fraction is None):
            raise ConfigError("min_score: set exactly one of min_score and keep_top_fraction")
        try:
            label_index(load_model(p.model), p.label)
        except WinnowError as exc:
            raise ConfigError(f"label: {exc}") from None

    def setup(self) -> None:
        self._model: FastTextModel = load_model(self.params.model)
        self._label = label_index(self._model, self.params.label)

    def output_fields(self) -> list[pa.Field]:
        return [pa.field("quality_score", pa.float64())]

    def compute(self, batch: TextBatch) -> dict[str, Any]:
        scores = quality_scores(self._model, batch.texts, self._label)
        return {"quality_score": pa.array(scores, pa.float64())}

    def rules(self) -> list[Rule]:
        if self.threshold is None:
            return []
        return [Rule("below_threshold", f"quality_score < {self.threshold!r}")]

    def corpus_wide(self) -> bool:
        return self.params.keep_top_fraction is not None

    def decide(self, df: DataFrame, ctx: RunContext) -> list[Rule]:
        """The global percentile of the documents still kept, as the threshold."""
        assert self.params.keep_top_fraction is not None  # corpus_wide() said so
        self.threshold = top_fraction_threshold(df, self.params.keep_top_fraction)
        return self.rules()

    def stats_tables(self, df: DataFrame, run_id: str) -> dict[str, DataFrame]:
        """``quality_scores``: score quantiles of kept and removed documents, and the
        threshold applied."""
        docs = df.where(frame.is_document())
        outcome = frame.outcome()
        quantiles = F.percentile_approx("quality_score", list(SCORE_QUANTILES), 10_000)
        table = docs.groupBy(outcome.alias("outcome")).agg(
            F.count(F.lit(1)).alias("documents"),
            F.mean("quality_score").alias("mean"),
            quantiles.alias("_q"),
        )
        cols = [F.col("_q")[i].alias(f"p{round(q * 100):02d}")
                for i, q in enumerate(SCORE_QUANTILES)]
        return {"quality_scores": table.select(
            F.lit(run_id).alias("run_id"), "outcome", "documents", "mean", *cols,
            F.lit(self.threshold).cast("double").alias("threshold"))}


def top_fraction_threshold(scored: DataFrame, fraction: float) -> float | None:
    """The score at the ``1 - fraction`` quantile of the documents still kept, over the
    whole frame (None when no document is left)."""
    row = (
        scored.where(frame.is_kept())
        .agg(F.percentile_approx("quality_score", 1.0 - fraction, PERCENTILE_ACCURACY))
        .first()
    )
    return None if row is None or row[0] is None else float(row[0])

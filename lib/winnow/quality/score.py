"""Quality score of a document: the classifier's probability of the high-quality label."""

from __future__ import annotations

import numpy as np

from winnow.errors import WinnowError
from winnow.fasttext.model import LABEL_PREFIX, FastTextModel

#: DCLM's positive label name (Li et al. 2024, "DataComp-LM"), ours by default too.
DEFAULT_LABEL = "__label__hq"


def label_index(model: FastTextModel, label: str) -> int:
    """Column of ``label`` (with or without the ``__label__`` prefix) in the model's scores."""
    name = label.removeprefix(LABEL_PREFIX.decode())
    if name not in model.labels:
        raise WinnowError(f"label {label!r} is not in the model (labels: "
                          f"{', '.join(model.labels[:10])})")
    return model.labels.index(name)


def quality_scores(model: FastTextModel, texts: list[str], label: int) -> np.ndarray:
    """P(label) per text; a text without words scores 0."""
    scores = model.probability(texts, label)
    blank = np.fromiter((not t or t.isspace() for t in texts), bool, len(texts))
    scores[blank | np.isnan(scores)] = 0.0
    return scores

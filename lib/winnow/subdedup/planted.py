"""A corpus with planted boilerplate and its ground truth (tests and ``bench/subdedup_speed.py``).

Bodies are random sentences over a vocabulary of words taken from a real corpus, so
no two bodies share a line or a run of tokens. Boilerplate paragraphs are *real*
lines of that corpus (C4 documents: navigation, cookie notices, licence text as
they occur on the web), each planted in several documents:

* ``normal`` documents: 4-7 body paragraphs and 0-2 planted ones;
* ``boiler`` documents (one in ``boiler_every``): a short title and 2-3 planted
  paragraphs, all of them also held by a smaller id, so line dedup leaves them
  (nearly) empty: reason ``mostly_duplicate``.

Boilerplate ``b`` is always planted in normal document ``b`` (so the first copy of
each is in a normal document) and in ``copies - 1`` more. Paragraphs are joined by
a blank line; a paragraph has no newline inside, so lines and paragraphs coincide.
Everything is a pure function of the seed and the source lines.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

from winnow.subdedup.units import normalise


@dataclass
class Planted:
    ids: list[str]
    texts: list[str]
    urls: list[str]
    kinds: list[str]
    boilerplate: list[str]
    #: Per document: the boilerplate index of each paragraph (None for body).
    layout: list[list[int | None]] = field(default_factory=list)


def real_lines(path: Path, limit: int, min_chars: int = 60, max_chars: int = 300) -> list[str]:
    """Distinct (normalised) lines of a JSON-lines corpus with ``min_chars``…``max_chars``."""
    seen: set[str] = set()
    out: list[str] = []
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for raw in f:
            for line in json.loads(raw)["text"].split("\n"):
                line = line.strip()
                key = normalise(line)
                if min_chars <= len(line) <= max_chars and key not in seen:
                    seen.add(key)
                    out.append(line)
                    if len(out) >= limit:
                        return out
    return out


def build(source: Path, n_docs: int, *, seed: int = 1, n_boilerplate: int = 40,
          boiler_every: int = 10, copies: tuple[int, int] = (2, 30),
          body_words: tuple[int, int] = (40, 80)) -> Planted:
    """``n_docs`` documents with planted boilerplate (see the module docstring)."""
    rng = np.random.default_rng(seed)
    lines = real_lines(source, n_boilerplate + 400)
    boiler = lines[:n_boilerplate]
    vocab = sorted({w for line in lines[n_boilerplate:] for w in re.findall(r"[a-z]{3,}", line
                                                                            .lower())})
    ids = [f"doc{i:07d}" for i in range(n_docs)]
    kinds = ["boiler" if i >= n_boilerplate and i % boiler_every == boiler_every - 1
             else "normal" for i in range(n_docs)]
    planted: list[list[int]] = [[] for _ in range(n_docs)]
    normal = [i for i in range(n_docs) if kinds[i] == "normal"]
    for b in range(min(n_boilerplate, len(normal))):
        planted[b].append(b)
        c = int(rng.integers(copies[0], copies[1] + 1))
        for d in rng.choice(np.arange(b + 1, n_docs), size=min(c - 1, n_docs - b - 1),
                            replace=False):
            if kinds[d] == "normal" and len(planted[d]) < 2:
                planted[d].append(b)
    for d in range(n_docs):
        if kinds[d] == "boiler":
            want = int(rng.integers(2, 4))
            pool = [b for b in range(n_boilerplate) if b < d and b not in planted[d]]
            planted[d] += [int(b) for b in rng.choice(pool, size=want, replace=False)]
    texts, layout = [], []
    for d in range(n_docs):
        if kinds[d] == "boiler":
            paras: list[str] = [f"Page {d}"]
            lay: list[int | None] = [None]
        else:
            n_body = int(rng.integers(4, 8))
            paras = [_sentence(rng, vocab, body_words) for _ in range(n_body)]
            lay = [None] * n_body
        for b in planted[d]:
            at = int(rng.integers(0, len(paras) + 1))
            paras.insert(at, boiler[b])
            lay.insert(at, b)
        texts.append("\n\n".join(paras))
        layout.append(lay)
    urls = [f"https://site{d % 97}.example.org/page/{d}" for d in range(n_docs)]
    return Planted(ids, texts, urls, kinds, boiler, layout)


def _sentence(rng: np.random.Generator, vocab: list[str], size: tuple[int, int]) -> str:
    n = int(rng.integers(size[0], size[1] + 1))
    words = [vocab[i] for i in rng.integers(0, len(vocab), size=n)]
    return " ".join(words).capitalize() + "."


def frame_of(spark: SparkSession, planted: Planted, partitions: int = 2,
             reverse: bool = False) -> DataFrame:
    """The planted documents as an annotated frame (the reader's columns, all kept)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from winnow.frame import DOC_SCHEMA

    order = range(len(planted.ids))
    rows = [(planted.ids[i], planted.texts[i], planted.urls[i], "planted", i, None,
             len(planted.texts[i]), None, None, None, None)
            for i in (reversed(order) if reverse else order)]
    return spark.createDataFrame(rows, from_arrow_schema(DOC_SCHEMA)).repartition(partitions)

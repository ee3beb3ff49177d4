"""Time of ``winnow mix`` on N curated-looking documents (default 1M).

    python bench/mix_speed.py [--docs 1000000] [--text-chars 300] [--work DIR]

Writes two Parquet sources (web: en/de with a sample_weight of 1-3, wiki: en) with
``id``, ``text`` (random words, about ``--text-chars`` characters), ``lang`` and a
lognormal ``token_count``, then runs the mix of ``conf/recipes/mix_example.yaml``'s
shape (source x lang, 0.7 / 0.1 / 0.2, repeats allowed, 64 MB shards) at a budget
of half the pool's tokens on ``local[*]``. Prints the wall time, documents/s and
each group's share against its target. The machine may be shared: say so next to
the number.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))

SPLIT = {("web", "en"): 0.6, ("web", "de"): 0.25, ("wiki", "en"): 0.15}
WEIGHTS = {"web/en": 0.7, "web/de": 0.1, "wiki/en": 0.2}


def write_sources(root: Path, docs: int, text_chars: int) -> tuple[dict[str, str], int]:
    rng = np.random.default_rng(1)
    words = np.array(["alpha", "beta", "gamma", "delta", "river", "stone", "market",
                      "winter", "garden", "number", "system", "people", "little"])
    total = 0
    paths = {}
    for source in ("web", "wiki"):
        out = root / source / "kept"
        out.mkdir(parents=True)
        for (src, lang), share in SPLIT.items():
            if src != source:
                continue
            n = int(docs * share)
            for k, start in enumerate(range(0, n, 100_000)):
                m = min(100_000, n - start)
                per = max(1, text_chars // 7)
                picks = words[rng.integers(0, len(words), (m, per))]
                texts = [" ".join(row) for row in picks]
                tokens = np.maximum(1, rng.lognormal(5.4, 0.8, m).astype(np.int64))
                total += int(tokens.sum())
                cols = {"id": [f"{lang}-{start + i:08d}" for i in range(m)], "text": texts,
                        "lang": [lang] * m, "token_count": tokens}
                if source == "web":
                    cols["sample_weight"] = rng.choice([1.0, 2.0, 3.0], m)
                pq.write_table(pa.table(cols), out / f"part-{lang}-{k:05d}.parquet")
        paths[source] = str(out)
    return paths, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--text-chars", type=int, default=300)
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--work", default=None)
    args = ap.parse_args()

    from winnow.mix import command
    from winnow.mix import config as mixconfig
    from winnow.session import build_session

    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        sources, pool_tokens = write_sources(root, args.docs, args.text_chars)
        print(f"wrote {args.docs:,} documents ({pool_tokens:,} tokens) in "
              f"{time.perf_counter() - t0:.1f} s")
        cfg = mixconfig.parse({
            "sources": sources, "group_by": ["source", "lang"],
            "budget_tokens": pool_tokens // 2, "weights": WEIGHTS, "repeat": "allow",
            "seed": 1, "shards": {"format": "parquet", "target_mb": 64}})
        spark = build_session(args.master, profile="local")
        t0 = time.perf_counter()
        manifest = command.run(spark, cfg, str(root / "mix"))
        wall = time.perf_counter() - t0
        cores = spark.sparkContext.defaultParallelism
        print(f"winnow mix: {args.docs:,} documents in {wall:.1f} s wall on {args.master} "
              f"({cores} cores): {args.docs / wall:,.0f} docs/s, "
              f"{args.docs / wall / cores:,.0f} docs/s/core")
        print(command.summary(manifest))
        spark.stop()


if __name__ == "__main__":
    main()

"""Measured MinHash-LSH detection rate across Jaccard bins vs the S-curve 1 − (1 − s^r)^b.

    .venv/bin/python bench/minhash_scurve.py [--bands 14 --rows 8] [--pairs 6000]
        [--png bench/minhash_scurve.png]

Pairs are C4 documents (../shared/data) and copies with a random share of words
replaced by fresh ones, so true 5-gram Jaccard (exact, from the shingle sets)
spans 0–1. Signatures and band keys come from the same kernel the stage runs in
Spark; a pair is detected when one band key agrees (what ``(band, key)`` buckets
group), and survives verification when its estimated Jaccard also reaches the
stage's minimum. Prints one row per 0.05 bin and writes a PNG.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from winnow.minhash.lsh import Banding
from winnow.minhash.shingles import normalize_for_shingles
from winnow.minhash.signatures import Permutations, band_keys, signatures

ROOT = Path(__file__).resolve().parents[1]
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
NGRAM = 5
#: Fresh words must survive normalisation unchanged (digits would fold to 0).
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def planted_pairs(pairs: int, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """Originals, edited copies and their exact word 5-gram Jaccard."""
    with gzip.open(C4, "rt") as f:
        bases = [normalize_for_shingles(json.loads(line)["text"]).split(" ") for line in f]
    bases = [b for b in bases if len(b) >= 100]
    rng = np.random.default_rng(seed)
    originals, copies, jaccard = [], [], np.empty(pairs)
    for i in range(pairs):
        words = bases[i % len(bases)]
        rate = rng.uniform(0.0, 0.3) ** 1.5  # more pairs where the S-curve is steep
        swap = rng.random(len(words)) < rate
        copy = [f"zz{rng.integers(1 << 40):x}".translate(_LETTERS) if s else w
                for w, s in zip(words, swap, strict=True)]
        a = {tuple(words[j:j + NGRAM]) for j in range(len(words) - NGRAM + 1)}
        b = {tuple(copy[j:j + NGRAM]) for j in range(len(copy) - NGRAM + 1)}
        jaccard[i] = len(a & b) / len(a | b)
        originals.append(" ".join(words))
        copies.append(" ".join(copy))
    return originals, copies, jaccard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bands", type=int, default=14)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=0.1, help="verify_margin")
    parser.add_argument("--png", default=str(ROOT / "bench" / "minhash_scurve.png"))
    args = parser.parse_args()

    banding = Banding(args.bands, args.rows)
    originals, copies, jac = planted_pairs(args.pairs, args.seed)
    perms = Permutations.from_seed(banding.num_perm, 1)
    sig_a, _ = signatures(pa.array(originals), perms)
    sig_b, _ = signatures(pa.array(copies), perms)
    keys_a = band_keys(sig_a, banding.bands, banding.rows)
    keys_b = band_keys(sig_b, banding.bands, banding.rows)
    detected = (keys_a == keys_b).any(axis=1)
    estimate = ((sig_a & np.uint64(0xFFFFFFFF)) == (sig_b & np.uint64(0xFFFFFFFF))).mean(axis=1)
    verified = detected & (estimate >= banding.threshold - args.margin)

    edges = np.linspace(0.0, 1.0, 21)
    which = np.clip(np.digitize(jac, edges) - 1, 0, 19)
    print(f"bands={banding.bands} rows={banding.rows} pairs={args.pairs} "
          f"threshold≈{banding.threshold:.3f} verify≥{banding.threshold - args.margin:.3f}")
    print(f"{'jaccard':>11} {'pairs':>6} {'measured':>9} {'S-curve':>8} {'diff':>6} "
          f"{'±2se':>6} {'verified':>9}")
    centres, measured, expected, kept, worst = [], [], [], [], 0.0
    for k in range(20):
        inside = which == k
        n = int(inside.sum())
        if n < 20:
            continue
        rate = detected[inside].mean()
        curve = banding.candidate_probability(jac[inside]).mean()
        se2 = 2 * np.sqrt(max(curve * (1 - curve), 1e-12) / n)
        worst = max(worst, abs(rate - curve))
        centres.append(jac[inside].mean())
        measured.append(rate)
        expected.append(curve)
        kept.append(verified[inside].mean())
        print(f"{edges[k]:.2f}–{edges[k + 1]:.2f} {n:6d} {rate:9.3f} {curve:8.3f} "
              f"{rate - curve:+6.3f} {se2:6.3f} {kept[-1]:9.3f}")
    print(f"max |measured − S-curve| over bins: {worst:.3f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = np.linspace(0, 1, 201)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.plot(s, banding.candidate_probability(s), label=f"1 − (1 − s^{banding.rows})^"
            f"{banding.bands}", color="black", linewidth=1)
    ax.plot(centres, measured, "o", label="measured: shares a band", color="tab:blue")
    ax.plot(centres, kept, "x", label="… and passes verification", color="tab:orange")
    ax.set_xlabel("true word 5-gram Jaccard similarity")
    ax.set_ylabel("probability of becoming a candidate pair")
    ax.set_title(f"MinHash-LSH S-curve, {banding.bands} bands × {banding.rows} rows "
                 f"({args.pairs} C4 pairs)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(args.png)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()

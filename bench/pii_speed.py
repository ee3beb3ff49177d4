"""PII: documents per second of the pure pass on C4 documents, and the labelled-set scores.

    python bench/pii_speed.py [--repeat 5]

Speed: ``winnow.text.pii.find_batch`` (numba candidate scan + validated regexes) over
the 1,000 C4 sample documents in batches of 1,000, one core; kernels compiled before
timing. Scores: the labelled set of tests/test_pii.py (planted values of every kind
and hard negatives in 600 C4 documents), precision and recall per kind.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from winnow.text.pii import find_batch, redact

    with gzip.open(SHARED / "web" / "c4-en-sample-1000.jsonl.gz", "rt") as f:
        docs = [json.loads(line)["text"] for line in f]
    find_batch(docs[:10])  # compile
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.process_time()
        found = find_batch(docs)
        [redact(t, s) for t, s in zip(docs, found, strict=True)]
        best = min(best, time.process_time() - t0)
    chars = sum(map(len, docs)) / len(docs)
    print(f"pii find+redact: {len(docs) / best:,.0f} docs/s/core "
          f"(C4 sample, {len(docs)} docs, mean {chars:,.0f} chars, CPU time, best of "
          f"{args.repeat})")
    sys.path.insert(0, str(ROOT / "tests"))
    from test_pii import labelled_set, score

    print(f"{'kind':<12} {'planted':>8} {'recall':>8} {'precision':>10} {'FP':>4} "
          f"{'real PII in C4':>15}")
    for kind, s in score(*labelled_set(SHARED)).items():
        print(f"{kind:<12} {s['planted']:>8} {s['recall']:>8.4f} {s['precision']:>10.4f} "
              f"{s['false_positives']:>4} {s['real_in_c4']:>15}")


if __name__ == "__main__":
    main()

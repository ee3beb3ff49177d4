"""Decontamination: probe speed, table build time, false-positive rate on real text.

    python bench/decontam_speed.py [--ngram 13]

The "benchmark" is real text from another shared corpus: all 100 texts of the
Clough & Stevenson corpus (5 Wikipedia articles and 95 answers written from them)
cut into 40-word items. The corpora are the shared C4 (1,000) and CC (697)
samples; a document "hit" shares at least one n-gram with an item. Speed:
``winnow.text.ngrams.probe`` over the C4 sample, one core, CPU time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def items(words: int = 40) -> list[str]:
    out = []
    for f in sorted((SHARED / "neardup" / "clough-stevenson").glob("*.txt")):
        w = f.read_text(encoding="utf-8", errors="replace").split()
        out += [" ".join(w[i:i + words]) for i in range(0, max(len(w) - words + 1, 1), words)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ngram", type=int, default=13)
    args = ap.parse_args()
    from winnow.decontam.evals import EvalTable
    from winnow.text.ngrams import probe

    with tempfile.TemporaryDirectory() as tmp:
        bench = Path(tmp) / "cs.jsonl"
        bench.write_text("".join(json.dumps({"text": t}) + "\n" for t in items()))
        t0 = time.process_time()
        table = EvalTable.build({"clough": str(bench)}, ["text"], args.ngram)
        keys, vals = table.probe_table()
        build = time.process_time() - t0
    print(f"table: {table.items['clough']} items, {len(table):,} distinct {args.ngram}-grams, "
          f"built in {build:.2f} s CPU (incl. first-call compilation)")
    for name in ("c4-en-sample-1000.jsonl.gz", "cc-2019-30-multilingual-697.jsonl.gz"):
        with gzip.open(SHARED / "web" / name, "rt") as f:
            docs = [json.loads(line)["text"] for line in f]
        arr = pa.array(docs, pa.string())
        probe(arr[:5], args.ngram, keys, vals)
        best = float("inf")
        for _ in range(5):
            t0 = time.process_time()
            m = probe(arr, args.ngram, keys, vals)
            best = min(best, time.process_time() - t0)
        hit = int((m.counts > 0).sum())
        mb = sum(len(t.encode()) for t in docs) / 1e6
        print(f"{name}: {hit}/{len(docs)} documents hit ({hit / len(docs):.2%}), "
              f"probe {len(docs) / best:,.0f} docs/s/core ({mb / best:,.1f} MB/s)")


if __name__ == "__main__":
    main()

"""Extraction fidelity: resiliparse's text against trafilatura's (FineWeb's), per page.

On the HTML responses of ``../shared/data/warc/*.warc.gz`` (status 200, ``text/html``),
both extractors run with winnow's ``extract`` defaults (``winnow.text.html``); per page
the token-level F1 of the two texts' word multisets (whitespace tokens, lower case):
precision = shared words / resiliparse words, recall = shared / trafilatura words.
Prints the distribution and the pages that differ most, with the length of each side.

    .venv/bin/python bench/warc_fidelity.py [--main-content false]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
WARC = ROOT.parent / "shared" / "data" / "warc"


def f1(a: str, b: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of word multiset ``a`` against reference ``b``."""
    wa, wb = Counter(a.lower().split()), Counter(b.lower().split())
    if not wa and not wb:
        return 1.0, 1.0, 1.0
    shared = sum((wa & wb).values())
    p = shared / max(1, sum(wa.values()))
    r = shared / max(1, sum(wb.values()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--main-content", default="true", choices=("true", "false"))
    args = ap.parse_args()
    from winnow.io.warc import WarcReader
    from winnow.text.html import RESILIPARSE_DEFAULTS, extractor

    resil = extractor("resiliparse", {**RESILIPARSE_DEFAULTS,
                                      "main_content": args.main_content == "true"})
    traf = extractor("trafilatura")
    fields = {"text": "text", "id": "id", "url": "url"}
    pages = [r for f in sorted(WARC.glob("*.warc.gz")) for b in WarcReader().read(str(f), fields)
             for r in b.to_pylist()
             if r["content_type"] == "text/html" and r["http_status"] == 200]
    scores = []
    for r in pages:
        a, b = resil(r["text"]).strip(), traf(r["text"]).strip()
        p, rec, f = f1(a, b)
        scores.append((f, p, rec, len(a.split()), len(b.split()), r["url"]))
    fs = sorted(s[0] for s in scores)
    q = statistics.quantiles(fs, n=10)
    print(f"{len(fs)} HTML pages, main_content={args.main_content}: token F1 "
          f"mean {statistics.mean(fs):.3f}, median {statistics.median(fs):.3f}, "
          f"p10 {q[0]:.3f}, p90 {q[-1]:.3f}; "
          f"precision mean {statistics.mean(s[1] for s in scores):.3f}, "
          f"recall mean {statistics.mean(s[2] for s in scores):.3f}")
    bins = Counter(min(9, int(f * 10)) for f in fs)
    print("F1 histogram: " + " ".join(f"{b / 10:.1f}:{bins.get(b, 0)}" for b in range(10)))
    print("most different (F1, precision, recall, resiliparse words, trafilatura words, url):")
    for s in sorted(scores)[:8]:
        print(f"  {s[0]:.2f} {s[1]:.2f} {s[2]:.2f} {s[3]:>6} {s[4]:>6}  {s[5][:80]}")


if __name__ == "__main__":
    main()

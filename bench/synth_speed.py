"""Benchmark the synthetic corpus generator: docs/s, wall time, output size and peak RSS.

    PYTHONPATH=lib .venv/bin/python bench/synth_speed.py [--docs 1000000] [--workers N]

Writes into a temporary directory (under $TMPDIR) that is removed afterwards.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from winnow.synth import generate


def main() -> None:
    """Generate ``--docs`` documents once and print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None, help="default: os.cpu_count()")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="winnow-synth-") as tmp:
        began = time.perf_counter()
        summary = generate(args.docs, tmp, seed=args.seed, workers=args.workers)
        wall = time.perf_counter() - began
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(f"docs            {args.docs}")
    print(f"shards          {summary['shards']}")
    print(f"workers         {summary['workers']}")
    print(f"wall_s          {wall:.1f}")
    print(f"docs_per_s      {args.docs / wall:,.0f}")
    print(f"cpu_s           {cpu:.1f}")
    print(f"output_mb       {size / 2**20:,.1f}")
    # ru_maxrss is in KiB on Linux; for children it is the largest single worker.
    print(f"peak_rss_mb     main {own.ru_maxrss / 1024:.0f}, "
          f"largest worker {children.ru_maxrss / 1024:.0f}")
    print(f"kinds           {summary['kinds']}")


if __name__ == "__main__":
    main()

"""End-to-end throughput of `winnow run` on a synth corpus (docs/s/core, peak memory).

    python bench/curate_speed.py [--docs 20000] [--config conf/default.yaml] [--master local[2]]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--config", default=str(ROOT / "conf" / "default.yaml"))
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    cores = int(args.master.split("[")[1].rstrip("]")) if "[" in args.master else os.cpu_count()
    with tempfile.TemporaryDirectory() as tmp:
        from winnow import synth

        synth.generate(args.docs, f"{tmp}/corpus", seed=1)
        cmd = [sys.executable, "-m", "winnow.cli", "run", "--config", args.config, "--input",
               f"{tmp}/corpus/docs", "--output", f"{tmp}/out", "--master", args.master,
               "--quiet"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"config {Path(args.config).name}: {args.docs:,} docs in {wall:.1f}s wall on "
          f"{args.master} = {args.docs / wall / cores:,.0f} docs/s/core "
          f"(includes JVM start-up); peak RSS of a child process {peak:,.0f} MiB")


if __name__ == "__main__":
    main()

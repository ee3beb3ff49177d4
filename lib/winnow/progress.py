"""Human-readable progress on the terminal (stderr), silenced by ``--quiet``."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints the stage being run and, when a step finishes, documents and rate."""

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()

    def say(self, msg: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.t0
            print(f"[winnow {elapsed:7.1f}s] {msg}", file=self.stream, flush=True)

    def start(self, stage: str) -> None:
        self.say(f"stage {stage} …")

    def done(self, label: str, docs: int, seconds: float) -> None:
        rate = docs / seconds if seconds > 0 else float("inf")
        self.say(f"  done {label}: {docs:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)")

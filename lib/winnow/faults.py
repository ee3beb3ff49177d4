"""Fault injection for crash tests: ``WINNOW_CRASH_AT=<point>`` SIGKILLs the driver.

The points mark the phases of a run (signals, dedup, write, index, commit,
publish) so tests can prove a re-run after a crash anywhere gives a clean result.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = ("signals", "dedup", "write", "index", "commit", "publish")


def crash_point(name: str) -> None:
    """Kill this process (as a crash would) if the environment asks for ``name``."""
    if os.environ.get("WINNOW_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)

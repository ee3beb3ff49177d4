"""Fault injection for crash tests.

``WINNOW_CRASH_AT=<point>`` SIGKILLs the driver at that point. ``WINNOW_PAUSE_AT=<point>``
with ``WINNOW_PAUSE_FILE=<path>`` instead creates ``<path>.reached`` there and waits
until ``<path>`` exists (so a test can act on a run frozen at a known phase).

The points mark the phases of a run (signals, dedup, write, index, commit, publish,
publish-part: after the first part of a publication is moved) and of a compaction
(compact: before its record is written), so tests can prove a re-run after a crash
anywhere gives a clean result.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CRASH_POINTS = (
    "signals", "dedup", "write", "index", "commit", "publish", "publish-part", "compact")
#: A paused run gives up waiting after this many seconds (a test that died).
PAUSE_LIMIT = 600.0


def crash_point(name: str) -> None:
    """Kill this process (as a crash would), or pause it, if the environment asks for
    ``name``."""
    if os.environ.get("WINNOW_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("WINNOW_PAUSE_AT") == name:
        gate = Path(os.environ["WINNOW_PAUSE_FILE"])
        Path(f"{gate}.reached").touch()
        deadline = time.monotonic() + PAUSE_LIMIT
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

"""Per-task cost of PySpark's Python workers, with and without ``winnow.worker.tune``.

    .venv/bin/python bench/worker_overhead.py [--rows 100000] [--tasks 2 32 128]
        [--master local[2]]

For each task count, an identity ``mapInArrow`` over ``--rows`` rows is written to
the ``noop`` sink, once plain and once with ``winnow.worker.tune()`` called first in
the function (as every winnow batch function does). Reported: wall seconds and
CPU seconds of the JVM and of the Python daemon/workers (from /proc, so other
load on the machine does not count), and Python CPU per task. Without the tuning
each task re-reads the central directories of ``pyspark.zip`` and the
``spark-core`` jar (Python 3.11's ``zipimporter.invalidate_caches``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from minhash_speed import _tree

TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds of this process tree: the JVM and the Python daemon/workers."""
    out = {"java": 0.0, "python workers": 0.0}
    me = os.getpid()
    for pid in _tree(me):
        if pid == me:
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        kind = "java" if b"java" in cmd else "python workers" if b"pyspark" in cmd else None
        if kind:
            out[kind] += sum(int(x) for x in stat.rsplit(")", 1)[1].split()[11:15]) / TICK
    return out


def plain(batches):
    yield from batches


def tuned(batches):
    from winnow import worker

    worker.tune()
    yield from batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--tasks", type=int, nargs="*", default=[2, 32, 128])
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from winnow.session import build_session

    # Plain first: once a worker process is tuned it stays tuned, so the plain
    # runs need workers that never ran a tuned function.
    for label, fn in (("plain", plain), ("tuned", tuned)):
        spark = build_session(args.master, app_name=f"worker-overhead-{label}",
                              profile="local", extra={"spark.ui.enabled": "false"})
        spark.range(0, 1000, 1, 2).mapInArrow(fn, "id long").write.format("noop").mode(
            "overwrite").save()  # start the workers
        for tasks in args.tasks:
            df = spark.range(0, args.rows, 1, tasks)
            c0, t0 = cpu_by_kind(), time.perf_counter()
            df.mapInArrow(fn, "id long").write.format("noop").mode("overwrite").save()
            wall, c1 = time.perf_counter() - t0, cpu_by_kind()
            java, py = (c1[k] - c0[k] for k in ("java", "python workers"))
            print(f"{label:<6} {tasks:>4} tasks: wall {wall:6.2f} s, JVM {java:6.2f} cpu-s, "
                  f"Python workers {py:6.2f} cpu-s ({py / tasks * 1000:6.1f} ms per task)",
                  flush=True)
        spark.stop()


if __name__ == "__main__":
    main()

"""Benchmark language identification (lid.176.ftz): docs/s/core and peak memory.

    .venv/bin/python bench/lid_speed.py [--repeat 10] [--no-spark]

On the C4 sample (1,000 English documents, ~2.2 kB each) repeated ``--repeat`` times:

* bindings: the official fastText ``multilinePredict`` over the 1,000 documents (reference);
* batch cold: winnow's reader, fresh token cache, the 1,000 distinct documents once;
* batch warm: the repeated corpus (after the first copy every token is cached);
* spark local[1]: the Arrow pass of the trivial ``length`` stage (Spark's own cost:
  Arrow transfer, tasks) and of ``lid`` over the repeated corpus, twice each (the
  first pays for Python worker start-up): wall time and the stage's in-worker time.

Batch docs/s/core is docs / CPU seconds of this process; Spark is docs / wall seconds
on one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from winnow.stage import SignalStage

ROOT = Path(__file__).resolve().parents[1]
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
BATCH = 2000  # spark.sql.execution.arrow.maxRecordsPerBatch in winnow's session defaults


def c4_texts() -> list[str]:
    """The 1,000 C4 documents of the shared sample."""
    with gzip.open(C4, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def cpu_rate(label: str, docs: int, run: Callable[[], object]) -> float:
    """Run once, print and return docs per CPU second of this process."""
    t0, w0 = time.process_time(), time.perf_counter()
    run()
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    print(f"{label:<28} {docs:>8,} docs  cpu {cpu:7.2f} s  wall {wall:7.2f} s  "
          f"{docs / cpu:>10,.0f} docs/s/core")
    return docs / cpu


def batched(fn: Callable[[list[str]], object], texts: list[str]) -> Callable[[], None]:
    """``fn`` over ``texts`` in Arrow-sized batches."""
    def run() -> None:
        for i in range(0, len(texts), BATCH):
            fn(texts[i:i + BATCH])
    return run


class WorkerMemory:
    """Peak RSS of Spark's Python worker processes, sampled from /proc every 0.2 s."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                    if b"pyspark.daemon" not in cmd and b"pyspark.worker" not in cmd:
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    continue


def spark_rates(texts: list[str], stages: list[tuple[str, SignalStage]]) -> None:
    """Wall-clock docs/s of each signal stage's Arrow pass on one local[1] session."""
    import pyarrow as pa
    from winnow.pipeline import signal_pass
    from winnow.session import build_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = build_session("local[1]", app_name="winnow-bench",
                          extra={"spark.ui.enabled": "false", "spark.driver.memory": "2g"})
    df = spark.createDataFrame(pa.table({"id": [str(i) for i in range(len(texts))],
                                         "text": texts}).to_pandas()).repartition(4).cache()
    df.count()

    class Counters(dict):
        def __missing__(self, key: str):
            self[key] = acc = spark.sparkContext.accumulator(0.0)
            return acc

    with WorkerMemory() as mem:
        for label, stage in stages:
            for run in ("first", "second"):
                counters = Counters()
                w0 = time.perf_counter()
                signal_pass(df, [stage], counters).write.format("noop").mode("overwrite").save()
                wall = time.perf_counter() - w0
                cpu = counters[stage.name].value
                print(f"spark local[1] {label + ', ' + run:<30} {len(texts):>8,} docs  "
                      f"wall {wall:7.2f} s {len(texts) / wall:>8,.0f} docs/s/core; "
                      f"in-stage {cpu:6.2f} s")
    spark.stop()
    print(f"{'python worker peak RSS':<28} {mem.peak_kib / 1024:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the C4 sample")
    parser.add_argument("--no-spark", action="store_true", help="batch path only")
    args = parser.parse_args()

    from winnow.fasttext.model import FastTextModel
    from winnow.langid.identify import default_model_path, identify
    from winnow.stages.length import Length, LengthParams
    from winnow.stages.lid import Lid, LidParams

    texts = c4_texts()
    corpus = texts * args.repeat
    path = default_model_path()
    print(f"model {path}; {len(texts)} C4 documents, mean {sum(map(len, texts)) / len(texts):,.0f}"
          f" chars; batches of {BATCH}")
    try:
        import fasttext

        ref = fasttext.load_model(path)
        lines = [t.replace("\n", " ") + "\n" for t in texts]
        cpu_rate("bindings (reference)", len(texts),
                 batched(lambda b: ref.f.multilinePredict(b, 2, 0.0, "strict"), lines))
    except ImportError:
        print("bindings (reference)         fasttext not installed")
    model = FastTextModel(path)
    identify(model, ["warm up the compiled kernels"])
    cpu_rate("batch cold (new tokens)", len(texts), batched(lambda b: identify(model, b), texts))
    cpu_rate("batch warm (cached tokens)", len(corpus),
             batched(lambda b: identify(model, b), corpus))
    print(f"{'peak RSS (this process)':<28} "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    if not args.no_spark:
        spark_rates(corpus, [("length (Spark baseline)", Length(LengthParams())),
                             ("lid", Lid(LidParams()))])


if __name__ == "__main__":
    main()

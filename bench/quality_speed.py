"""Benchmark quality scoring with a DCLM-style fastText classifier: docs/s/core, memory.

    .venv/bin/python bench/quality_speed.py [--repeat 10] [--bucket 2000000] [--model M.bin]
                                            [--no-spark]

Without ``--model`` it first trains one with DCLM's settings (word bigrams, dim 100,
lr 0.1, 5 epochs, 2M hash buckets: an ~800 MB model, memory-mapped when scoring) on
the shared C4 sample (positives) against raw Common Crawl text (negatives), in a
temporary directory. Then, on the C4 sample repeated ``--repeat`` times: the official
bindings (reference), winnow's batch path cold and warm, and the ``quality`` stage's
Arrow pass on Spark local[1] (see lid_speed.py for how each number is measured).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from lid_speed import ROOT, batched, c4_texts, cpu_rate, spark_rates

CC = ROOT.parent / "shared" / "data" / "web" / "cc-2019-30-multilingual-697.jsonl.gz"
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the C4 sample")
    parser.add_argument("--bucket", type=int, default=2_000_000, help="when training")
    parser.add_argument("--model", default=None, help="score with this model (no training)")
    parser.add_argument("--no-spark", action="store_true", help="batch path only")
    args = parser.parse_args()

    from winnow.fasttext.model import FastTextModel
    from winnow.quality.score import label_index, quality_scores
    from winnow.quality.train import TrainOptions, train
    from winnow.stage import FilePath
    from winnow.stages.length import Length, LengthParams
    from winnow.stages.quality import Quality, QualityParams

    with tempfile.TemporaryDirectory(prefix="winnow-quality-bench-") as tmp:
        model_path = args.model
        if model_path is None:
            model_path = str(Path(tmp) / "quality.bin")
            t0 = time.perf_counter()
            report = train([str(C4)], [str(CC)], model_path, TrainOptions(bucket=args.bucket))
            print(f"trained in {time.perf_counter() - t0:.1f} s "
                  f"({Path(model_path).stat().st_size / 2**20:,.0f} MiB)\n{report.format()}")
        texts = c4_texts()
        corpus = texts * args.repeat
        try:
            import fasttext

            ref = fasttext.load_model(model_path)
            lines = [t.replace("\n", " ") + "\n" for t in texts]
            cpu_rate("bindings (reference)", len(texts),
                     batched(lambda b: ref.f.multilinePredict(b, 1, 0.0, "strict"), lines))
        except ImportError:
            print("bindings (reference)         fasttext not installed")
        t0 = time.perf_counter()
        model = FastTextModel(model_path)
        print(f"{'load (+ project rows)':<28} {time.perf_counter() - t0:7.2f} s wall")
        hq = label_index(model, "__label__hq")
        quality_scores(model, ["warm up the compiled kernels"], hq)
        cpu_rate("batch cold (new tokens)", len(texts),
                 batched(lambda b: quality_scores(model, b, hq), texts))
        cpu_rate("batch warm (cached tokens)", len(corpus),
                 batched(lambda b: quality_scores(model, b, hq), corpus))
        print(f"{'peak RSS (this process)':<28} "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
        if not args.no_spark:
            scorer = Quality(QualityParams(model=FilePath(model_path), min_score=0.5))
            spark_rates(corpus, [("length (Spark baseline)", Length(LengthParams())),
                                 ("quality", scorer)])


if __name__ == "__main__":
    main()

"""Speed of the ``tokens`` stage: tokens per second per core.

    python bench/tokens_speed.py [--docs 20000] [--vocab 32000]

Trains a byte-level BPE tokenizer on the shared C4 sample (nothing downloaded),
then runs the stage's ``compute`` (``encode_batch_fast`` per Arrow batch of 2,000
documents, as in the fused pass) over the sample repeated to ``--docs`` documents,
once with the tokenizer's Rust thread pool limited to one thread (one core) and
once with its default threads. Prints documents/s, tokens/s and tokens/s per core
(tokens over process CPU seconds). The machine may be shared: the CPU-second
figure is the one to compare.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
C4 = ROOT.parent / "shared" / "data" / "web" / "c4-en-sample-1000.jsonl.gz"
BATCH = 2000


def texts() -> list[str]:
    with gzip.open(C4, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def train(path: Path, vocab: int) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts(), trainers.BpeTrainer(
        vocab_size=vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(str(path))


def measure(path: str, docs: int) -> dict:
    from winnow.stage import FilePath, TextBatch
    from winnow.stages.tokens import Tokens, TokensParams

    stage = Tokens(TokensParams(tokenizer=FilePath(path)))
    stage.setup()
    base = texts()
    corpus = (base * (docs // len(base) + 1))[:docs]
    tokens = chars = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for start in range(0, docs, BATCH):
        batch = TextBatch(corpus[start:start + BATCH])
        counts = stage.compute(batch)["token_count"]
        tokens += sum(counts.to_pylist())
        chars += sum(len(t) for t in batch.texts)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"docs": docs, "tokens": tokens, "chars": chars, "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--vocab", type=int, default=32_000)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.docs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tokenizer.json"
        train(path, args.vocab)
        print(f"tokenizer: byte-level BPE, vocab {args.vocab:,}, trained on the C4 sample")
        for label, env in (("1 thread", {"RAYON_NUM_THREADS": "1"}), ("default threads", {})):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--docs", str(args.docs)],
                env={**os.environ, **env}, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.splitlines()[-1])
            print(f"{label:>16}: {r['docs']:,} docs, {r['tokens']:,} tokens in "
                  f"{r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU -> "
                  f"{r['docs'] / r['wall_s']:,.0f} docs/s, {r['tokens'] / r['wall_s']:,.0f} "
                  f"tokens/s, {r['tokens'] / r['cpu_s']:,.0f} tokens/s/core "
                  f"({r['chars'] / r['tokens']:.2f} chars/token)")


if __name__ == "__main__":
    main()

"""``winnow train-quality``: arguments and the command (imports the trainer lazily)."""

from __future__ import annotations

import argparse

from winnow.errors import WinnowError


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Inputs, output and the fastText options (DCLM defaults)."""
    p.add_argument("--positive", required=True, nargs="+",
                   help="high-quality documents: JSONL/Parquet files, directories or globs")
    p.add_argument("--negative", required=True, nargs="+",
                   help="low-quality / random web documents (same formats)")
    p.add_argument("--output", required=True, help="model file to write (fastText .bin)")
    p.add_argument("--text-field", default="text", help="input field holding the text")
    p.add_argument("--epoch", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--word-ngrams", type=int, default=2)
    p.add_argument("--min-count", type=int, default=1)
    p.add_argument("--bucket", type=int, default=2_000_000,
                   help="hash buckets for word n-grams (model size ~ bucket × dim × 4 bytes)")
    p.add_argument("--max-per-class", type=int, default=None,
                   help="reservoir-sample at most this many documents per class")
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="training threads (default: cores)")


def cmd_train_quality(args: argparse.Namespace) -> int:
    """Train, write the model and print precision / recall / F1 on the held-out split."""
    from winnow.quality.train import TrainOptions, train

    for name in ("epoch", "dim", "word_ngrams", "bucket", "min_count"):
        if getattr(args, name) <= 0:
            raise WinnowError(f"--{name.replace('_', '-')}: must be positive")
    if args.max_per_class is not None and args.max_per_class <= 0:
        raise WinnowError("--max-per-class: must be positive")
    opts = TrainOptions(
        epoch=args.epoch, lr=args.lr, dim=args.dim, word_ngrams=args.word_ngrams,
        min_count=args.min_count, bucket=args.bucket, max_per_class=args.max_per_class,
        validation_fraction=args.validation_fraction, seed=args.seed,
        text_field=args.text_field,
    )
    if args.threads:
        opts.threads = args.threads
    print(train(args.positive, args.negative, args.output, opts).format())
    return 0

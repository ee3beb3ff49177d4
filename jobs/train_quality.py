"""Entry point: ``python jobs/train_quality.py --positive … --negative … --output MODEL.bin``.

Identical to ``winnow train-quality`` (training runs locally, not on Spark).
"""

import sys

from winnow.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-quality", *sys.argv[1:]]))

"""spark-submit entry point: ``spark-submit jobs/curate.py --config … --input … --output …``.

Identical to ``winnow run``; the master comes from spark-submit.
"""

import sys

from winnow.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))

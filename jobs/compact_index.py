"""spark-submit entry point: ``spark-submit jobs/compact_index.py --state DIR``.

Identical to ``winnow compact-index``; the master comes from spark-submit.
"""

import sys

from winnow.cli import main

if __name__ == "__main__":
    sys.exit(main(["compact-index", *sys.argv[1:]]))

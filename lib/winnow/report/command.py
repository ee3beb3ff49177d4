"""``winnow report``: render the curation report of an output directory."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``winnow report``."""
    p.add_argument("output", help="output directory of one or more runs (local or URI)")
    p.add_argument("--html", default=None, help="file to write (default OUTPUT/report.html)")
    p.add_argument("--run-id", default=None,
                   help="run to detail when the output holds several (default: the latest)")


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report and print where it went."""
    from winnow.report import write_report

    print(f"wrote {write_report(args.output, args.html, args.run_id)}")
    return 0

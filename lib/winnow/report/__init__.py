"""The curation report: ``winnow report OUTPUT`` renders an output's statistics tables
(read with pyarrow, no Spark) as one self-contained HTML page."""

from winnow.report.page import render, write_report
from winnow.report.tables import StatsTables

__all__ = ["StatsTables", "render", "write_report"]

"""Output layout and its atomic publication.

Everything is written under ``OUTPUT/_staging/<run_id>/`` first; publishing moves
``kept/``, ``removed/``, ``quarantine/``, ``stats/`` and ``manifest.json`` into
``OUTPUT/`` and writes ``_SUCCESS`` last, so a crashed run never leaves an output
that looks complete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.errors import WinnowError
from winnow.fs import HadoopFS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PARTS = ("kept", "removed", "quarantine", "stats", "manifest.json")
INTERNAL = ("reason", "stage", "duplicate_of", "raw_excerpt", "position")


def kept_frame(df: DataFrame) -> DataFrame:
    """Kept documents: id, text, url, source, signals and metadata."""
    return df.where(F.col("reason").isNull()).drop(*INTERNAL)


def removed_frame(df: DataFrame, with_text: bool) -> DataFrame:
    """Removed documents with why (``reason``, ``stage``, ``duplicate_of``)."""
    out = df.where(F.col("reason").isNotNull() & (F.col("stage") != "input"))
    first = ["id", "reason", "stage", "duplicate_of"]
    rest = [c for c in out.columns if c not in first and c not in ("raw_excerpt",)]
    if not with_text:
        rest.remove("text")
    return out.select(*first, *rest)


def quarantine_frame(df: DataFrame) -> DataFrame:
    """Records that could not be read as documents, with where and why."""
    return df.where(F.col("stage") == "input").select(
        "id", "source", "position", "reason", "raw_excerpt"
    )


class Publisher:
    """Stages a run's files and publishes them all at once (``_SUCCESS`` last)."""

    def __init__(self, fs: HadoopFS, output: str, run_id: str, overwrite: bool = False):
        self.fs = fs
        self.output = output.rstrip("/")
        self.staging = f"{self.output}/_staging/{run_id}"
        self.overwrite = overwrite

    def check_target(self) -> None:
        if self.fs.exists(f"{self.output}/_SUCCESS") and not self.overwrite:
            raise WinnowError(
                f"output {self.output} already holds a complete run; "
                "choose another --output or pass --overwrite"
            )

    def path(self, part: str) -> str:
        return f"{self.staging}/{part}"

    def publish(self) -> None:
        self.fs.delete(f"{self.output}/_SUCCESS")
        for part in PARTS:
            target = f"{self.output}/{part}"
            self.fs.delete(target)
            if self.fs.exists(self.path(part)):
                self.fs.rename(self.path(part), target)
        self.fs.delete(f"{self.output}/_staging")
        self.fs.write_text(f"{self.output}/_SUCCESS", "")

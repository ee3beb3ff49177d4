"""Read a winnow output's statistics tables with pyarrow (no Spark), over one or many runs.

A single run writes ``OUTPUT/stats/<table>/part-*.parquet`` with a ``run_id`` column.
Nightly runs append ``OUTPUT/stats/<table>/run_id=<ID>/`` Hive partitions (the column
may then live only in the directory name), or keep each run under
``OUTPUT/run_id=<ID>/stats/``. Every layout reads as one table per name holding all
runs; tables a run did not write (``languages`` without the ``lid`` stage …) are absent.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from winnow.errors import WinnowError

#: run_id is a string even when it looks like a number (``run_id=20260101``).
RUN_PARTITIONING = ds.partitioning(pa.schema([("run_id", pa.string())]), flavor="hive")


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and path of a local path or a URI (``s3://``, ``hdfs://`` …)."""
    if "://" in location:
        return pafs.FileSystem.from_uri(location)
    return pafs.LocalFileSystem(), os.path.abspath(location)


class StatsTables:
    """All statistics tables of one output directory, each over every run it holds."""

    def __init__(self, output: str):
        self.output = output
        self.fs, self.root = filesystem(output)
        self.stats_dirs = self._stats_dirs()
        if not self.stats_dirs:
            raise WinnowError(
                f"{output}: no statistics found (expected {output}/stats/stage_summary); "
                "is this the output directory of a winnow run?")
        self._datasets: dict[str, list[ds.Dataset]] = {}
        for stats_dir in self.stats_dirs:
            for name in self._subdirs(stats_dir):
                if not name.startswith(("_", ".")) and "=" not in name:
                    found = _dataset(self.fs, f"{stats_dir}/{name}")
                    if found is not None:
                        self._datasets.setdefault(name, []).append(found)
        if "stage_summary" not in self._datasets:
            raise WinnowError(f"{output}: stats/stage_summary is missing or empty")

    def _subdirs(self, path: str) -> list[str]:
        info = self.fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        return sorted(i.base_name for i in info if i.type == pafs.FileType.Directory)

    def _is_dir(self, path: str) -> bool:
        return self.fs.get_file_info(path).type == pafs.FileType.Directory

    def _stats_dirs(self) -> list[str]:
        """``OUTPUT/stats``, every ``OUTPUT/run_id=*/stats``, or OUTPUT itself if it is one."""
        dirs = [f"{self.root}/stats"] if self._is_dir(f"{self.root}/stats") else []
        dirs += [f"{self.root}/{d}/stats" for d in self._subdirs(self.root)
                 if d.startswith("run_id=") and self._is_dir(f"{self.root}/{d}/stats")]
        if not dirs and self._is_dir(f"{self.root}/stage_summary"):
            dirs = [self.root]
        return dirs

    @property
    def names(self) -> list[str]:
        """Names of the tables present (e.g. ``stage_summary``, ``languages``)."""
        return sorted(self._datasets)

    def has(self, name: str) -> bool:
        return name in self._datasets

    def table(self, name: str, run_id: str | None = None) -> pa.Table:
        """One table (all runs, or one ``run_id``) as Arrow; empty if it does not exist."""
        parts = []
        for dataset in self._datasets.get(name, []):
            keep = None if run_id is None else pc.field("run_id") == run_id
            parts.append(dataset.to_table(filter=keep))
        if not parts:
            return pa.table({})
        return pa.concat_tables(parts, promote_options="permissive")

    def rows(self, name: str, run_id: str | None = None) -> list[dict[str, Any]]:
        """One table as a list of row dicts (stats tables are small)."""
        return self.table(name, run_id).to_pylist()

    def run_ids(self) -> list[str]:
        """Run ids present in ``stage_summary``, oldest first (by ``run.started_at``)."""
        ids = {r["run_id"] for r in self.rows("stage_summary") if r["run_id"] is not None}
        started = {r["run_id"]: r.get("started_at") for r in self.rows("run")}
        # Run ids are UTC timestamps first, so the name orders runs without a run row.
        return sorted(ids, key=lambda r: (started.get(r) is None, started.get(r) or 0, r))

    def manifest(self, run_id: str) -> dict[str, Any] | None:
        """The run's ``manifest.json`` (with its config), if the output keeps it."""
        for path in (f"{self.root}/run_id={run_id}/manifest.json", f"{self.root}/manifest.json"):
            if self.fs.get_file_info(path).type != pafs.FileType.File:
                continue
            with self.fs.open_input_stream(path) as f:
                found = json.loads(f.read().decode("utf-8"))
            if found.get("run_id") == run_id:
                return found
        return None


def _dataset(fs: pafs.FileSystem, path: str) -> ds.Dataset | None:
    """A Parquet dataset over ``path`` whose schema unifies every file's (tables gain
    columns over time); ``run_id`` comes from the directory where files lack it."""
    found = ds.dataset(path, filesystem=fs, format="parquet", partitioning=RUN_PARTITIONING)
    schemas = [f.physical_schema for f in found.get_fragments()]
    if not schemas:
        return None
    schema = pa.unify_schemas(schemas, promote_options="permissive").remove_metadata()
    if "run_id" not in schema.names:
        schema = schema.insert(0, pa.field("run_id", pa.string()))
    return ds.dataset(path, filesystem=fs, format="parquet", partitioning=RUN_PARTITIONING,
                      schema=schema)

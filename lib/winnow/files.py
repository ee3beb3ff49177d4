"""Local copies of the files a config names (models, word lists), wherever the code runs."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from winnow.errors import WinnowError


def local_file(path: str) -> str:
    """A local file for ``path``: itself, a ``SparkFiles`` copy shipped with ``--files``
    / ``addFile`` (on executors without the driver's file system), or (object storage
    URI) a copy downloaded once per machine. Models and word lists are read this way."""
    if "://" not in path:
        if os.path.exists(path):
            return path
        shipped = _spark_files_dir() / Path(path).name
        if shipped.exists():
            return str(shipped)
        raise WinnowError(f"file not found: {path}")
    from pyarrow import fs as pafs

    uri = "s3://" + path[len("s3a://"):] if path.startswith("s3a://") else path
    fs, remote = pafs.FileSystem.from_uri(uri)
    info = fs.get_file_info(remote)
    key = hashlib.sha1(f"{path}\n{info.size}\n{info.mtime_ns}".encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "winnow-files" / f"{key}-{Path(remote).name}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        with fs.open_input_stream(remote) as src, open(partial, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
        os.replace(partial, target)
    return str(target)


def _spark_files_dir() -> Path:
    """Where ``SparkContext.addFile`` / ``--files`` put files here (a non-path if none)."""
    from pyspark import SparkFiles

    try:
        return Path(SparkFiles.getRootDirectory())
    except Exception:  # noqa: BLE001 - no Spark context in this process
        return Path("/nonexistent")

"""File-system access through Hadoop (driver side), so any scheme Spark can write
(local, ``s3a://``, ``gs://``, ``abfs://``, ``hdfs://``) works the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from winnow.errors import WinnowError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class UnsafeDeleteError(WinnowError):
    """A delete that would reach outside the directory that owns the path."""


class HadoopFS:
    """Thin wrapper over ``org.apache.hadoop.fs.FileSystem`` via the session's JVM."""

    def __init__(self, spark: SparkSession):
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str):
        p = self._jvm.org.apache.hadoop.fs.Path(path)
        return p, p.getFileSystem(self._conf)

    def exists(self, path: str) -> bool:
        p, fs = self._path(path)
        return bool(fs.exists(p))

    def delete(self, path: str) -> None:
        p, fs = self._path(path)
        if fs.exists(p):
            fs.delete(p, True)

    def qualified(self, path: str) -> str:
        """``path`` as a full URI with ``.`` and ``..`` resolved (Hadoop normalises them)."""
        p, fs = self._path(path)
        return str(fs.makeQualified(p).toString()).rstrip("/")

    def inside(self, root: str, path: str) -> bool:
        """True if ``path`` lies strictly inside directory ``root`` (not ``root`` itself)."""
        return self.qualified(path).startswith(self.qualified(root) + "/")

    def delete_within(self, path: str, *roots: str) -> None:
        """Delete ``path`` (recursively, if present) only if it lies strictly inside one
        of ``roots``; anything else raises :class:`UnsafeDeleteError` and deletes nothing."""
        if not any(self.inside(root, path) for root in roots):
            raise UnsafeDeleteError(
                f"refusing to delete {path}: not inside {' or '.join(roots)}")
        self.delete(path)

    def mkdirs(self, path: str) -> None:
        p, fs = self._path(path)
        fs.mkdirs(p)

    def rename(self, src: str, dst: str) -> None:
        s, fs = self._path(src)
        d, _ = self._path(dst)
        if not fs.rename(s, d):
            raise OSError(f"could not rename {src} to {dst}")

    def write_text(self, path: str, text: str) -> None:
        p, fs = self._path(path)
        out = fs.create(p, True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def create_exclusive(self, path: str, text: str) -> bool:
        """Create a file only if absent (atomic on local and HDFS); False if it exists."""
        p, fs = self._path(path)
        try:
            out = fs.create(p, False)
        except Exception:  # noqa: BLE001 - Py4J wraps FileAlreadyExistsException
            return False
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        return True

    def read_text(self, path: str) -> str:
        p, fs = self._path(path)
        stream = fs.open(p)
        try:
            data = self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
        finally:
            stream.close()
        return bytes(data).decode("utf-8")

    def list(self, path: str) -> list[str]:
        p, fs = self._path(path)
        if not fs.exists(p):
            return []
        return sorted(str(s.getPath().getName()) for s in fs.listStatus(p))

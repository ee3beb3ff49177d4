"""File-system access through Hadoop (driver side), so any scheme Spark can write
(local, ``s3a://``, ``gs://``, ``abfs://``, ``hdfs://``) works the same way.

Two operations differ on object stores (see :mod:`winnow.objectstore`): an exclusive
create is a conditional write (``If-None-Match: *``) on S3A, and :meth:`HadoopFS.replace`
moves a directory file by file, resumably, where rename is a copy and a delete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from winnow.errors import WinnowError
from winnow.faults import crash_point
from winnow.objectstore import CONDITIONAL_CREATE, COPYING_RENAME, IF_NONE_MATCH, scheme

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _first_line(exc: Exception) -> str:
    """The Java exception's message line of a Py4J error (else the first line)."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
    java = [x for x in lines if x.startswith(("java.", "org.", ": java.", ": org."))]
    return (java or lines or [type(exc).__name__])[0].lstrip(": ")


class UnsafeDeleteError(WinnowError):
    """A delete that would reach outside the directory that owns the path."""


class HadoopFS:
    """Thin wrapper over ``org.apache.hadoop.fs.FileSystem`` via the session's JVM."""

    #: Files moved one by one by :meth:`replace` in this process (crash point ``move-<n>``).
    files_moved = 0

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
        """Create a file only if absent; False if it exists. Atomic on local and HDFS
        (``create(overwrite=false)``) and on S3A, where that is only a check before the
        write, through a conditional write (``If-None-Match: *``): of two writers, the
        store accepts exactly one, the other's write fails when its stream closes."""
        p, fs = self._path(path)
        conditional = self._scheme(p, fs) in CONDITIONAL_CREATE
        try:
            if conditional:
                out = fs.createFile(p).overwrite(False).must(IF_NONE_MATCH, True).build()
            else:
                out = fs.create(p, False)
        except Exception as exc:  # noqa: BLE001 - Py4J wraps FileAlreadyExistsException
            if fs.exists(p):
                return False
            raise WinnowError(f"could not create {path}: {_first_line(exc)}") from None
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            try:
                out.close()
            except Exception as exc:  # noqa: BLE001 - S3: 412 Precondition Failed
                if conditional and fs.exists(p):
                    return False
                raise WinnowError(f"could not create {path}: {_first_line(exc)}") from None
        return True

    def _scheme(self, p, fs) -> str:
        return scheme(str(fs.makeQualified(p).toString()))

    def replace(self, src: str, dst: str, delete: Callable[[str], None] | None = None) -> None:
        """Move ``src`` (a file or directory) to ``dst``, replacing what is there;
        ``delete`` removes the old ``dst`` (default :meth:`delete`).

        Where rename is atomic (local, HDFS) this is a delete and a rename. Where it is
        a copy and a delete per file (S3A, GCS), a directory rename killed halfway has
        moved some files and not others; deleting ``dst`` again on the re-run would lose
        them. There ``<src>.moving`` records that ``dst`` was cleared, and the files
        are moved one by one (each object copy is atomic), so a re-run moves the rest."""
        delete = delete or self.delete
        s, fs = self._path(src)
        d, _ = self._path(dst)
        if self._scheme(s, fs) not in COPYING_RENAME:
            delete(dst)
            fs.mkdirs(d.getParent())
            if not fs.rename(s, d):
                raise OSError(f"could not rename {src} to {dst}")
            return
        marker = f"{src.rstrip('/')}.moving"
        if not self.exists(marker):
            delete(dst)
            self.write_text(marker, dst)
        base = str(fs.makeQualified(s).toString()).rstrip("/")
        made: set[str] = set()
        files = fs.listFiles(s, True)
        while files.hasNext():
            f = files.next().getPath()
            rel = str(f.toString())[len(base):]
            target = self._jvm.org.apache.hadoop.fs.Path(dst.rstrip("/") + rel)
            parent = str(target.getParent().toString())
            if parent not in made:
                fs.mkdirs(target.getParent())
                made.add(parent)
            if fs.exists(target):  # copied before a crash, source not yet deleted
                fs.delete(target, False)
            if not fs.rename(f, target):
                raise OSError(f"could not move {f.toString()} to {target.toString()}")
            HadoopFS.files_moved += 1
            crash_point(f"move-{HadoopFS.files_moved}")  # the n-th file this process moved
        if fs.exists(s):
            fs.delete(s, True)
        self.delete(marker)

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

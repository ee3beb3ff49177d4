"""Shards of about ``target_mb``, rows shuffled deterministically across them.

Each drawn row gets a 64-bit key from (source, id, repeat, seed); Spark's hash
partitioning of that key (an explicit partition count, which adaptive execution
keeps) spreads rows uniformly over the shards, and each shard is sorted by the
key. So the content and order of every shard depend only on the drawn rows and the
seed, never on how the input was split. The shard count comes from the sources'
bytes on disk per row times the rows drawn from each.
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.mix.config import SOURCE, MixConfig
from winnow.mix.sampling import GroupPlan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from winnow.fs import HadoopFS

MIB = 1 << 20
EXTENSIONS = {"parquet": ".parquet", "jsonl.zst": ".jsonl.zst"}
_PART = re.compile(r"part-(\d+)")


def path_bytes(spark: SparkSession, path: str) -> int:
    """Bytes of the files under ``path`` (any Hadoop file system)."""
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return int(fs.getContentSummary(p).getLength())


def shard_count(spark: SparkSession, cfg: MixConfig, groups: list[GroupPlan]) -> int:
    """Shards needed for about ``target_mb`` each, from on-disk bytes per source row."""
    per_row = {}
    for name, path in cfg.sources.items():
        rows = spark.read.parquet(path).count()  # from the Parquet footers
        per_row[name] = path_bytes(spark, path) / max(rows, 1)
    total = sum(n * per_row[s] for g in groups for s, n in g.rows_by_source.items())
    return max(1, math.ceil(total / (cfg.shards.target_mb * MIB)))


def shuffled(df: DataFrame, shards: int, seed: int) -> DataFrame:
    """``df`` in ``shards`` partitions by a hash key, sorted by it within each."""
    key = F.xxhash64(F.col(SOURCE), F.col("id"), F.col("mix_repeat"), F.lit(seed), F.lit("order"))
    return (df.withColumn("_order", key).repartition(shards, "_order")
            .sortWithinPartitions("_order").drop("_order"))


def write(df: DataFrame, cfg: MixConfig, shards: int, staging: str, target: str,
          fs: HadoopFS) -> tuple[list[str], list[dict] | None]:
    """Write the shards to ``staging``, then move them to ``target/shard-NNNNN.<ext>``.

    Returns the shard paths and, for ``jsonl.zst``, the per-(part, group) counts its
    writer tasks made (Spark's own JSON writer has no zstd codec without native
    Hadoop, and cannot read the shards back either)."""
    rows = shuffled(df, shards, cfg.seed)
    counts = None
    if cfg.shards.format == "parquet":
        rows.write.parquet(staging)
    else:
        counts = write_jsonl_zst(rows, staging, cfg.unit == "tokens")
    parts = sorted((int(m.group(1)), name) for name in fs.list(staging)
                   if (m := _PART.match(name)))
    if counts is not None:
        index = {name: i for i, (_, name) in enumerate(parts)}
        for c in counts:
            c["_shard"] = index.get(c.pop("name"))
    fs.mkdirs(target)
    written = []
    for i, (_, name) in enumerate(parts):
        dest = f"{target}/shard-{i:05d}{EXTENSIONS[cfg.shards.format]}"
        fs.rename(f"{staging}/{name}", dest)
        written.append(dest)
    fs.delete(staging)
    return written, counts


def write_jsonl_zst(rows: DataFrame, staging: str, tokens: bool) -> list[dict]:
    """Each partition as one zstd-compressed JSON-lines file, written by its task
    (``pyarrow.fs``: local, HDFS, S3); returns (name, group, rows, documents, amount)."""
    import json

    import pyarrow as pa

    if "://" not in staging:
        staging = os.path.abspath(staging)
    out_schema = "name string, mix_group string, rows long, documents long, amount long"

    def run(batches):
        import pyarrow.fs as pafs
        import zstandard
        from pyspark import TaskContext

        fs, base = pafs.FileSystem.from_uri(staging)
        fs.create_dir(base, recursive=True)
        name = f"part-{TaskContext.get().partitionId():05d}.jsonl.zst"
        path = f"{base}/{name}"
        stats: dict[str, list[int]] = {}
        with fs.open_output_stream(path, compression=None) as raw, zstandard.ZstdCompressor(
                level=3).stream_writer(raw, closefd=False) as z:
            for rb in batches:
                for row in rb.to_pylist():
                    z.write((json.dumps(row, ensure_ascii=False, default=str) + "\n")
                            .encode("utf-8"))
                    entry = stats.setdefault(row["mix_group"], [0, 0, 0])
                    entry[0] += 1
                    entry[1] += row["mix_repeat"] == 0
                    entry[2] += (row["token_count"] or 0) if tokens else 1
        if not stats:
            fs.delete_file(path)
            return
        yield pa.RecordBatch.from_pylist(
            [{"name": name, "mix_group": g, "rows": v[0], "documents": v[1], "amount": v[2]}
             for g, v in sorted(stats.items())])

    return [r.asDict() for r in rows.mapInArrow(run, out_schema).collect()]


def read(spark: SparkSession, cfg: MixConfig, paths: list[str]) -> DataFrame:
    """The written Parquet shards back, with ``_shard`` (the file's index)."""
    df = spark.read.parquet(*paths)
    name = F.regexp_extract(F.input_file_name(), r"shard-(\d+)", 1).cast("int")
    return df.withColumn("_shard", name)

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
          fs: HadoopFS) -> list[str]:
    """Write the shards to ``staging``, then move them to ``target/shard-NNNNN.<ext>``."""
    rows = shuffled(df, shards, cfg.seed)
    if cfg.shards.format == "parquet":
        rows.write.parquet(staging)
    else:
        rows.write.option("compression", "zstd").json(staging)
    parts = sorted((int(m.group(1)), name) for name in fs.list(staging)
                   if (m := _PART.match(name)))
    fs.mkdirs(target)
    written = []
    for i, (_, name) in enumerate(parts):
        dest = f"{target}/shard-{i:05d}{EXTENSIONS[cfg.shards.format]}"
        fs.rename(f"{staging}/{name}", dest)
        written.append(dest)
    fs.delete(staging)
    return written


def read(spark: SparkSession, cfg: MixConfig, paths: list[str]) -> DataFrame:
    """The written shards back, with ``_shard`` (the file's index)."""
    reader = spark.read.parquet if cfg.shards.format == "parquet" else spark.read.json
    df = reader(*paths)
    name = F.regexp_extract(F.input_file_name(), r"shard-(\d+)", 1).cast("int")
    return df.withColumn("_shard", name)

"""``stats/contamination``: which benchmark items leak, how much, and from where.

One summary row per benchmark (``item`` null): items, items too short for one
n-gram, distinct n-grams, documents hit, distinct n-grams matched, items hit. Then
up to ``TOP_ITEMS`` rows per benchmark for the items found in the most documents,
each with an excerpt of the item and the smallest matching document id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from pyspark.sql import functions as F
from pyspark.sql import types as T

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from winnow.stages.decontaminate import Decontaminate

SCHEMA = T.StructType([
    T.StructField("run_id", T.StringType(), False),
    T.StructField("benchmark", T.StringType(), False),
    T.StructField("item", T.LongType(), True),
    T.StructField("item_excerpt", T.StringType(), True),
    T.StructField("items", T.LongType(), True),
    T.StructField("items_too_short", T.LongType(), True),
    T.StructField("ngrams", T.LongType(), True),
    T.StructField("documents_hit", T.LongType(), False),
    T.StructField("ngrams_matched", T.LongType(), False),
    T.StructField("items_hit", T.LongType(), True),
    T.StructField("example_id", T.StringType(), True),
])


def item_hits(stage: Decontaminate, hits: DataFrame) -> DataFrame:
    """(id, benchmark index, item, hash) for every matched n-gram of every document."""
    spark = hits.sparkSession
    table = stage.table
    exploded = hits.select("id", F.explode("decontam_matched.hash").alias("hash"))
    if stage.common is not None and len(stage.common):
        exploded = exploded.where(~F.col("hash").isin([int(h) for h in stage.common]))
    found = np.array([r[0] for r in exploded.select("hash").distinct().collect()], np.int64)
    keep = np.isin(table.pair_hash.view(np.int64), found)
    pairs = pa.table({"hash": pa.array(table.pair_hash.view(np.int64)[keep]),
                      "bench": pa.array(table.pair_bench[keep]),
                      "item": pa.array(table.pair_item[keep])})
    pair_df = spark.createDataFrame(
        pairs.to_pandas(), "hash long, bench long, item long") if len(pairs) else None
    if pair_df is None:
        return spark.createDataFrame([], "id string, bench long, item long, hash long")
    return exploded.join(pair_df, "hash").select("id", "bench", "item", "hash")


def contamination_table(stage: Decontaminate, hits: DataFrame, run_id: str) -> DataFrame:
    from pyspark.sql import Window

    from winnow.stages.decontaminate import TOP_ITEMS

    table = stage.table
    ih = item_hits(stage, hits).persist()
    summary = {r["bench"]: r for r in ih.groupBy("bench").agg(
        F.countDistinct("id").alias("docs"), F.countDistinct("hash").alias("ngrams"),
        F.countDistinct("item").alias("items")).collect()}
    w = Window.partitionBy("bench").orderBy(F.desc("docs"), F.asc("item"))
    top = (ih.groupBy("bench", "item")
           .agg(F.countDistinct("id").alias("docs"), F.countDistinct("hash").alias("ngrams"),
                F.min("id").alias("example"))
           .withColumn("_n", F.row_number().over(w)).where(F.col("_n") <= TOP_ITEMS)
           .orderBy("bench", "_n").collect())
    ih.unpersist()
    rows = []
    for b, name in enumerate(table.names):
        s = summary.get(b)
        rows.append((run_id, name, None, None, table.items[name], table.too_short[name],
                     table.ngrams[name], s["docs"] if s else 0, s["ngrams"] if s else 0,
                     s["items"] if s else 0, None))
        for r in (r for r in top if r["bench"] == b):
            rows.append((run_id, name, r["item"], table.excerpts[name][r["item"]], None, None,
                         None, r["docs"], r["ngrams"], None, r["example"]))
    return hits.sparkSession.createDataFrame(rows, SCHEMA)

"""What a mixture holds: ``MIX/manifest.json`` and the ``MIX/stats/mixture`` table.

Both are computed from the written shards (one aggregation), and checked against
what the sampling plan predicted: a difference is an invariant failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyspark.sql import functions as F
from pyspark.sql import types as T

import winnow
from winnow.errors import InvariantError
from winnow.mix.config import MixConfig
from winnow.mix.sampling import Plan

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MIXTURE_SCHEMA = T.StructType([
    T.StructField("group", T.StringType(), False),
    T.StructField("weight", T.DoubleType(), False),
    T.StructField("target_share", T.DoubleType(), False),
    T.StructField("share", T.DoubleType(), False),
    T.StructField("target_tokens", T.LongType(), True),
    T.StructField("tokens", T.LongType(), True),
    T.StructField("documents", T.LongType(), False),
    T.StructField("rows", T.LongType(), False),
    T.StructField("repeats", T.LongType(), False),
    T.StructField("pool_documents", T.LongType(), False),
    T.StructField("pool_tokens", T.LongType(), True),
    T.StructField("rate", T.DoubleType(), False),
])


def tally(counts: list[dict]) -> tuple[dict[str, dict], list[dict]]:
    """``measure``'s result from the writer tasks' per-(shard, group) counts."""
    groups: dict[str, dict] = {}
    shards: dict[int, int] = {}
    for c in counts:
        g = groups.setdefault(c["mix_group"], {"mix_group": c["mix_group"], "rows": 0,
                                               "documents": 0, "amount": 0})
        for key in ("rows", "documents", "amount"):
            g[key] += c[key]
        shards[c["_shard"]] = shards.get(c["_shard"], 0) + c["rows"]
    return groups, [{"_shard": k, "rows": v} for k, v in sorted(shards.items())]


def measure(shards: DataFrame, cfg: MixConfig) -> tuple[dict[str, dict], list[dict]]:
    """Per group (rows, documents, tokens) and per shard (rows) of the written shards."""
    amount = F.col("token_count") if cfg.unit == "tokens" else F.lit(1)
    groups = {r["mix_group"]: r.asDict() for r in shards.groupBy("mix_group").agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(F.col("mix_repeat") == 0, 1)).alias("documents"),
        F.sum(amount.cast("long")).alias("amount"),
    ).collect()}
    per_shard = [r.asDict() for r in shards.groupBy("_shard").agg(
        F.count(F.lit(1)).alias("rows")).orderBy("_shard").collect()]
    return groups, per_shard


def mixture_rows(cfg: MixConfig, plan: Plan, measured: dict[str, dict]) -> list[dict[str, Any]]:
    """One row per weighted group; refuses a result that differs from the plan."""
    total = sum(m["amount"] or 0 for m in measured.values())
    rows = []
    tokens = cfg.unit == "tokens"
    for g in plan.groups:
        m = measured.get(g.group, {"rows": 0, "documents": 0, "amount": 0})
        if (m["rows"], m["amount"] or 0) != (g.rows, g.amount):
            raise InvariantError(f"mix: group {g.group} was planned as {g.rows:,} rows and "
                                 f"{g.amount:,} {cfg.unit} but the shards hold {m['rows']:,} "
                                 f"and {m['amount'] or 0:,}")
        rows.append({
            "group": g.group, "weight": g.weight, "target_share": g.weight,
            "share": (m["amount"] or 0) / total if total else 0.0,
            "target_tokens": g.target if tokens else None,
            "tokens": (m["amount"] or 0) if tokens else None,
            "documents": m["documents"], "rows": m["rows"],
            "repeats": m["rows"] - m["documents"],
            "pool_documents": g.pool_documents,
            "pool_tokens": g.pool_amount if tokens else None,
            "rate": g.rate,
        })
    return rows


def mixture_frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    fields = [f.name for f in MIXTURE_SCHEMA.fields]
    return spark.createDataFrame([tuple(r[f] for f in fields) for r in rows], MIXTURE_SCHEMA)


def manifest(cfg: MixConfig, plan: Plan, rows: list[dict[str, Any]], shards: list[str],
             per_shard: list[dict], shard_bytes: list[int], started: datetime) -> dict:
    """``manifest.json``: config, totals, per-group tokens/documents/repeats, shards."""
    by_index = {r["_shard"]: r["rows"] for r in per_shard}
    unit = cfg.unit
    return {
        "winnow_version": winnow.__version__,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "config": cfg.raw,
        "sources": cfg.sources,
        "group_by": cfg.group_by,
        "seed": cfg.seed,
        "budget": {"unit": unit, "value": cfg.budget},
        "totals": {
            unit: sum((r["tokens"] if unit == "tokens" else r["rows"]) or 0 for r in rows),
            "documents": sum(r["documents"] for r in rows),
            "rows": sum(r["rows"] for r in rows),
            "repeats": sum(r["repeats"] for r in rows),
        },
        "groups": rows,
        "unused_groups": plan.unused,
        "documents_without_token_count": plan.no_amount,
        "shards": [{"path": p, "rows": by_index.get(i, 0), "bytes": b}
                   for i, (p, b) in enumerate(zip(shards, shard_bytes, strict=True))],
    }

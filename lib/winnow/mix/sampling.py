"""Deterministic sampling of each group to its share of the budget.

Each document gets a uniform number ``u`` from a 64-bit hash of (source, id, seed)
and an expected number of copies ``rate_g × sample_weight``, where
``rate_g = share_g × budget / Σ sample_weight × tokens`` over its group ``g`` (so a
group's expected tokens are exactly its target; ``sample_weight`` is 1 when the
column is absent). A document gets the whole part of its copies, and one more
copy when ``u / fraction`` is below a per-group threshold ``τ_g``. A plain
Bernoulli draw (``τ = 1``) would hit the target only in expectation (about 0.5% off
at 100k documents); instead ``τ_g`` is chosen from an exact histogram of
``u / fraction`` weighted by tokens so that the drawn tokens land on the target
(to a few documents' worth). The threshold lies on a power-of-two grid, so which
bin a document falls in and whether it is drawn agree exactly; every sum is over
integers or decimals: the draw does not depend on partitioning or on the
order of the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from winnow.errors import ConfigError, WinnowError
from winnow.mix.config import (
    NULL,
    SEPARATOR,
    SOURCE,
    MixConfig,
    missing_message,
    required_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: ``u / fraction`` is histogrammed on [0, KEY_MAX) in BINS bins (2**-12 wide: exact).
KEY_MAX = 2.0
BINS = 8192
#: Decimal type of the weighted token sums (exact, order-independent addition).
EXACT = "decimal(38,6)"


def read_sources(spark: SparkSession, cfg: MixConfig) -> DataFrame:
    """All sources as one frame: ``source`` = the source's name (its own ``source``
    column, the input file, is kept as ``source_file``), plus the mix columns."""
    frames = []
    for name, path in cfg.sources.items():
        df = spark.read.parquet(path)
        for column in required_columns(cfg):
            if column not in df.columns:
                raise ConfigError(missing_message(name, column, cfg, df.columns))
        if SOURCE in df.columns:
            df = df.withColumnRenamed(SOURCE, "source_file")
        frames.append(df.withColumn(SOURCE, F.lit(name)))
    union = frames[0]
    for df in frames[1:]:
        union = union.unionByName(df, allowMissingColumns=True)
    values = [F.coalesce(F.col(g).cast("string"), F.lit(NULL)) for g in cfg.group_by]
    amount = F.col("token_count").cast("long") if cfg.unit == "tokens" else F.lit(1).cast("long")
    weight = (F.col("sample_weight").cast("double") if "sample_weight" in union.columns
              else F.lit(None).cast("double"))
    u = F.shiftrightunsigned(F.xxhash64(F.col(SOURCE), F.col("id"), F.lit(cfg.seed)), 11) \
        / F.lit(float(2 ** 53))
    return union.withColumns({
        "mix_group": F.concat_ws(SEPARATOR, *values),
        "_amount": amount,
        "_w": F.coalesce(weight, F.lit(1.0)),
        "_u": u,
    })


@dataclass
class GroupPlan:
    """One group's pool and draw."""

    group: str
    weight: float
    target: int
    pool_documents: int = 0
    pool_amount: int = 0
    weighted: float = 0.0
    rate: float = 0.0
    threshold: float = 0.0
    #: What the draw gives: documents, rows (with repeats) and amount (tokens or documents).
    documents: int = 0
    rows: int = 0
    amount: int = 0
    rows_by_source: dict[str, int] = field(default_factory=dict)


@dataclass
class Plan:
    groups: list[GroupPlan]
    #: Groups found in the data but not named in ``weights`` (left out of the mix).
    unused: dict[str, int]
    #: Documents without a ``token_count`` (left out).
    no_amount: int = 0


def plan(df: DataFrame, cfg: MixConfig) -> Plan:
    """Pool sizes per group, the rates, then the thresholds (two small aggregations)."""
    pools = {r["mix_group"]: r for r in df.groupBy("mix_group").agg(
        F.count(F.lit(1)).alias("documents"),
        F.count(F.when(F.col("_amount").isNull(), 1)).alias("no_amount"),
        F.sum("_amount").alias("amount"),
        F.sum((F.col("_w") * F.col("_amount")).cast(EXACT)).alias("weighted"),
        F.max("_w").alias("max_w"),
        F.min("_w").alias("min_w"),
    ).collect()}
    bad = [g for g, r in pools.items() if r["min_w"] is not None and r["min_w"] < 0]
    if bad:
        raise WinnowError(f"sample_weight: negative weights in group {bad[0]!r}")
    missing = sorted(set(cfg.weights) - set(pools))
    if missing:
        shown = ", ".join(sorted(pools)[:20]) + (" …" if len(pools) > 20 else "")
        raise ConfigError(f"weights.{missing[0]}: no such group in the data (groups: {shown})")
    groups = []
    for name, weight in cfg.weights.items():
        if weight == 0:
            continue
        r = pools[name]
        g = GroupPlan(name, weight, round(weight * cfg.budget), r["documents"],
                      int(r["amount"] or 0), float(r["weighted"] or 0))
        if g.weighted <= 0:
            raise WinnowError(f"weights.{name}: the group has no {cfg.unit} to draw from")
        g.rate = g.target / g.weighted
        if cfg.repeat == "error" and g.rate * (r["max_w"] or 0) > 1:
            raise WinnowError(
                f"weights.{name}: {g.target:,} {cfg.unit} asked, but the group holds "
                f"{g.weighted:,.0f} (weighted by sample_weight): documents would repeat; "
                "set repeat: allow, or lower the budget or its weight")
        groups.append(g)
    _thresholds(df, groups)
    unused = {g: r["documents"] for g, r in sorted(pools.items()) if g not in cfg.weights}
    return Plan(groups, unused, sum(r["no_amount"] for r in pools.values()))


def _rates(groups: list[GroupPlan], attr: str):
    """A column: the group's ``attr`` (null for groups outside the plan)."""
    expr = None
    for g in groups:
        cond = F.col("mix_group") == F.lit(g.group)
        value = F.lit(float(getattr(g, attr)))
        expr = F.when(cond, value) if expr is None else expr.when(cond, value)
    return expr if expr is not None else F.lit(None).cast("double")


def with_draw(df: DataFrame, groups: list[GroupPlan]) -> DataFrame:
    """Columns ``_base`` (whole copies) and ``_key`` (``u / fraction``, null if none)."""
    x = _rates(groups, "rate") * F.col("_w")
    base = F.floor(x).cast("long")
    frac = x - F.floor(x)
    usable = F.col("_amount").isNotNull() & F.col("_rate_x").isNotNull()
    return (df.withColumn("_rate_x", x)
            .withColumn("_base", F.when(usable, base).otherwise(F.lit(0)))
            .withColumn("_key", F.when(usable & (frac > 0), F.col("_u") / frac))
            .drop("_rate_x"))


def _thresholds(df: DataFrame, groups: list[GroupPlan]) -> None:
    """Choose each group's τ from the token histogram of ``_key`` (on the driver)."""
    drawn = with_draw(df.where(F.col("mix_group").isin([g.group for g in groups])), groups)
    bin_ = F.when(F.col("_key") < KEY_MAX, F.floor(F.col("_key") * (BINS / KEY_MAX))
                  .cast("int")).otherwise(F.lit(BINS))
    rows = drawn.groupBy("mix_group", SOURCE, bin_.alias("_bin")).agg(
        F.sum("_amount").alias("amount"),
        F.sum(F.col("_base") * F.col("_amount")).alias("base_amount"),
        F.sum("_base").alias("base_rows"),
        F.count(F.when(F.col("_base") > 0, 1)).alias("base_docs"),
        F.count(F.when(F.col("_key").isNotNull(), 1)).alias("frac_docs"),
    ).collect()
    by_group: dict[str, list] = {}
    for r in rows:
        by_group.setdefault(r["mix_group"], []).append(r)
    for g in groups:
        mine = by_group.get(g.group, [])
        base_amount = sum(r["base_amount"] or 0 for r in mine)
        remaining = g.target - base_amount
        hist = [0] * (BINS + 1)
        for r in mine:
            if r["_bin"] is not None and r["frac_docs"]:
                hist[r["_bin"]] += r["amount"] or 0
        best, best_bins, cum = abs(remaining), 0, 0
        for j in range(BINS):
            cum += hist[j]
            if abs(remaining - cum) < best:
                best, best_bins = abs(remaining - cum), j + 1
            if cum >= remaining:
                break
        g.threshold = best_bins * (KEY_MAX / BINS)
        # What the draw gives, from the same histogram (checked against the shards).
        g.amount = base_amount + sum(hist[:best_bins])
        for r in mine:
            chosen = r["frac_docs"] if r["_bin"] is not None and r["_bin"] < best_bins else 0
            rows_ = (r["base_rows"] or 0) + chosen
            g.rows_by_source[r[SOURCE]] = g.rows_by_source.get(r[SOURCE], 0) + rows_
        g.rows = sum(g.rows_by_source.values())


def sample(df: DataFrame, groups: list[GroupPlan]) -> DataFrame:
    """The drawn rows: each document once per copy, with ``mix_repeat`` 0, 1, …"""
    tau = _rates(groups, "threshold")
    drawn = with_draw(df.where(F.col("mix_group").isin([g.group for g in groups])), groups)
    copies = F.col("_base") + F.when(F.col("_key") < tau, 1).otherwise(0)
    return (drawn.withColumn("_copies", copies).where(F.col("_copies") > 0)
            .withColumn("mix_repeat", F.explode(F.sequence(F.lit(0), F.col("_copies") - 1)))
            .drop("_copies", "_base", "_key", "_u", "_w", "_amount"))

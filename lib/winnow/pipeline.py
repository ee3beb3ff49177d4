"""The annotated-frame flow: read → stages (fused signal passes, frame stages) → write.

Rows are never dropped here: rules set ``reason``/``stage`` on the first failing
rule in config order, and only the writer splits kept from removed. A fused pass
holding a corpus-wide stage (``SignalStage.decide``) is materialised once, after the
rules of the stages before it, so the stage decides over the documents still kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import functions as F

from winnow import frame, identity, worker
from winnow.faults import crash_point
from winnow.stage import FrameStage, Rule, RunContext, SignalStage, Stage, TextBatch

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from winnow.progress import Progress


@dataclass
class StageTiming:
    """Wall seconds per materialisation step and task CPU seconds per signal stage."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    #: Rows that went through signal passes (each pass counts every row once), so
    #: ``signal_rows == passes × records`` proves no text work was recomputed.
    signal_rows: int = 0
    signal_passes: int = 0
    #: Records whose input id repeated an earlier record's (``winnow.identity``).
    ids_renamed: int = 0


def group_stages(stages: list[Stage]) -> list[list[SignalStage] | FrameStage]:
    """Consecutive signal stages fuse into one Arrow pass; frame stages stand alone.

    A signal stage with ``starts_pass`` (``extract``) begins a new pass, so the rules
    of the stages before it are applied first and it can skip rejected rows (``reason``).
    """
    groups: list[list[SignalStage] | FrameStage] = []
    for s in stages:
        if s.mode == "off":
            continue
        if isinstance(s, SignalStage):
            if groups and isinstance(groups[-1], list) and not getattr(s, "starts_pass", False):
                groups[-1].append(s)
            else:
                groups.append([s])
        else:
            groups.append(s)
    return groups


def signal_pass(df: DataFrame, stages: list[SignalStage], accumulators: dict) -> DataFrame:
    """Run the text work of ``stages`` in one ``mapInArrow`` pass over Arrow batches."""
    from pyspark.sql.pandas.types import from_arrow_type, to_arrow_schema
    from pyspark.sql.types import StructField, StructType

    in_schema = to_arrow_schema(df.schema)
    new_fields = [f for s in stages for f in s.output_fields()]
    if not new_fields:
        return df  # rule-only stages (sql_rule): nothing to compute
    clash = {f.name for f in new_fields} & set(in_schema.names)
    if clash:
        raise ValueError(f"signal columns already exist: {sorted(clash)}")
    out_arrow = pa.schema(list(in_schema) + new_fields)
    out_spark = StructType(
        list(df.schema.fields)
        + [StructField(f.name, from_arrow_type(f.type), True) for f in new_fields]
    )
    text_idx = in_schema.get_field_index("text")
    wanted = {c for s in stages for c in s.input_columns()}
    extra_idx = {c: in_schema.get_field_index(c) for c in wanted if c in in_schema.names}
    rewrites = any(s.modifies_text() for s in stages)
    accs = {s.name: accumulators[s.name] for s in stages}
    counter = accumulators["_rows"]

    @worker.batch_function
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for s in stages:
            s.setup()
        for rb in batches:
            texts_col = rb.column(text_idx)
            present = texts_col.is_valid()
            texts = [t if t is not None else "" for t in texts_col.to_pylist()]
            tb = TextBatch(texts, {c: rb.column(i) for c, i in extra_idx.items()})
            out_cols: dict[str, pa.Array] = {}
            for s in stages:
                t0 = time.perf_counter()
                values = s.compute(tb)
                accs[s.name].add(time.perf_counter() - t0)
                for f in s.output_fields():
                    v = values[f.name]
                    out_cols[f.name] = v if isinstance(v, pa.Array) else pa.array(v, f.type)
                    tb.columns[f.name] = out_cols[f.name]  # later stages may read it
            counter.add(rb.num_rows)
            arrays = list(rb.columns)
            if rewrites:
                new_text = pa.array(tb.texts, pa.string())
                arrays[text_idx] = pc.if_else(present, new_text, texts_col)
            arrays += [out_cols[f.name] for f in new_fields]
            yield pa.RecordBatch.from_arrays(arrays, schema=out_arrow)

    return df.mapInArrow(run, out_spark)


def apply_rules(df: DataFrame, cases: list[tuple[Stage, Rule]]) -> DataFrame:
    """Set ``reason``/``stage`` for still-kept documents from (stage, rule) in order.

    The two ``CASE`` chains are written as SQL text and parsed once each: built from
    ``Column`` objects they cost a py4j round trip per operator (about 10 per rule,
    seconds of driver time for the full pipeline's rules before any job starts).
    """
    if not cases:
        return df

    def chain(column: str, values: list[str]) -> Column:
        whens = " ".join(f"WHEN reason IS NULL AND ({r.predicate}) THEN {_sql_string(v)}"
                         for (_, r), v in zip(cases, values, strict=True))
        return F.expr(f"CASE {whens} ELSE {column} END")

    return df.withColumns({
        "reason": chain("reason", [s.reason(r.name) for s, r in cases]),
        "stage": chain("stage", [s.name for s, _ in cases]),
    })


def _sql_string(value: str) -> str:
    """``value`` as a Spark SQL string literal (backslash escapes, Spark's default)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def decide(df: DataFrame, stages: list[SignalStage], ctx: RunContext,
           materialise: Callable[[DataFrame, SignalStage], DataFrame]) -> DataFrame:
    """Apply the rules of a fused pass's filtering stages in config order.

    Before the first corpus-wide stage decides, the rules of the stages before it are
    applied and the frame is materialised (once), so ``decide`` sees the documents
    still kept at that point and its rules come before those of the later stages.
    """
    cases: list[tuple[Stage, Rule]] = []
    materialised = False
    for s in stages:
        if s.mode != "filter":
            continue
        if not s.corpus_wide():
            cases += [(s, r) for r in s.rules()]
            continue
        df = apply_rules(df, cases)
        if not materialised:
            df, materialised = materialise(df, s), True
        cases = [(s, r) for r in s.decide(df, ctx)]
    return apply_rules(df, cases)


def annotate(
    df: DataFrame, stages: list[Stage], ctx: RunContext, progress: Progress
) -> tuple[DataFrame, StageTiming, list[DataFrame]]:
    """Apply all stages; return the final persisted frame, timings and what to unpersist.

    Only the latest materialised frame stays cached, so memory holds one copy of
    the annotated corpus at a time. Ids are made unique at the first
    materialisation, before any frame stage joins on them.
    """
    sc = ctx.spark.sparkContext
    accumulators = {s.name: sc.accumulator(0.0) for s in stages}
    accumulators["_rows"] = sc.accumulator(0)
    timing = StageTiming()
    persisted: list[DataFrame] = []
    groups = group_stages(stages)

    # Wall time of a segment runs from the previous materialisation to this one, so
    # it includes the eager work inside a frame stage's apply (checkpoints, counts).
    segment_start = time.perf_counter()

    ids_checked = False

    def materialise(current: DataFrame, label: str) -> DataFrame:
        nonlocal segment_start, ids_checked
        current = current.persist(StorageLevel.MEMORY_AND_DISK)
        n = current.count()
        crash_point("signals")
        if not ids_checked:
            ids_checked = True
            unique, timing.ids_renamed = identity.disambiguate(current)
            if timing.ids_renamed:
                progress.say(f"  {timing.ids_renamed:,} record(s) repeated an earlier "
                             f"record's id: renamed to id{identity.SEPARATOR}…")
                unique = unique.persist(StorageLevel.MEMORY_AND_DISK)
                unique.count()
                current.unpersist()
                current = unique
        timing.wall[label] = time.perf_counter() - segment_start
        segment_start = time.perf_counter()
        # The new frame is cached now; its predecessors' copies only cost memory.
        while persisted:
            persisted.pop().unpersist()
        persisted.append(current)
        progress.done(label, n, timing.wall[label])
        return current

    pending: list[str] = [frame.INPUT_STAGE]

    def settle(current: DataFrame, stage: SignalStage) -> DataFrame:
        """Materialise a signal pass before ``stage`` decides over the corpus."""
        nonlocal pending
        current = materialise(current, " + ".join(pending))
        pending = [f"decide {stage.name}"]
        return current

    for group in groups:
        if isinstance(group, list):
            names = [s.name for s in group]
            progress.start(" + ".join(names))
            pending += names
            df = decide(signal_pass(df, group, accumulators), group, ctx, settle)
        else:
            # A frame stage reads its input several times: materialise it first.
            df = materialise(df, " + ".join(pending))
            pending = []
            progress.start(group.name)
            df = group.apply(df, ctx)
            pending.append(group.name)
    df = materialise(df, " + ".join(pending) if pending else "final")
    for s in stages:
        timing.cpu[s.name] = float(accumulators[s.name].value)
    timing.signal_rows = int(accumulators["_rows"].value)
    timing.signal_passes = sum(isinstance(g, list) for g in groups)
    return df, timing, persisted

"""The funnel of a run and its trend over runs, from tidy ``stage_summary`` rows.

``stage_summary`` holds one row per (run, stage, outcome[, reason]) with ``outcome`` in
``in``, ``removed``, ``modified``, ``out``; these functions turn it into one step per
stage and one removal entry per reason, the shapes the report draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Removal:
    """Documents (and their characters) a stage removed for one reason."""

    reason: str
    stage: str
    documents: int
    characters: int
    #: Tokens (``tokens`` column of ``stage_summary``, when a ``tokens`` stage ran).
    tokens: int | None = None


@dataclass
class Step:
    """One stage of a run: what came in, what it removed or modified, what went out."""

    index: int
    stage: str
    docs_in: int = 0
    docs_out: int = 0
    chars_in: int = 0
    chars_out: int = 0
    modified: int | None = None
    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    removals: list[Removal] = field(default_factory=list)
    #: Tokens in and out, when the run counted tokens (else None).
    tokens_in: int | None = None
    tokens_out: int | None = None

    @property
    def removed(self) -> int:
        return self.docs_in - self.docs_out


def steps(rows: list[dict[str, Any]]) -> list[Step]:
    """The stages of one run in pipeline order (``rows``: its ``stage_summary`` rows)."""
    by_stage: dict[str, Step] = {}
    for r in sorted(rows, key=lambda r: (r["stage_index"], r["outcome"], r["reason"] or "")):
        step = by_stage.setdefault(r["stage"], Step(r["stage_index"], r["stage"]))
        outcome, docs, chars = r["outcome"], r["documents"] or 0, r["characters"] or 0
        tokens = r.get("tokens")
        if outcome == "in":
            step.docs_in, step.chars_in, step.tokens_in = docs, chars, tokens
            step.wall_seconds, step.cpu_seconds = r.get("wall_seconds"), r.get("cpu_seconds")
        elif outcome == "out":
            step.docs_out, step.chars_out, step.tokens_out = docs, chars, tokens
        elif outcome == "modified":
            step.modified = docs
        elif outcome == "removed":
            step.removals.append(Removal(r["reason"] or "(none)", r["stage"], docs, chars,
                                         tokens))
    return sorted(by_stage.values(), key=lambda s: s.index)


def removals(run_steps: list[Step]) -> list[Removal]:
    """Every reason of the run, most documents first."""
    found = [rm for s in run_steps for rm in s.removals]
    return sorted(found, key=lambda rm: (-rm.documents, rm.reason))


@dataclass
class StageTrend:
    """One stage across runs: documents in and out per run (None where it did not run)."""

    stage: str
    docs_in: list[int | None]
    docs_out: list[int | None]

    def removed_share(self) -> list[float | None]:
        """Fraction of the stage's input it removed, per run."""
        return [None if i is None or o is None or i == 0 else (i - o) / i
                for i, o in zip(self.docs_in, self.docs_out, strict=True)]


def run_totals(rows: list[dict[str, Any]], run_ids: list[str]
               ) -> tuple[list[int | None], list[int | None]]:
    """Per run (in ``run_ids`` order): documents read, and documents kept (the last
    stage's ``out``), whatever stages each run had."""
    first: dict[str, tuple[int, int]] = {}
    last: dict[str, tuple[int, int]] = {}
    for r in rows:
        key, docs = r["run_id"], r["documents"]
        if r["outcome"] == "in" and r["stage_index"] < first.get(key, (1 << 30, 0))[0]:
            first[key] = (r["stage_index"], docs)
        if r["outcome"] == "out" and r["stage_index"] >= last.get(key, (-1, 0))[0]:
            last[key] = (r["stage_index"], docs)
    return ([first[r][1] if r in first else None for r in run_ids],
            [last[r][1] if r in last else None for r in run_ids])


def trends(rows: list[dict[str, Any]], run_ids: list[str]) -> list[StageTrend]:
    """Per stage, its funnel numbers over ``run_ids`` (ordered), stages in pipeline order."""
    position = {r: i for i, r in enumerate(run_ids)}
    order: dict[str, tuple[int, int]] = {}
    found: dict[str, StageTrend] = {}
    for r in rows:
        if r["run_id"] not in position or r["outcome"] not in ("in", "out"):
            continue
        stage, i = r["stage"], position[r["run_id"]]
        # A stage's place is where the latest run that has it put it.
        order[stage] = max(order.get(stage, (-1, 0)), (i, r["stage_index"]))
        t = found.setdefault(stage, StageTrend(stage, [None] * len(run_ids),
                                               [None] * len(run_ids)))
        (t.docs_in if r["outcome"] == "in" else t.docs_out)[i] = r["documents"]
    return sorted(found.values(), key=lambda t: (order[t.stage][1], t.stage))

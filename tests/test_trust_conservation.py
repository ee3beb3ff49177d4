"""The conservation check counts from the readers, so it sees a stage that loses,
multiplies or relabels documents (the frame-based check it replaced could not)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT
from pyspark.sql import functions as F
from winnow import config, conservation, job
from winnow.errors import InvariantError
from winnow.io.listing import InputFile, expand_inputs
from winnow.progress import Progress
from winnow.stage import FrameStage, StageParams

pytestmark = pytest.mark.spark


class _Multiply(FrameStage):
    """A faulty stage: one document comes out twice (as a join on a repeated key does)."""

    name = "test_multiply"

    def apply(self, df, ctx):
        return df.unionByName(df.where(F.col("position") == 1))


class _Lose(FrameStage):
    """A faulty stage: the first record of every file vanishes."""

    name = "test_lose"

    def apply(self, df, ctx):
        return df.where(F.col("position") != 1)


class _SameId(FrameStage):
    """A faulty stage: every document gets the same id (rows conserved, identity not)."""

    name = "test_same_id"

    def apply(self, df, ctx):
        return df.withColumn("id", F.lit("x"))


def _corpus(d: Path) -> list[InputFile]:
    text = "A perfectly ordinary document with enough words to pass the length rule. " * 8
    for name in ("a", "b"):
        (d / f"{name}.jsonl").write_text(
            "".join(json.dumps({"id": f"{name}{i}", "text": f"{i} {text}"}) + "\n"
                    for i in range(20)) + "{broken\n")
    return expand_inputs([str(d / "a.jsonl"), str(d / "b.jsonl")])


@pytest.mark.parametrize(("stage", "message"), [
    (_Multiply, r"the readers saw 42 input records, the output holds .* = 44 rows"),
    (_Lose, r"the readers saw 42 input records, the output holds .* = 40 rows"),
    (_SameId, r"ids not unique: the output holds 42 rows but 1 distinct ids"),
])
def test_faulty_stage_fails_the_run_before_publication(spark, tmp_path, stage, message):
    cfg = config.load(ROOT / "conf" / "default.yaml")
    cfg.stages.append(stage(StageParams(), len(cfg.stages)))
    out = tmp_path / "out"
    with pytest.raises(InvariantError, match=message):
        job.run(spark, cfg, _corpus(tmp_path), str(out), run_id="bad",
                progress=Progress(quiet=True))
    assert not (out / "_SUCCESS").exists()
    assert not (out / "kept").exists()


def test_records_per_file_in_the_manifest(spark, tmp_path):
    cfg = config.load(ROOT / "conf" / "default.yaml")
    result = job.run(spark, cfg, _corpus(tmp_path), str(tmp_path / "out"), run_id="ok",
                     progress=Progress(quiet=True))
    assert [i["records"] for i in result.manifest["inputs"]] == [21, 21]
    assert result.manifest["counts"]["input"] == 42
    assert result.counts.quarantined == 2


def test_tally_keeps_one_count_per_file_however_often_it_is_read():
    tally = conservation.RecordTally()
    value = tally.zero({})
    for update in ({0: 5}, {1: 7}, {0: 5}, {1: 7}):  # every file read twice
        value = tally.addInPlace(value, update)
    assert value == {0: 5, 1: 7}
    value = tally.addInPlace(value, {0: 4})  # a nondeterministic second read
    assert value[0] == conservation.INCONSISTENT

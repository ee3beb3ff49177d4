"""Every output directory of a run loads in the tools users reach for: pandas, polars,
DuckDB and Hugging Face ``datasets`` (issue #21, item 6). One small run of the default
recipe with kept, removed and quarantined records; each directory is read by each tool.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from winnow import config, job
from winnow.io.listing import expand_inputs
from winnow.progress import Progress

pytestmark = pytest.mark.spark

WORDS = "the river carried small boats past old stone houses while children watched"


def _docs() -> list[str]:
    lines = []
    for i in range(24):
        words = " ".join(f"{w}{i}" for w in (WORDS.split() * 6))  # 72 distinct-ish words
        lines.append(json.dumps({"id": f"d{i}", "text": words, "url": f"https://e{i % 3}.org/"}))
    lines.append(json.dumps({"id": "dup", "text": json.loads(lines[0])["text"]}))  # exact copy
    lines.append(json.dumps({"id": "short", "text": "too short"}))  # length:too_short
    lines.append('{"id": "broken", "text": ')  # not JSON: quarantined
    return lines


@pytest.fixture(scope="module")
def output(spark, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("readers")
    src = tmp / "in.jsonl"
    src.write_text("\n".join(_docs()) + "\n")
    cfg = config.load(ROOT / "conf" / "default.yaml")
    files = expand_inputs([str(src)], cfg.input.format)
    out = tmp / "out"
    job.run(spark, cfg, files, str(out), progress=Progress(quiet=True))
    return out


def _directories(out: Path) -> list[Path]:
    dirs = [out / "kept", out / "removed", out / "quarantine"]
    dirs += sorted(p for p in (out / "stats").iterdir() if p.is_dir())
    return dirs


def test_directories_hold_only_parquet_parts(output):
    """No Hadoop ``.crc`` checksums and no empty ``_SUCCESS`` beside the data; the run's
    marker is ``OUTPUT/_SUCCESS``, outside every table directory."""
    assert (output / "_SUCCESS").is_file()
    stray = [p for p in output.rglob("*") if p.is_file() and p.name.endswith(".crc")]
    assert stray == []
    for d in _directories(output):
        names = [p.name for p in d.iterdir()]
        assert names, d
        assert all(n.endswith(".parquet") for n in names), (d, names)
    assert {p.name for p in (output / "stats").iterdir()} >= {"run", "stage_summary"}


def test_conservation_of_the_small_run(output):
    rows = {d: pq.read_table(output / d).num_rows for d in ("kept", "removed", "quarantine")}
    assert rows == {"kept": 24, "removed": 2, "quarantine": 1}


def test_pandas_reads_every_directory(output):
    import pandas as pd

    for d in _directories(output):
        assert len(pd.read_parquet(d)) == pq.read_table(d).num_rows, d


def test_polars_reads_every_directory(output):
    import polars as pl

    for d in _directories(output):
        assert pl.read_parquet(d).height == pq.read_table(d).num_rows, d
        assert pl.scan_parquet(d).collect().height == pq.read_table(d).num_rows, d


def test_duckdb_reads_every_directory(output):
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    for d in _directories(output):
        (n,) = con.execute(f"SELECT count(*) FROM read_parquet('{d}/*.parquet')").fetchone()
        assert n == pq.read_table(d).num_rows, d
    # The stage timings are a list of structs: unnest them like any column.
    stages = con.execute(f"SELECT s.stage FROM (SELECT unnest(stage_wall_seconds) AS s "
                         f"FROM read_parquet('{output}/stats/run/*.parquet'))").fetchall()
    assert stages and all(isinstance(s, str) for (s,) in stages)


def test_hugging_face_datasets_loads_every_directory(output, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    for i, d in enumerate(_directories(output)):
        ds = datasets.load_dataset("parquet", data_dir=str(d), split="train",
                                   cache_dir=str(tmp_path / f"cache{i}"))
        assert ds.num_rows == pq.read_table(d).num_rows, d
    run = datasets.load_dataset("parquet", data_dir=str(output / "stats" / "run"),
                                split="train", cache_dir=str(tmp_path / "run"))
    timings = run[0]["stage_wall_seconds"]
    assert timings and {"stage", "seconds"} <= set(timings[0]), timings
    assert os.environ["HF_HUB_OFFLINE"] == "1"

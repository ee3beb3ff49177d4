"""A new input format is one module: a registered ``Reader`` is listed, resolved by
``auto``, read in Spark and counted at the source like the built-in formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pyarrow as pa
import pytest
from pyspark import cloudpickle
from winnow import config, conservation
from winnow.errors import ConfigError, WinnowError
from winnow.io.listing import expand_inputs
from winnow.io.reader import REGISTRY, Reader, input_formats, open_binary, register
from winnow.io.rows import Rows, document, document_id, quarantine
from winnow.io.source import read_documents


class TsvReader(Reader):
    """``input.format: tsv``: one ``id<TAB>text`` record per line."""

    name = "tsv"
    suffixes = (".tsv",)

    def read(self, path: str, fields: dict[str, str]) -> Iterator[pa.RecordBatch]:
        """One row per non-blank line; a line without a tab is quarantined."""
        rows = Rows()
        line_no = 0
        try:
            with open_binary(path) as raw:
                for line_no, line in enumerate(raw, 1):
                    try:
                        text_line = line.decode("utf-8").rstrip("\r\n")
                    except UnicodeDecodeError:
                        quarantine(rows, path, line_no, "input:invalid_utf8",
                                   line.decode("utf-8", "replace"))
                        continue
                    doc_id, tab, text = text_line.partition("\t")
                    if not text_line.strip():
                        continue  # blank lines are not records
                    if not tab:
                        quarantine(rows, path, line_no, "input:malformed_tsv", text_line)
                        continue
                    record = {fields["id"]: doc_id, fields["text"]: text}
                    document(rows, record, path, line_no, fields, text_line)
        except OSError as exc:
            quarantine(rows, path, line_no + 1, "input:unreadable_file",
                       f"{type(exc).__name__}: {exc}")
        yield from rows.finish(path)


@pytest.fixture
def tsv():
    """``TsvReader`` registered for one test; executors get the class by value (a
    reader module in ``lib/winnow/io/`` is importable there and needs no such step)."""
    module = sys.modules[__name__]
    register(TsvReader)
    cloudpickle.register_pickle_by_value(module)
    yield REGISTRY["tsv"]
    cloudpickle.unregister_pickle_by_value(module)
    del REGISTRY["tsv"]


def test_registered_format_is_accepted_and_named_in_errors(tsv, tmp_path):
    assert input_formats() == ("auto", "jsonl", "parquet", "tsv", "warc", "wet")
    assert config.parse({"input": {"format": "tsv"}, "stages": [{"stage": "normalize"}]})
    with pytest.raises(ConfigError, match="must be one of auto, jsonl, parquet, tsv, warc, wet$"):
        config.parse({"input": {"format": "csv"}, "stages": [{"stage": "normalize"}]})
    (tmp_path / "notes.txt").write_text("x\n")
    with pytest.raises(WinnowError, match=r"set input.format \(jsonl, parquet, tsv, warc or wet\)"):
        expand_inputs([str(tmp_path / "notes.txt")])
    with pytest.raises(WinnowError, match=r"no .jsonl\[.gz\|.zst\], .parquet, .tsv, "
                                           r".warc\[.gz\] or .wet\[.gz\] files"):
        expand_inputs([str(tmp_path)])
    with pytest.raises(ValueError, match="suffix '.tsv' claimed by 'tsv'"):
        register(type("Other", (Reader,), {"name": "other", "suffixes": (".tsv",)}))


@pytest.mark.spark
def test_auto_reads_a_registered_format_in_spark(spark, tsv, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.tsv").write_text("t1\tfirst document\nno tab here\n\nt2\tsecond document\n")
    (d / "b.jsonl").write_text(json.dumps({"id": "j1", "text": "a json document"}) + "\n")
    (d / "README.txt").write_text("not an input\n")
    cfg = config.parse({"input": {"format": "auto"}, "stages": [{"stage": "normalize"}]})
    files = expand_inputs([str(d)], cfg.input.format)
    assert [(f.path.rsplit("/", 1)[1], f.format) for f in files] == [
        ("a.tsv", "tsv"), ("b.jsonl", "jsonl")]
    tally = conservation.record_tally(spark.sparkContext)
    rows = read_documents(spark, files, cfg.input, 0, tally=tally).collect()
    by_position = {r.position: (r.id, r.reason) for r in rows if r.source == files[0].path}
    assert by_position == {
        1: ("t1", None),
        2: (document_id(files[0].path, 2), "input:malformed_tsv"),
        4: ("t2", None),
    }
    assert conservation.source_records(tally, files) == {files[0].path: 3, files[1].path: 1}


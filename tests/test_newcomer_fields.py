"""Nested input fields (issue #21, item 3): ``url: metadata.url`` for JSONL objects and
Parquet struct columns, and the warning when a mapped field is missing from most records.
"""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CC_SAMPLE
from winnow.io.fields import lift, lookup, sample_check
from winnow.io.jsonl import read_jsonl
from winnow.io.listing import expand_inputs
from winnow.io.parquet import read_parquet

FIELDS = {"text": "text", "id": "id", "url": "url"}


def _rows(batches) -> list[dict]:
    return [r for b in batches for r in b.to_pylist()]


def test_lookup_and_lift():
    rec = {"a": {"b": {"c": 1}}, "a.b": 2}
    assert lookup(rec, "a.b.c") == 1
    assert lift(rec, {"url": "a.b"}) is rec  # a top-level key of that name wins
    assert lift({"a": {"x": 1}}, {"url": "a.b"}) == {"a": {"x": 1}}  # absent: unchanged
    assert lift({"a": "str"}, {"url": "a.b"}) == {"a": "str"}


def test_jsonl_nested_url_and_id(tmp_path):
    src = tmp_path / "n.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"text": "hello there", "meta": {"url": "https://a.org/x", "doc": {"id": 7}}},
        {"text": "no url here", "meta": {}},
    ]) + "\n")
    fields = {"text": "text", "id": "meta.doc.id", "url": "meta.url"}
    rows = _rows(read_jsonl(str(src), fields))
    assert [r["url"] for r in rows] == ["https://a.org/x", None]
    assert rows[0]["id"] == "7"
    # The enclosing object stays in metadata: nothing is lost by mapping into it.
    assert json.loads(rows[0]["metadata"])["meta"]["url"] == "https://a.org/x"


def test_parquet_struct_column(tmp_path):
    table = pa.table({
        "text": ["first doc", "second doc"],
        "metadata": pa.array([{"url": "https://b.org/", "lang": "en"}, {"url": None,
                                                                        "lang": "de"}]),
    })
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    rows = _rows(read_parquet(str(path), {**FIELDS, "url": "metadata.url"}))
    assert [r["url"] for r in rows] == ["https://b.org/", None]
    assert all(r["reason"] is None for r in rows)


def test_common_crawl_sample_warns_and_suggests_the_nested_path(tmp_path):
    files = expand_inputs([str(CC_SAMPLE)])
    (warning,) = sample_check(files, FIELDS, explicit=())  # the default mapping
    assert warning.startswith("input.fields.url: 'url' is missing from ")
    assert "set input.fields.url: metadata.url" in warning
    assert sample_check(files, {**FIELDS, "url": "metadata.url"}) == []
    with gzip.open(CC_SAMPLE, "rt") as f:
        first = json.loads(f.readline())
    rows = _rows(read_jsonl(str(CC_SAMPLE), {**FIELDS, "url": "metadata.url"}))
    assert rows[0]["url"] == first["metadata"]["url"]
    with_url = sum(r["url"] is not None for r in rows if r["reason"] is None)
    assert with_url > 0.9 * sum(r["reason"] is None for r in rows)


@pytest.mark.parametrize("missing,warned", [(3, False), (7, True)])
def test_warning_only_when_most_records_lack_the_field(tmp_path, missing, warned):
    src = tmp_path / "m.jsonl"
    recs = [{"id": str(i), "text": "some words", **({} if i < missing else {"url": "u"})}
            for i in range(10)]
    src.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    out = sample_check(expand_inputs([str(src)]), FIELDS)
    assert bool(out) is warned
    # Left at the default mapping, with no nested `url` anywhere: no URLs is no mistake.
    assert sample_check(expand_inputs([str(src)]), FIELDS, explicit=()) == []
    if warned:
        assert f"missing from {missing} of the first 10 records" in out[0]

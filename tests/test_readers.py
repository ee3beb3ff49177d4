"""Readers: formats, field mapping, deterministic ids, quarantine of bad records."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from winnow.errors import WinnowError
from winnow.frame import DOC_SCHEMA
from winnow.io.jsonl import read_jsonl
from winnow.io.listing import expand_inputs
from winnow.io.parquet import read_parquet
from winnow.io.rows import document_id

FIELDS = {"text": "text", "id": "id", "url": "url"}


def _rows(batches):
    return pa.Table.from_batches(list(batches), schema=DOC_SCHEMA).to_pylist()


def _lines():
    return [
        json.dumps({"id": "a", "text": "hello world", "url": "http://x", "lang": "en"}),
        "{not json",
        json.dumps({"text": "no id here", "extra": [1, 2]}),
        json.dumps({"id": "c", "text": ""}),
        json.dumps({"id": "d"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "e", "text": 42}),
        "",
    ]


def test_jsonl_documents_and_quarantine(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text("\n".join(_lines()) + "\n")
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 7  # the blank line is not a record
    by_pos = {r["position"]: r for r in rows}
    assert by_pos[1]["id"] == "a" and by_pos[1]["reason"] is None
    assert json.loads(by_pos[1]["metadata"]) == {"lang": "en"}
    assert by_pos[2]["reason"] == "input:malformed_json"
    assert by_pos[2]["raw_excerpt"] == "{not json"
    assert by_pos[3]["id"] == document_id(str(p), 3)
    assert by_pos[4]["reason"] == "input:empty_text"
    assert by_pos[5]["reason"] == "input:missing_text"
    assert by_pos[6]["reason"] == "input:not_an_object"
    assert by_pos[7]["reason"] == "input:text_not_string"
    assert all(r["source"] == str(p) for r in rows)
    assert {r["stage"] for r in rows if r["reason"]} == {"input"}


def test_field_mapping(tmp_path):
    p = tmp_path / "m.jsonl"
    p.write_text(json.dumps({"doc_id": 7, "body": "some text", "link": "u", "id": "zz"}) + "\n")
    rows = _rows(read_jsonl(str(p), {"text": "body", "id": "doc_id", "url": "link"}))
    assert rows[0]["id"] == "7" and rows[0]["text"] == "some text" and rows[0]["url"] == "u"
    assert json.loads(rows[0]["metadata"]) == {"id": "zz"}


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_jsonl(tmp_path, suffix):
    data = ("\n".join(_lines()[:3]) + "\n").encode()
    p = tmp_path / f"c{suffix}"
    if suffix.endswith("gz"):
        p.write_bytes(gzip.compress(data))
    else:
        p.write_bytes(zstandard.ZstdCompressor().compress(data))
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [r["reason"] for r in rows] == [None, "input:malformed_json", None]


def test_truncated_gzip_is_quarantined_not_lost(tmp_path):
    data = "".join(json.dumps({"text": f"doc number {i} " * 20}) + "\n" for i in range(500))
    blob = gzip.compress(data.encode())
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(blob[: len(blob) // 2])
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert rows[-1]["reason"] == "input:truncated_file"
    assert all(r["reason"] is None for r in rows[:-1])
    assert 0 < len(rows) - 1 < 500


def test_invalid_utf8_line(tmp_path):
    p = tmp_path / "u.jsonl"
    p.write_bytes(b'{"text": "ok"}\n{"text": "\xff\xfe bad"}\n')
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [r["reason"] for r in rows] == [None, "input:invalid_utf8"]


def test_parquet_reader(tmp_path):
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": ["one doc", None, "three"], "score": [1.0, 2.0, 3.0]}), p)
    rows = _rows(read_parquet(str(p), FIELDS))
    assert [r["reason"] for r in rows] == [None, "input:missing_text", None]
    assert [r["position"] for r in rows] == [0, 1, 2]
    assert json.loads(rows[2]["metadata"]) == {"score": 3.0}
    assert rows[0]["id"] == document_id(str(p), 0)


def test_expand_inputs(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_text("{}\n")
    (tmp_path / "d" / "b.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    (tmp_path / "d" / "_SUCCESS").write_text("")
    (tmp_path / "d" / "README.txt").write_text("")
    files = expand_inputs([str(tmp_path / "d")])
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["a.jsonl", "b.jsonl.gz"]
    assert [f.format for f in files] == ["jsonl", "jsonl"]
    globbed = expand_inputs([str(tmp_path / "d" / "*.gz")])
    assert len(globbed) == 1
    with pytest.raises(WinnowError, match="input not found"):
        expand_inputs([str(tmp_path / "missing")])
    with pytest.raises(WinnowError, match="cannot tell its format"):
        expand_inputs([str(tmp_path / "d" / "README.txt")])

"""Readers keep the accounting true: one row per input record, with the reason that is true.

Truncated and corrupt compressed streams, compression told by magic bytes, empty
files, byte-order marks, lone surrogates, Parquet values Python cannot hold, and
quarantine rows that keep the record's own id. Real files, exact counts.
"""

import gzip
import json
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import C4_SAMPLE
from winnow.frame import DOC_SCHEMA
from winnow.io.compression import ZSTD_READ_BYTES
from winnow.io.jsonl import read_jsonl
from winnow.io.parquet import read_parquet
from winnow.io.rows import BATCH_ROWS, EXCERPT_CHARS, document_id

FIELDS = {"text": "text", "id": "id", "url": "url"}


def _rows(batches):
    """All rows of a reader, through Arrow (so a value Arrow cannot encode fails here)."""
    return pa.Table.from_batches(list(batches), schema=DOC_SCHEMA).to_pylist()


def _jsonl(n: int, start: int = 0) -> bytes:
    return "".join(
        json.dumps({"id": f"r{i}", "text": f"record {i} " * 25}) + "\n" for i in range(start, n)
    ).encode()


def _reasons(rows):
    return [r["reason"] for r in rows if r["reason"] is not None]


# --- A: truncated zstd and gzip -------------------------------------------------------


def _zstd_frames(per_frame: int, frames: int) -> tuple[bytes, list[int]]:
    """A multi-frame zstd stream of whole records per frame, and each frame's end offset."""
    cctx = zstandard.ZstdCompressor()
    blob, ends = b"", []
    for f in range(frames):
        blob += cctx.compress(_jsonl((f + 1) * per_frame, f * per_frame))
        ends.append(len(blob))
    return blob, ends


def test_multi_frame_zstd_reads_fully(tmp_path):
    blob, _ = _zstd_frames(40, 5)
    skippable = b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"pad"
    for name, data in (("m.jsonl.zst", blob), ("s.jsonl.zstd", skippable + blob + skippable)):
        (tmp_path / name).write_bytes(data)
        rows = _rows(read_jsonl(str(tmp_path / name), FIELDS))
        assert len(rows) == 200 and _reasons(rows) == []
        assert [r["id"] for r in rows] == [f"r{i}" for i in range(200)]


@pytest.mark.parametrize("where", ["header", "middle", "last_byte"])
def test_truncated_zstd_keeps_records_before_the_cut(tmp_path, where):
    blob, ends = _zstd_frames(40, 5)
    p = tmp_path / "cut.jsonl.zst"
    for frame, end in enumerate(ends):
        start = ends[frame - 1] if frame else 0
        cut = {"header": start + 2, "middle": (start + end) // 2, "last_byte": end - 1}[where]
        p.write_bytes(blob[:cut])
        rows = _rows(read_jsonl(str(p), FIELDS))
        # Frames before the cut are read whole; the cut frame is one truncated_file row.
        assert len(rows) == 40 * frame + 1
        assert _reasons(rows) == ["input:truncated_file"]
        assert rows[-1]["position"] == 40 * frame + 1
        assert [r["id"] for r in rows[:-1]] == [f"r{i}" for i in range(40 * frame)]


def test_zstd_cut_inside_the_checksum(tmp_path):
    data = _jsonl(40)
    blob = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    p = tmp_path / "sum.jsonl.zst"
    p.write_bytes(blob[:-2])  # the records decode; the frame's end never arrives
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 41 and _reasons(rows) == ["input:truncated_file"]
    p.write_bytes(blob[:-4] + bytes(4))  # a wrong checksum
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 1 and _reasons(rows) == ["input:corrupt_file"]


def test_zstd_cut_inside_the_magic_number(tmp_path):
    blob, _ = _zstd_frames(40, 1)
    for n in (1, 2, 3):
        p = tmp_path / f"m{n}.jsonl.zst"
        p.write_bytes(blob[:n])
        rows = _rows(read_jsonl(str(p), FIELDS))
        assert [(r["reason"], r["position"]) for r in rows] == [("input:truncated_file", 1)]


def test_truncated_gzip_partial_line_is_part_of_the_truncation(tmp_path):
    blob = gzip.compress(_jsonl(500))
    p = tmp_path / "t.jsonl.gz"
    for cut in (10, 25, len(blob) // 7, len(blob) // 3, len(blob) // 2, len(blob) - 9):
        p.write_bytes(blob[:cut])
        complete = zlib.decompressobj(31).decompress(blob[:cut]).count(b"\n")
        rows = _rows(read_jsonl(str(p), FIELDS))
        assert len(rows) == complete + 1
        assert _reasons(rows) == ["input:truncated_file"]
        assert rows[-1]["position"] == complete + 1


def test_gzip_members_padding_and_trailing_garbage(tmp_path):
    members = gzip.compress(_jsonl(30)) + gzip.compress(b"") + gzip.compress(_jsonl(50, 30))
    p = tmp_path / "m.jsonl.gz"
    p.write_bytes(members + b"\0" * 1000)
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 50 and _reasons(rows) == []
    p.write_bytes(members + b"not gzip at all")
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 51 and _reasons(rows) == ["input:corrupt_file"]
    assert rows[-1]["position"] == 51


def test_corrupt_zstd(tmp_path):
    blob, ends = _zstd_frames(40, 2)
    p = tmp_path / "bad.jsonl.zst"
    p.write_bytes(blob[: ends[0]] + b"\x28\xb5\x2f\xfd" + b"\xff" * 64)
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 41 and _reasons(rows) == ["input:corrupt_file"]


@pytest.mark.parametrize(
    "codec", [lambda b: gzip.compress(b, 1), zstandard.ZstdCompressor().compress])
def test_large_streams_read_in_bounded_steps(tmp_path, codec):
    n = 60_000
    data = "".join(f'{{"id": {i}, "text": "t {i * 7919 % 100003}"}}\n' for i in range(n))
    p = tmp_path / "big.jsonl.gz"
    p.write_bytes(codec(data.encode()))
    assert p.stat().st_size > ZSTD_READ_BYTES  # several reads and steps
    batches = list(read_jsonl(str(p), FIELDS))
    assert max(b.num_rows for b in batches) == BATCH_ROWS
    rows = _rows(batches)
    assert len(rows) == n and _reasons(rows) == []
    assert [r["id"] for r in rows[-2:]] == [str(n - 2), str(n - 1)]


def test_a_line_longer_than_many_reads(tmp_path):
    text = "word " * 1_500_000  # 7.5 MB in one line: several reads, joined once
    p = tmp_path / "long.jsonl"
    p.write_text(json.dumps({"id": "long", "text": text}) + "\n" + json.dumps({"text": "x"}))
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [(r["id"], r["input_chars"]) for r in rows] == [
        ("long", len(text)), (document_id(str(p), 2), 1)]


# --- B: reasons that are true ---------------------------------------------------------


def test_bom_is_not_malformed_json(tmp_path):
    bom = b"\xef\xbb\xbf"
    p = tmp_path / "bom.jsonl"
    p.write_bytes(bom + _jsonl(3) + bom + _jsonl(5, 3))  # a concatenated file: a BOM inside
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(5)] and _reasons(rows) == []
    gz = tmp_path / "bom.jsonl.gz"
    gz.write_bytes(gzip.compress(bom + _jsonl(4)))
    assert len(_rows(read_jsonl(str(gz), FIELDS))) == 4


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("plain.jsonl.gz", lambda b: b),
        ("plain.jsonl.zst", lambda b: b),
        ("gzip.jsonl", gzip.compress),
        ("zstd.jsonl", zstandard.ZstdCompressor().compress),
        ("zstd.jsonl.gz", zstandard.ZstdCompressor().compress),
    ],
)
def test_compression_from_magic_bytes_not_the_name(tmp_path, name, encode):
    p = tmp_path / name
    p.write_bytes(encode(_jsonl(7)))
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(7)] and _reasons(rows) == []


def test_every_empty_file_gives_one_empty_file_row(tmp_path):
    files = {
        "zero.jsonl": b"",
        "zero.jsonl.gz": b"",
        "zero.jsonl.zst": b"",
        "blank.jsonl": b"\n  \n\r\n\t\n",
        "nothing.jsonl.gz": gzip.compress(b""),
        "blank.jsonl.zst": zstandard.ZstdCompressor().compress(b"\n\n"),
        "bom-only.jsonl": b"\xef\xbb\xbf\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
                   tmp_path / "zero.parquet")
    for name in [*files, "zero.parquet"]:
        path = str(tmp_path / name)
        reader = read_parquet if name.endswith(".parquet") else read_jsonl
        rows = _rows(reader(path, FIELDS))
        assert [(r["reason"], r["position"], r["id"], r["stage"]) for r in rows] == [
            ("input:empty_file", 0, document_id(path, 0), "input")
        ], name


def test_unreadable_file_is_one_row(tmp_path):
    gone = str(tmp_path / "vanished.jsonl.gz")  # listed, then deleted before the read
    rows = _rows(read_jsonl(gone, FIELDS))
    assert [(r["reason"], r["position"]) for r in rows] == [("input:unreadable_file", 1)]
    assert rows[0]["raw_excerpt"].startswith("FileNotFoundError")
    (tmp_path / "dir.jsonl").mkdir()
    rows = _rows(read_jsonl(str(tmp_path / "dir.jsonl"), FIELDS))
    assert [r["reason"] for r in rows] == ["input:unreadable_file"]
    rows = _rows(read_parquet(str(tmp_path / "gone.parquet"), FIELDS))
    assert [(r["reason"], r["position"]) for r in rows] == [("input:unreadable_file", 0)]


# --- C: lone surrogates and values Arrow or Python cannot hold -------------------------


def test_lone_surrogates_never_crash(tmp_path):
    lines = [
        r'{"id": "\ud800x", "text": "a \udc00 b", "meta": "\ud83d"}',  # text and id
        r'{"id": 5, "text": "lone \uDC00 upper case"}',                 # text only
        r'{"id": "\ud800", "text": "fine text"}',                       # id only
        r'{"id": 6, "text": "fine", "url": "http://x/\ud83d", "m": {"\udfff": "\ud800"}}',
        r'{"id": 7, "text": "a pair \ud83d\ude00 is fine"}',
        r'{"id": 8, "text": "escaped backslash \\ud800 is plain text"}',
        r'{"id": 9, "text": "\ud800"',                                  # malformed as well
    ]
    p = tmp_path / "s.jsonl"
    p.write_text("\n".join(lines) + "\n")
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert len(rows) == 7
    assert [(r["position"], r["id"], r["reason"]) for r in rows] == [
        (1, document_id(str(p), 1), "input:invalid_unicode"),
        (2, "5", "input:invalid_unicode"),
        (3, document_id(str(p), 3), "input:invalid_unicode"),
        (4, "6", None),
        (5, "7", None),
        (6, "8", None),
        (7, document_id(str(p), 7), "input:malformed_json"),
    ]
    assert rows[0]["raw_excerpt"] == lines[0]
    assert rows[3]["url"] == "http://x/\ufffd"
    assert json.loads(rows[3]["metadata"]) == {"m": {"\ufffd": "\ufffd"}}
    assert rows[4]["text"] == "a pair \U0001f600 is fine"
    assert rows[5]["text"] == "escaped backslash \\ud800 is plain text"
    for r in rows:
        for v in r.values():
            if isinstance(v, str):
                v.encode("utf-8")


def test_too_deep_nesting_is_quarantined(tmp_path):
    p = tmp_path / "deep.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    p.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": "t", "m": ' + deep + "}\n")
    rows = _rows(read_jsonl(str(p), FIELDS))
    assert [r["reason"] for r in rows] == [None, "input:nesting_too_deep"]
    assert len(rows[1]["raw_excerpt"]) == EXCERPT_CHARS


def test_parquet_values_python_cannot_hold(tmp_path):
    bad_utf8 = pa.array([b"ok text", b"\xff\xfe", b"fine"], pa.binary()).view(pa.string())
    p = tmp_path / "bad.parquet"
    pq.write_table(pa.table({
        "id": [1, 2, 3],
        "text": bad_utf8,
        "ts": pa.array([0, 2**62, 0], pa.timestamp("ms")),
        "nested": [{"a": [1, 2]}, {"a": []}, {"a": None}],
        "m": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
    }), p)
    rows = _rows(read_parquet(str(p), FIELDS))
    assert [(r["position"], r["id"], r["reason"]) for r in rows] == [
        (0, "1", None), (1, "2", "input:invalid_utf8"), (2, "3", None)]
    assert rows[1]["raw_excerpt"].startswith("column text: UnicodeDecodeError")
    assert "column ts: OverflowError" in rows[1]["raw_excerpt"]
    assert json.loads(rows[0]["metadata"]) == {
        "ts": "1970-01-01 00:00:00", "nested": {"a": [1, 2]}, "m": [["k", 1]]}
    q = tmp_path / "ts.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"],
                             "ts": pa.array([0, 2**62], pa.timestamp("ms"))}), q)
    rows = _rows(read_parquet(str(q), FIELDS))
    assert [(r["id"], r["reason"]) for r in rows] == [
        ("a", None), ("b", "input:unconvertible_value")]


def test_parquet_binary_text_column_is_quarantined(tmp_path):
    p = tmp_path / "bin.parquet"
    pq.write_table(pa.table({"id": ["a", None], "text": pa.array([b"x", b"y"], pa.binary())}), p)
    rows = _rows(read_parquet(str(p), FIELDS))
    assert [(r["id"], r["reason"]) for r in rows] == [
        ("a", "input:text_not_string"), (document_id(str(p), 1), "input:text_not_string")]
    assert json.loads(rows[0]["raw_excerpt"]) == {"id": "a", "text": "b'x'"}


def test_unreadable_parquet(tmp_path):
    p = tmp_path / "not.parquet"
    p.write_bytes(b"this is not parquet")
    rows = _rows(read_parquet(str(p), FIELDS))
    assert [(r["reason"], r["position"]) for r in rows] == [("input:unreadable_file", 0)]


# --- E: quarantine rows keep the input id ----------------------------------------------


def test_quarantined_records_keep_their_input_id(tmp_path):
    lines = [
        json.dumps({"id": 7, "body": "x"}),                 # missing_text, int id
        json.dumps({"id": "7", "text": "   "}),             # empty_text
        json.dumps({"id": "s", "text": ["not", "str"]}),    # text_not_string
        json.dumps({"id": "", "text": None}),               # no usable id
        json.dumps({"text": "a document"}),                 # document without id
        "{bad json",
        json.dumps(["not", "an", "object"]),
    ]
    p = tmp_path / "ids.jsonl"
    p.write_text("\n".join(lines) + "\n")
    rows = _rows(read_jsonl(str(p), FIELDS))
    h = lambda pos: document_id(str(p), pos)  # noqa: E731
    assert [(r["id"], r["reason"]) for r in rows] == [
        ("7", "input:missing_text"),
        ("7", "input:empty_text"),
        ("s", "input:text_not_string"),
        (h(4), "input:missing_text"),
        (h(5), None),
        (h(6), "input:malformed_json"),
        (h(7), "input:not_an_object"),
    ]
    q = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"doc": [11, 12], "body": [None, "fine"]}), q)
    rows = _rows(read_parquet(str(q), {"text": "body", "id": "doc", "url": "url"}))
    assert [(r["id"], r["reason"]) for r in rows] == [("11", "input:missing_text"), ("12", None)]


# --- F: the hot path still reads real data ---------------------------------------------


def test_c4_sample_reads_every_record():
    rows = _rows(read_jsonl(str(C4_SAMPLE), FIELDS))
    assert len(rows) == 1000 and _reasons(rows) == []

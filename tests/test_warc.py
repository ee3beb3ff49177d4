"""WARC and WET readers and the extract stage, without Spark: real crawl files.

Record counts, ids and offsets are checked against an independent parse of the
files: gzip members decompressed with ``zlib`` and WARC headers read by hand.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pyarrow as pa
import pytest
from winnow.io.reader import format_for
from winnow.io.warc import WarcReader, WetReader
from winnow.stage import TextBatch
from winnow.stages.extract import Extract, ExtractParams
from winnow.synth.warc import generate_warc
from winnow.text.html import trafilatura_available

FIELDS = {"text": "text", "id": "id", "url": "url"}
SHARED_WARCS = ("browsertrix-sample-0000.warc.gz", "browsertrix-sample-0001.warc.gz",
                "cc-2020-34-excerpt.warc.gz")


def members(path: Path) -> list[tuple[int, dict[str, str], bool]]:
    """(offset, WARC headers, complete) of every gzip member, parsed without FastWARC."""
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        body = d.decompress(data[pos:])
        head = body.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace").split("\r\n")
        headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        out.append((pos, headers, d.eof))
        if not d.eof:
            break
        pos = len(data) - len(d.unused_data)
    return out


def responses(path: Path, kind: str = "response") -> list[tuple[int, dict[str, str]]]:
    return [(off, h) for off, h, _ in members(path) if h.get("WARC-Type") == kind]


def read(reader, path: Path) -> list[dict]:
    return pa.Table.from_batches(list(reader.read(str(path), FIELDS))).to_pylist()


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth_warc")
    generate_warc(120, str(root), seed=3, pages_per_file=60)
    return root


@pytest.fixture(scope="module")
def synth_wet(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth_wet")
    generate_warc(40, str(root), seed=4, wet=True)
    return root


@pytest.mark.parametrize("name", SHARED_WARCS)
def test_rows_are_the_response_records(shared_data, name):
    path = shared_data / "warc" / name
    expected = responses(path)
    rows = read(WarcReader(), path)
    assert len(rows) == len(expected) == {"browsertrix-sample-0000.warc.gz": 22,
                                          "browsertrix-sample-0001.warc.gz": 15,
                                          "cc-2020-34-excerpt.warc.gz": 16}[name]
    assert [r["id"] for r in rows] == [h["WARC-Record-ID"] for _, h in expected]
    assert [r["offset"] for r in rows] == [off for off, _ in expected]
    assert [r["position"] for r in rows] == [off for off, _ in expected]
    assert [r["url"] for r in rows] == [h["WARC-Target-URI"].strip("<>") for _, h in expected]
    assert [r["warc_date"] for r in rows] == [h["WARC-Date"] for _, h in expected]
    assert all(r["reason"] is None and r["source"] == str(path) for r in rows)
    html = [r for r in rows if r["content_type"] == "text/html"]
    assert html and all(r["http_status"] == 200 and "<" in r["text"] for r in html)


def test_cyrillic_page_decoded_from_its_charset(shared_data):
    rows = read(WarcReader(), shared_data / "warc" / "cc-2020-34-excerpt.warc.gz")
    ru = next(r for r in rows if r["url"] == "http://01spb.ru/company/")
    assert "windows-1251" in ru["metadata"]
    assert "компании" in ru["text"]


def test_truncated_file_is_one_quarantine_row(shared_data):
    path = shared_data / "warc" / "truncated-record.warc.gz"
    (off, headers, complete), = members(path)
    assert not complete  # the file is cut inside its only record
    rows = read(WarcReader(), path)
    assert [(r["reason"], r["stage"], r["source"], r["position"], r["offset"], r["id"])
            for r in rows] == [("input:truncated_file", "input", str(path), off, off,
                                headers["WARC-Record-ID"])]


def test_corrupt_member_keeps_records_before_and_after(shared_data, tmp_path):
    src = shared_data / "warc" / "browsertrix-sample-0000.warc.gz"
    good = responses(src)
    bad_off = good[1][0]  # the second response's gzip member
    data = bytearray(src.read_bytes())
    data[bad_off + 3000:bad_off + 3050] = bytes(50)
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(bytes(data))
    rows = read(WarcReader(), path)
    assert len(rows) == len(good)  # one row per response: 21 documents + 1 quarantine
    bad = [r for r in rows if r["reason"]]
    assert [(r["reason"], r["position"]) for r in bad] == [("input:corrupt_file", bad_off)]
    assert [r["id"] for r in rows if not r["reason"]] == [
        h["WARC-Record-ID"] for off, h in good if off != bad_off]


@pytest.mark.parametrize("split_bytes", [4_000, 50_000, 150_000])
def test_split_ranges_give_the_unsplit_rows(synth, split_bytes):
    path = synth / "warc" / "part-00000.warc.gz"
    reader = WarcReader()
    whole = read(reader, path)
    ranges = reader.split(str(path), path.stat().st_size, split_bytes)
    assert len(ranges) > 1
    parts = [r for s, e in ranges for b in reader.read_range(str(path), FIELDS, s, e)
             for r in b.to_pylist()]
    assert parts == whole
    assert len(whole) == len(responses(path)) == 60


def test_wet_conversion_records(synth_wet):
    path = synth_wet / "warc" / "part-00000.warc.wet.gz"
    assert format_for(str(path)) == "wet"
    expected = responses(path, "conversion")
    rows = read(WetReader(), path)
    assert [r["id"] for r in rows] == [h["WARC-Record-ID"] for _, h in expected]
    assert len(rows) == 40
    assert all(r["text"].strip() and r["url"].startswith("http")
               and r["warc_date"] and r["content_type"] == "text/plain" for r in rows)
    assert all("refers_to" in r["metadata"] for r in rows)


def test_auto_format_by_name():
    assert format_for("crawl/CC-MAIN-1.warc.gz") == "warc"
    assert format_for("crawl/x.WARC") == "warc"
    assert format_for("crawl/CC-MAIN-1.warc.wet.gz") == "wet"
    assert format_for("crawl/x.wet") == "wet"


def _extract(rows: list[dict], **params) -> tuple[list[str], dict]:
    stage = Extract(ExtractParams(**params))
    stage.validate()
    stage.setup()
    cols = {c: pa.array([r.get(c) for r in rows]) for c in stage.input_columns()}
    batch = TextBatch([r["text"] for r in rows], cols)
    out = stage.compute(batch)
    return batch.texts, out


def test_extract_drops_boilerplate_and_plants_reasons(synth):
    from winnow.synth.warc import page_kind

    rows = read(WarcReader(), synth / "warc" / "part-00000.warc.gz")
    texts, out = _extract(rows)
    expect = {"not_html": "content_type", "not_found": "http_status", "empty": "no_text",
              "html": "ok", "blocked_url": "ok"}  # the url stage, not extract, blocks these
    assert out["extract_outcome"] == [expect[page_kind(i)] for i in range(60)]
    ok = [t for t, o in zip(texts, out["extract_outcome"], strict=True) if o == "ok"]
    assert ok and all("<" not in t for t in ok)
    planted = ("We use cookies to improve", "Example Media", "Ten tips for spring",
               "font:14px sans-serif", "window.dataLayer=[]")  # synth's template only
    assert not any(p in t for t in ok for p in planted)  # the page's own boilerplate
    assert all(t == "" for t, o in zip(texts, out["extract_outcome"], strict=True) if o != "ok")


def test_extract_skips_rows_rejected_before_it(synth):
    rows = read(WarcReader(), synth / "warc" / "part-00000.warc.gz")[:4]
    rows[1]["reason"] = "url:banned_word"
    texts, out = _extract(rows)
    assert out["extract_outcome"][1] == "skipped"
    assert out["extract_html_chars"][1] is None and texts[1] == ""
    assert out["extract_html_chars"][0] == len(rows[0]["text"])


@pytest.mark.skipif(not trafilatura_available(),
                    reason="trafilatura is an optional extractor: pip install trafilatura")
def test_trafilatura_extractor(shared_data):
    rows = read(WarcReader(), shared_data / "warc" / "browsertrix-sample-0001.warc.gz")[:4]
    texts, out = _extract(rows, extractor="trafilatura")
    assert "ok" in out["extract_outcome"]
    assert all("<html" not in t.lower() for t in texts)
    resil, _ = _extract(rows)
    overlap = [set(a.split()) & set(b.split()) for a, b in zip(texts, resil, strict=True)]
    assert all(o for o, t in zip(overlap, texts, strict=True) if t)  # same page, shared words


def _arc_file(path: Path, gz: bool) -> Path:
    """A tiny valid ARC v1 file (version block, one HTTP record), written by hand from
    the published format: ``URL IP-address Archive-date Content-type Archive-length``."""
    body = (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
            b"<html><body><p>An archived page.</p></body></html>")
    version = b"1 0 winnow\nURL IP-address Archive-date Content-type Archive-length\n"
    head = b"filedesc://t.arc 0.0.0.0 20050614070159 text/plain %d\n" % len(version)
    record = b"http://example.com/ 93.184.216.34 20050614070159 text/html %d\n" % len(body)
    members = [head + version + b"\n", record + body + b"\n"]
    path.write_bytes(b"".join(gzip.compress(m) for m in members) if gz else b"".join(members))
    return path


@pytest.mark.parametrize("name", ["crawl.arc.gz", "crawl.arc"])
def test_fastwarc_does_not_parse_arc(tmp_path, name):
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    path = _arc_file(tmp_path / name, name.endswith(".gz"))
    with open(path, "rb") as f, pytest.raises(OSError, match="WARC header"):
        list(ArchiveIterator(f, record_types=WarcRecordType.any_type, parse_http=False))


def test_arc_input_is_one_error_before_spark(tmp_path, capsys):
    from winnow import cli
    from winnow.errors import WinnowError
    from winnow.io.listing import expand_inputs

    crawl = tmp_path / "crawl"
    crawl.mkdir()
    arc = _arc_file(crawl / "IA-2005.arc.gz", True)
    assert format_for(str(arc)) is None
    for inputs, fmt in (([str(arc)], "auto"), ([str(crawl)], "auto"), ([str(crawl)], "warc"),
                        ([str(crawl / "*.gz")], "wet")):
        with pytest.raises(WinnowError, match="ARC files are not supported"):
            expand_inputs(inputs, fmt)
    assert expand_inputs([str(arc)], "jsonl")[0].format == "jsonl"  # named otherwise: read so
    rc = cli.main(["run", "--config", "conf/recipes/fineweb_from_warc.yaml", "--input",
                   str(crawl), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert "IA-2005.arc.gz: ARC files are not supported" in err
    assert not (tmp_path / "out").exists()

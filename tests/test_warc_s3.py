"""WARC input from object storage: the shared WARC files (the truncated one included)
read from ``s3a://`` (a real S3 API server, ``moto_server`` on 127.0.0.1) give what the
same files read from local paths give, split into 40 kB byte ranges either way.

The readers open ``s3a://`` with pyarrow, on the driver (listing, ``split``) and on the
executors (the reads); the driver gets the server's AWS variables in ``os.environ``,
the executors through ``SparkContext.environment`` (what ``spark.executorEnv.*``, set
by ``winnow.objectstore`` for an S3A profile, fills), so the shared session serves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from s3_fixture import s3_server  # noqa: F401 - fixture
from test_warc import SHARED_WARCS, members
from winnow import config, conservation
from winnow.io.listing import expand_inputs
from winnow.io.source import read_documents, read_tasks

pytestmark = [pytest.mark.s3, pytest.mark.spark]

NAMES = (*SHARED_WARCS, "truncated-record.warc.gz")
SPLIT_BYTES = 40_000


@pytest.fixture(scope="module")
def sources(shared_data, s3_server) -> dict[str, list[str]]:  # noqa: F811
    """The shared WARC files: local paths, and the same files under ``s3a://``."""
    local = [shared_data / "warc" / n for n in NAMES]
    return {"local": [str(p) for p in local],
            "s3a": [s3_server.upload(p, f"warc/{p.name}") for p in local]}


def _read(spark, paths: list[str]):
    """(rows by file name, records per file name, non-document records, byte ranges per
    file name) of one split read."""
    files = expand_inputs(paths, "auto")
    ranges: dict[str, list[tuple[int, int]]] = {}
    for i, start, end, _, _ in read_tasks(files, SPLIT_BYTES):
        ranges.setdefault(Path(files[i].path).name, []).append((start, end))
    tally = conservation.record_tally(spark.sparkContext)
    df = read_documents(spark, files, config.InputConfig(), 2, tally=tally,
                        split_bytes=SPLIT_BYTES)
    rows = sorted((Path(r["source"]).name, r["id"], r["offset"], r["reason"])
                  for r in df.select("source", "id", "offset", "reason").collect())
    records = {Path(p).name: n for p, n in conservation.source_records(tally, files).items()}
    return rows, records, conservation.non_document_records(tally), ranges


@pytest.fixture(scope="module")
def reads(spark, s3_server, sources):  # noqa: F811
    """The same split read of the local files and of their ``s3a://`` copies."""
    out = {"local": _read(spark, sources["local"])}
    environment = spark.sparkContext.environment
    saved = dict(environment)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env.items():
            mp.setenv(k, v)
        environment.update(s3_server.env)
        try:
            out["s3a"] = _read(spark, sources["s3a"])
        finally:
            environment.clear()
            environment.update(saved)
    return out


def test_gzip_files_are_read_in_several_ranges_from_s3a(reads):
    ranges = reads["s3a"][3]
    assert ranges == reads["local"][3]
    assert all(len(ranges[n]) > 1 for n in SHARED_WARCS), ranges
    assert len(ranges["truncated-record.warc.gz"]) == 1  # 18 kB: one range


def test_same_rows_from_s3a_as_from_local_files(reads, shared_data):
    rows, local = reads["s3a"][0], reads["local"][0]
    assert rows == local
    # every complete response record of the shared files, by an independent parse
    expected = sorted((n, h["WARC-Record-ID"], off, None) for n in NAMES
                      for off, h, complete in members(shared_data / "warc" / n)
                      if complete and h.get("WARC-Type") == "response")
    assert len(expected) > 50
    assert [r for r in rows if r[3] is None] == expected


def test_same_record_tallies_from_s3a(reads):
    (_, records, others, _), (_, local, local_others, _) = reads["s3a"], reads["local"]
    assert records == local
    assert set(records) == set(NAMES)
    assert others == local_others
    # the shared files: 54 requests, 18 metadata, 4 resources, 3 warcinfo
    assert others == {"metadata": 18, "request": 54, "resource": 4, "warcinfo": 3}


def test_truncated_file_quarantined_from_s3a(reads):
    rows = reads["s3a"][0]
    quarantined = [r for r in rows if r[3] is not None]
    assert [(n, reason) for n, _, _, reason in quarantined] == [
        ("truncated-record.warc.gz", "input:truncated_file")]
    assert quarantined == [r for r in reads["local"][0] if r[3] is not None]


def test_record_stream_reads_object_storage_in_large_requests(sources, s3_server):  # noqa: F811
    """FastWARC reads a record stream a few KiB at a time and every read of pyarrow's
    S3 file is a ranged GET: the reader buffers 8 MiB per request, so a whole shared
    file (about 214 kB) is one GET (four without the buffer); the rows are the same."""
    from winnow.io.warc import WarcReader

    name = SHARED_WARCS[0]
    (s3a,) = [p for p in sources["s3a"] if p.endswith(name)]
    (local,) = [p for p in sources["local"] if p.endswith(name)]
    fields = {"text": "text", "id": "id", "url": "url"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env.items():
            mp.setenv(k, v)
        before = s3_server.requests("GET", f"warc/{name}")
        rows = [r for b in WarcReader().read_range(s3a, fields, 0, -1) for r in b.to_pylist()]
        gets = s3_server.requests("GET", f"warc/{name}") - before
    expected = [r for b in WarcReader().read_range(local, fields, 0, -1) for r in b.to_pylist()]
    assert [r["id"] for r in rows] == [r["id"] for r in expected] and len(rows) > 10
    assert [r["text"] for r in rows] == [r["text"] for r in expected]
    assert gets == 1, gets

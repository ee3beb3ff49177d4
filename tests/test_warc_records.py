"""WARC records that are not documents (request, metadata, warcinfo, resource) are
counted per type through the conservation tally, split or not, and stay out of the
conservation check.

The expected counts come from an independent parse: every gzip member decompressed
with ``zlib`` and its ``WARC-Type`` header read by hand (``test_warc.members``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from test_warc import SHARED_WARCS, members
from winnow import config, conservation
from winnow.io.listing import expand_inputs
from winnow.io.source import read_documents
from winnow.synth.warc import generate_warc

pytestmark = pytest.mark.spark

DOCUMENT_TYPES = {"response", "conversion"}


def other_types(paths: list[Path]) -> dict[str, int]:
    """Non-document records per WARC-Type over ``paths``, without FastWARC."""
    counts = Counter(h["WARC-Type"] for p in paths for _, h, _ in members(p)
                     if h.get("WARC-Type") not in DOCUMENT_TYPES)
    return dict(sorted(counts.items()))


@pytest.fixture(scope="module")
def inputs(shared_data, tmp_path_factory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("warc_records")
    generate_warc(40, str(root / "w"), seed=5, pages_per_file=40)
    generate_warc(12, str(root / "t"), seed=6, wet=True)
    warc = [shared_data / "warc" / n for n in (*SHARED_WARCS, "truncated-record.warc.gz")]
    return {"warc": warc, "synth": sorted((root / "w" / "warc").glob("*.warc.gz")),
            "wet": sorted((root / "t" / "warc").glob("*.wet.gz"))}


@pytest.fixture(scope="module")
def reads(spark, inputs):
    """(rows, source records, non-document records) of an unsplit and a split read of
    all inputs: two Spark jobs."""
    paths = [str(p) for ps in inputs.values() for p in ps]
    files = expand_inputs(paths, "auto")
    out = {}
    for name, split_bytes in (("whole", 1 << 40), ("split", 40_000)):
        tally = conservation.record_tally(spark.sparkContext)
        df = read_documents(spark, files, config.InputConfig(), 2, tally=tally,
                            split_bytes=split_bytes)
        rows = sorted(tuple(r) for r in df.select("id", "source", "offset", "reason").collect())
        out[name] = (rows, conservation.source_records(tally, files),
                     conservation.non_document_records(tally))
    return out


def test_counts_per_type_match_an_independent_count(inputs, reads):
    _, _, others = reads["whole"]
    expected = other_types([p for ps in inputs.values() for p in ps])
    assert others == expected
    # the shared files: 54 requests, 18 metadata, 4 resources, 3 warcinfo; synth and
    # WET files add their own warcinfo (and synth its requests)
    assert {"request", "metadata", "warcinfo", "resource"} <= set(others)
    assert others["warcinfo"] == 3 + len(inputs["synth"]) + len(inputs["wet"])


def test_split_read_counts_the_same(reads):
    (rows_w, src_w, others_w), (rows_s, src_s, others_s) = reads["whole"], reads["split"]
    assert rows_s == rows_w
    assert src_s == src_w
    assert others_s == others_w


def test_wet_warcinfo_counted(inputs, reads):
    _, src, _ = reads["whole"]
    wet = inputs["wet"]
    assert other_types(wet) == {"warcinfo": len(wet)}
    assert sum(src[str(p)] for p in wet) == 12  # conversions only


def test_conservation_counts_documents_only(inputs, reads):
    rows, src, _ = reads["whole"]
    assert len(rows) == sum(src.values())
    for p in inputs["warc"]:
        kinds = Counter(h.get("WARC-Type") for _, h, _ in members(p))
        assert src[str(p)] == kinds["response"]


def test_no_other_records_outside_warc(spark):
    tally = conservation.record_tally(spark.sparkContext)
    tally.add({0: 5, 1: 7})  # what a JSONL or Parquet read reports
    assert conservation.non_document_records(tally) == {}

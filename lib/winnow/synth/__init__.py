"""Deterministic synthetic web corpus with planted junk and duplicates, for testing winnow.

:func:`generate` writes under ``DIR``:

* ``docs/part-NNNNN.jsonl.gz`` — JSON lines ``{"id", "text", "url", "lang"}``, gzip level 1.
* ``ground_truth.parquet`` — one row per document: ``id``, ``kind`` (one of :data:`KINDS`),
  ``copy_of`` (id of the original for ``exact_dup``/``near_dup``, else null), ``edit`` (one of
  :data:`EDITS` for copies, else null) and ``lang``. Parquet keeps the nulls typed for Spark.

Every document is a pure function of ``(seed, index)``. Kind, language, clean text and URL
come from a counter-based hash of ``(seed, index, position)``, so a chunk of documents is
built with a few whole-array numpy calls, and any shard can rebuild the text of any earlier
document: that is how a copy finds its original, usually written by another shard. The
irregular parts (junk pages, near-copy edits) use a per-document PCG64 stream. The bytes
written therefore do not depend on how many worker processes share the shards.
"""

from winnow.synth.vocabulary import BAD_WORDS, EDITS, KINDS, LANG_SHARES
from winnow.synth.writer import doc_id, generate

__all__ = ["BAD_WORDS", "EDITS", "KINDS", "LANG_SHARES", "doc_id", "generate"]

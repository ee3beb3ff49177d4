"""Sub-document dedup: the kernels and Spark steps of ``line_dedup`` and ``substring_dedup``.

* :mod:`~winnow.subdedup.units` — lines and paragraphs, their normalised 64-bit hashes;
* :mod:`~winnow.subdedup.kernels` — token window keys and winnowing fingerprints (numba);
* :mod:`~winnow.subdedup.rewrite` — the Arrow pass that cuts the spans a stage drops;
* :mod:`~winnow.subdedup.planted` — a corpus with planted boilerplate and its ground truth.

See ``docs/subdocument_dedup.md`` for the design and its guarantees.
"""

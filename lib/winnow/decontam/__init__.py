"""Benchmark decontamination: evaluation sets, their n-gram table, the two match paths.

* ``evals``: load benchmark items (JSONL, Parquet, a directory of them) and hash
  their n-grams once on the driver into an ``EvalTable``.
* ``match``: the two ways to find the documents that share n-grams with a
  benchmark. A small table is broadcast and probed in the fused Arrow pass
  (``winnow.text.ngrams.probe``, numba); a large one (``JOIN_THRESHOLD`` n-grams
  and more) is joined with the documents' n-grams in Spark. Both give the same
  matches (``tests/test_decontam_paths.py`` forces each).
* ``recheck``: ``winnow decontaminate``, which checks published documents against
  benchmarks added later and writes the ids to retract.
"""

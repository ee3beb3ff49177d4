"""MinHash-LSH near-duplicate detection, split by the algorithm's steps.

* ``shingles``: the normalisation and shingling that define document similarity.
* ``signatures``: the compiled kernel turning Arrow text buffers into MinHash
  signatures and band keys (one pass per Arrow batch, no per-row Python).
* ``lsh``: choosing bands × rows and the S-curve they imply.
* ``candidates``: bucket grouping and verified candidate edges, in Spark SQL.
* ``components``: connected components of the edge graph, in Spark.
"""

"""LSH banding parameters: the S-curve and choosing bands × rows for a threshold.

Two documents with Jaccard similarity ``s`` agree on one MinHash value with
probability ``s``, on a whole band of ``r`` rows with ``s**r``, and become a
candidate pair (share at least one of ``b`` bands) with ``1 - (1 - s**r)**b``
(Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Banding:
    """``bands`` bands of ``rows`` MinHash values each (``bands * rows`` permutations)."""

    bands: int
    rows: int

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def threshold(self) -> float:
        """The similarity where the S-curve is steepest, approximately ``(1/b)**(1/r)``."""
        return (1.0 / self.bands) ** (1.0 / self.rows)

    def candidate_probability(self, s: float | np.ndarray) -> float | np.ndarray:
        """Probability that a pair with Jaccard ``s`` shares at least one band."""
        return 1.0 - (1.0 - np.power(s, self.rows)) ** self.bands


def _area(b: int, r: int, lo: float, hi: float, nodes: np.ndarray, weights: np.ndarray,
          above: bool) -> float:
    """Integral over [lo, hi] of the S-curve (or of its complement when ``above``)."""
    s = (hi - lo) / 2.0 * nodes + (hi + lo) / 2.0
    p = 1.0 - (1.0 - s**r) ** b
    f = 1.0 - p if above else p
    return float((hi - lo) / 2.0 * np.dot(weights, f))


def optimal_banding(
    threshold: float, num_perm: int, false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> Banding:
    """Bands × rows (``b * r <= num_perm``) minimising the weighted false-positive
    area (S-curve below ``threshold``) plus false-negative area (its complement above).

    The same criterion as datasketch's ``MinHashLSH``. The integrands are
    polynomials of degree ``b * r <= num_perm``, so Gauss–Legendre quadrature with
    ``num_perm // 2 + 1`` nodes integrates them exactly.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must be in (0, 1)")
    if num_perm < 2:
        raise ValueError("num_perm must be at least 2")
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    best: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _area(b, r, 0.0, threshold, nodes, weights, above=False)
            fn = _area(b, r, threshold, 1.0, nodes, weights, above=True)
            error = false_positive_weight * fp + false_negative_weight * fn
            if best is None or error < best[0]:
                best = (error, b, r)
    assert best is not None
    return Banding(best[1], best[2])

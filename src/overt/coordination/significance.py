"""Coordination against chance: tail probabilities and multiple-testing control.

An edge's observed count ``n`` (co-acting posts) is compared with the count ``λ`` chance predicts
(:func:`overt.coordination.cooccurrence.expected`): ``p = P(X >= n)`` for ``X ~ Poisson(λ)``. Every possible
pair of active accounts is a test, including the pairs that never met (their ``p`` is 1), so the
Benjamini-Hochberg adjustment uses ``m = N(N-1)/2`` tests: an edge is kept when its adjusted value ``q`` is at
most the false discovery rate ``alpha``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.special import pdtrc


def poisson_tail(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``P(X >= observed)`` for ``X ~ Poisson(expected)``, element-wise."""
    # pdtrc(k, m) is P(X > k) (NaN for k < 0, where the tail is everything); scipy.special loads in a fraction
    # of scipy.stats' time.
    n = np.asarray(observed, dtype=np.float64)
    tail = pdtrc(np.maximum(n - 1.0, 0.0), np.asarray(expected, np.float64))
    return np.asarray(np.where(n <= 0, 1.0, tail), dtype=np.float64)


def benjamini_hochberg(p: np.ndarray, m: int) -> np.ndarray:
    """BH-adjusted values of *p* as part of *m* tests (the others having ``p = 1``)."""
    if p.size == 0:
        return p.astype(np.float64)
    m = max(m, p.size)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(adjusted)
    q[order] = np.minimum(adjusted, 1.0)
    return q


def score(candidates: pa.Table, n_accounts: int) -> pa.Table:
    """*candidates* (with ``weight`` and ``expected``) plus ``p_value`` and ``q_value`` columns."""
    n = candidates.column("weight").to_numpy(zero_copy_only=False)
    lam = candidates.column("expected").to_numpy(zero_copy_only=False)
    p = poisson_tail(n, lam)
    q = benjamini_hochberg(p, n_accounts * (n_accounts - 1) // 2)
    return candidates.append_column("p_value", pa.array(p)).append_column("q_value", pa.array(q))

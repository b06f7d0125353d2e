"""The one integer-scaling policy shared by every solver backend.

OR-Tools' assignment, flow and CP-SAT solvers work on integers. A float score
``s`` becomes ``round(s * resolution)`` (numpy's round-half-to-even), never a
truncation, so each pair's integer score is within ``0.5 / resolution`` of
``resolution * s``. The solver proves optimality for the rounded scores; the
float objective of the returned matching is therefore within
``n_pairs / resolution`` of the float optimum, and it is reported in float
units computed from the unrounded scores.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_range", "rounding_bound", "to_integer"]

# Flow and assignment solvers multiply costs by about the node count while
# scaling; keep |cost| * nodes comfortably inside int64.
_INT_SAFE = 2**62


def to_integer(scores: np.ndarray, resolution: int) -> np.ndarray:
    """Round scores to integer multiples of ``1 / resolution`` (as int64).

    >>> to_integer(np.array([0.1234565, 1.0, 0.0]), 1000).tolist()
    [123, 1000, 0]
    """
    return np.rint(np.asarray(scores, dtype=float) * resolution).astype(np.int64)


def rounding_bound(n_pairs: int, resolution: int) -> float:
    """Largest possible gap between the float optimum and the reported objective."""
    return n_pairs / resolution


def check_range(max_abs_cost: int, n_nodes: int) -> bool:
    """True when the solver's internal cost scaling cannot overflow."""
    return max_abs_cost * (n_nodes + 1) < _INT_SAFE

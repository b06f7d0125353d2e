"""The one integer-scaling policy shared by every solver backend.

OR-Tools' assignment, flow and CP-SAT solvers work on integers. Scores are
scaled so that the largest score any pair could have (``upper_bound``, known
before solving from the components' ranges) maps to ``resolution`` integer
units, and a score ``s`` becomes ``round(s * scale)`` (numpy's
round-half-to-even), never a truncation. Each pair's integer score is then
within ``0.5 / scale`` of ``scale * s``, whatever the range of the scores:
tiny and huge custom scores are treated alike, and scaling every weight by
``c`` leaves the integer problem, and so the matching, unchanged.

The solver proves optimality for the rounded scores. For the float scores,
the returned matching ``M`` and a float optimum ``M*`` satisfy
``score(M*) - score(M) <= (|M| + |M*|) * 0.5 / scale <= max_pairs / scale``,
where ``max_pairs`` bounds the size of any matching (the smaller side's
total capacity, or the number of candidate pairs). That is the
certificate's ``rounding_bound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Scaling", "check_range"]

# Flow and assignment solvers multiply costs by about the node count while
# scaling; keep |cost| * nodes comfortably inside int64.
_INT_SAFE = 2**62


@dataclass(frozen=True)
class Scaling:
    """Float scores <-> integer gains.

    Examples
    --------
    >>> s = Scaling(resolution=1000, upper_bound=2.0)
    >>> s.scale, s.to_integer(np.array([0.1234565, 2.0, 0.0])).tolist()
    (500.0, [62, 1000, 0])
    >>> s.rounding_bound(max_pairs=4)
    0.008
    """

    resolution: int
    upper_bound: float

    @property
    def scale(self) -> float:
        """Integer units per unit of score (all scores 0, or too small to scale: ``resolution``)."""
        scale = self.resolution / self.upper_bound if self.upper_bound > 0 else float(self.resolution)
        return scale if np.isfinite(scale) else float(self.resolution)

    def to_integer(self, scores: Any) -> np.ndarray:
        """Round scores to integer gains (int64)."""
        return np.rint(np.asarray(scores, dtype=float) * self.scale).astype(np.int64)

    def rounding_bound(self, max_pairs: int) -> float:
        """Largest possible gap between the float optimum and the float value of an
        integer-optimal matching, when no matching has more than ``max_pairs`` pairs
        (0 when every score is 0: nothing is rounded)."""
        return max_pairs / self.scale if self.upper_bound > 0 else 0.0

    def describe(self) -> dict[str, float]:
        """The policy's numbers, for certificates."""
        return {"resolution": self.resolution, "score_upper_bound": self.upper_bound, "scale": self.scale}


def check_range(max_abs_cost: int, n_nodes: int) -> bool:
    """True when the solver's internal cost scaling cannot overflow."""
    return max_abs_cost * (n_nodes + 1) < _INT_SAFE

"""The one integer-scaling policy shared by every solver backend.

OR-Tools' assignment, flow and CP-SAT solvers work on integers; a score ``s``
becomes the gain ``round(s * scale)`` (numpy's round-half-to-even, never a
truncation). Two ways to choose ``scale``:

*Exact* (the default whenever the scores allow it). When every score is a
whole number of ``1 / scale`` units for some ``scale = 10**d`` or
``3 * 10**d`` (integer scores, scores with a few decimals, thirds and sixths),
and the largest score stays within `MAX_GAIN` units, the smallest such scale
is used: every gain *is* ``scale * s`` (to float precision), so the integer
optimum is the optimum of the scores themselves. `exact_scale` finds it from
every value each weighted component can take.

*By resolution* (otherwise). The largest score any pair could have
(``upper_bound``, known before solving from the components' ranges) maps to
``resolution`` integer units, so tiny and huge custom scores are treated
alike and scaling every weight by ``c`` leaves the matching unchanged. Each
gain is within ``0.5 / scale`` of ``scale * s``: the solver proves optimality
for the rounded scores, and a float optimum ``M*`` beats the returned
matching ``M`` by at most ``(|M| + |M*|) * 0.5 / scale <= max_pairs / scale``,
where ``max_pairs`` bounds the size of any matching (the smaller side's total
capacity, or the number of candidate pairs). That is the certificate's
``rounding_bound`` (0 when the scaling is exact).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..params import SolveParams
from ..scoring import Scorer

__all__ = ["EXACT_TOLERANCE", "MAX_GAIN", "Scaling", "check_range", "exact_scale", "scaling_for", "with_exact_scores"]

# Flow and assignment solvers multiply costs by about the node count while
# scaling; keep |cost| * nodes comfortably inside int64.
_INT_SAFE = 2**62

# The most integer units an exact scaling gives the largest score: the same as the largest
# `SolveParams.resolution`, so an exact scaling never asks more of a backend than a resolution may.
MAX_GAIN = 10**9

# A scaled score counts as a whole number when it is this close to one, relative to its size:
# far above float noise (a few times 1e-16), far below any digit a score could mean (a score
# scaled to its 13th significant digit is not whole).
EXACT_TOLERANCE = 1e-12

# Values a scale is tried on before all of them.
_SAMPLE = 4096

# Exact scales tried, smallest first: 10**d and 3 * 10**d (decimals, thirds, sixths, twelfths).
_EXACT_SCALES = sorted(f * 10.0**d for d in range(-6, 31) for f in (1, 3))


@dataclass(frozen=True)
class Scaling:
    """Float scores <-> integer gains.

    Attributes
    ----------
    resolution : int
        Integer units of the largest possible score when the scaling is not exact.
    upper_bound : float
        The largest score any pair could have.
    exact_scale : float or None
        The exact scale (see `exact_scale`), or None when the scores allow none.

    Examples
    --------
    >>> s = Scaling(resolution=1000, upper_bound=2.0)
    >>> s.scale, s.to_integer(np.array([0.1234565, 2.0, 0.0])).tolist()
    (500.0, [62, 1000, 0])
    >>> s.rounding_bound(max_pairs=4)
    0.008
    >>> exact = Scaling(resolution=1000, upper_bound=2.0, exact_scale=10.0)
    >>> exact.scale, exact.to_integer(np.array([0.3, 2.0])).tolist(), exact.rounding_bound(4)
    (10.0, [3, 20], 0.0)
    """

    resolution: int
    upper_bound: float
    exact_scale: float | None = None

    @property
    def exact(self) -> bool:
        """Whether every score is a whole number of integer units (so rounding changes nothing)."""
        return self.exact_scale is not None

    @property
    def scale(self) -> float:
        """Integer units per unit of score (all scores 0, or too small to scale: ``resolution``)."""
        if self.exact_scale is not None:
            return self.exact_scale
        scale = self.resolution / self.upper_bound if self.upper_bound > 0 else float(self.resolution)
        return scale if np.isfinite(scale) else float(self.resolution)

    def to_integer(self, scores: Any) -> np.ndarray:
        """Round scores to integer gains (int64)."""
        return np.rint(np.asarray(scores, dtype=float) * self.scale).astype(np.int64)

    def rounding_bound(self, max_pairs: int) -> float:
        """Largest possible gap between the float optimum and the float value of an
        integer-optimal matching, when no matching has more than ``max_pairs`` pairs
        (0 when the scaling is exact or every score is 0: nothing is rounded)."""
        return max_pairs / self.scale if self.upper_bound > 0 and not self.exact else 0.0

    def describe(self) -> dict[str, float | bool]:
        """The policy's numbers, for certificates."""
        return {
            "resolution": self.resolution,
            "score_upper_bound": self.upper_bound,
            "scale": self.scale,
            "exact": self.exact,
        }


def exact_scale(values: Iterable[np.ndarray], largest: float) -> float | None:
    """The smallest scale ``10**d`` or ``3 * 10**d`` at which every one of ``values`` is a whole
    number of units (to `EXACT_TOLERANCE` of itself, float noise) and ``largest`` (the largest
    score) is at most `MAX_GAIN` units; None when there is none.

    ``values`` are arrays of every value each weighted part of a score can take (a score is
    their sum, so it is then whole too), or the scores themselves.

    >>> exact_scale([np.array([3.0, 120.0, 7.0])], 130.0)
    1.0
    >>> exact_scale([np.array([0.25, 0.5]), np.array([0.3, 0.6])], 1.1)
    100.0
    >>> exact_scale([np.array([1 / 3, 1 / 6])], 0.5)
    30.0
    >>> exact_scale([np.array([0.1234567891234])], 1.0) is None
    True
    """
    parts = [np.asarray(v, dtype=float).ravel() for v in values]
    if not all(np.isfinite(p).all() for p in parts):
        return None
    # Scales are tried on an evenly strided sample first: a large custom matrix (or the dense
    # method's every score) is then read in full about once, for the scale that will do.
    samples = [p[:: max(1, len(p) // _SAMPLE)] for p in parts]
    for scale in _EXACT_SCALES:
        if scale * largest > MAX_GAIN:
            return None
        if all(_whole(p, scale) for p in samples) and all(_whole(p, scale) for p in parts):
            return scale
    return None


def scaling_for(scorer: Scorer, params: SolveParams) -> Scaling:
    """The scaling the solver uses for ``scorer``'s problem under ``params``: exact when
    ``params.exact`` and every value of every weighted component allows it, else by resolution.

    >>> from pairmatch.examples import pilot_problem
    >>> scaling = scaling_for(Scorer(pilot_problem()), SolveParams())
    >>> scaling.exact, scaling.scale
    (True, 10000.0)
    """
    scaling = Scaling(params.resolution, scorer.upper_bound)
    parts = scorer.part_values() if params.exact else None
    if parts is None:
        return scaling
    return replace(scaling, exact_scale=exact_scale(parts, scorer.upper_bound))


def with_exact_scores(scaling: Scaling, scores: np.ndarray, params: SolveParams) -> Scaling:
    """``scaling``, made exact when it is not yet and the scores themselves (every pair's, once
    scored) allow it: a component known only by scoring may still give whole scores."""
    if scaling.exact or not params.exact:
        return scaling
    largest = float(np.abs(scores).max(initial=0.0))
    return replace(scaling, exact_scale=exact_scale([scores], largest))


def _whole(values: np.ndarray, scale: float, chunk: int = 1 << 20) -> bool:
    """Whether every one of ``values`` times ``scale`` is a whole number (in chunks: no full-size temporaries)."""
    for start in range(0, len(values), chunk):
        scaled = values[start : start + chunk] * scale
        if not np.all(np.abs(scaled - np.rint(scaled)) <= EXACT_TOLERANCE * np.abs(scaled)):
            return False
    return True


def check_range(max_abs_cost: int, n_nodes: int) -> bool:
    """True when the solver's internal cost scaling cannot overflow."""
    return max_abs_cost * (n_nodes + 1) < _INT_SAFE

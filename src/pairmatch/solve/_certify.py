"""Dual potentials of an optimal b-matching, for the optimality certificate.

The matching is the optimal flow of the network OR-Tools solved (see
``_flow._network``): source -> mentor (bounds ``lo..hi``), mentor -> mentee
(capacity 1, cost ``-gain``), mentee -> sink (``lo..hi``), sink -> source
(free). A flow is optimal exactly when its residual graph has no negative
cycle; shortest-path distances ``d`` from a virtual root (a zero-cost arc to
every node) then satisfy ``d[head] <= d[tail] + cost`` on every residual arc.
Any pair ``(i, j)`` left out of the graph would add the residual arc
``i -> j`` of cost ``-gain``; the flow stays optimal with it when
``gain + d_mentee[j] - d_mentor[i] <= 0`` (non-negative reduced cost). If
that holds for every pair left out, ``d`` is a feasible dual of the complete
problem whose value equals the sparse optimum, so the sparse optimum is the
optimum over all pairs (LP duality; the constraint matrix is totally
unimodular, so the LP optimum is integral).
"""

from __future__ import annotations

import numpy as np

from ..exceptions import SolverError
from ._graph import ArcGraph

__all__ = ["potentials"]


def _segment_min(values: np.ndarray, keys_sorted: np.ndarray, size: int, fill: np.ndarray) -> np.ndarray:
    """``min(fill[k], min of values with key k)`` for each k (keys already sorted)."""
    out = fill.copy()
    if len(values):
        starts = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
        keys = keys_sorted[starts]
        out[keys] = np.minimum(out[keys], np.minimum.reduceat(values, starts))
    return out


def potentials(graph: ArcGraph, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shortest-path potentials ``(d_mentor, d_mentee)`` of the residual graph of
    the optimal matching ``chosen`` (arc indices), by Bellman-Ford.

    Each round relaxes every residual arc at once (vectorised, mentors and
    mentees alternately); the loop stops when nothing changes. Raises
    `SolverError` if the flow is not optimal (a negative cycle).
    """
    m, n = graph.n_mentors, graph.n_mentees
    used = np.zeros(len(graph.gain), dtype=bool)
    used[chosen] = True
    load_m = np.bincount(graph.rows[used], minlength=m)
    load_e = np.bincount(graph.cols[used], minlength=n)
    total = int(used.sum())
    cap = min(int(graph.mentor_hi.sum()), int(graph.mentee_hi.sum()))
    # Residual arcs between the people: unused pair arcs forward, used ones backward.
    free = np.flatnonzero(~used)
    order = free[np.argsort(graph.cols[free], kind="stable")]
    free_rows, free_cols, free_gain = graph.rows[order], graph.cols[order], graph.gain[order]
    taken = np.flatnonzero(used)
    order = taken[np.argsort(graph.rows[taken], kind="stable")]
    taken_rows, taken_cols, taken_gain = graph.rows[order], graph.cols[order], graph.gain[order]
    # Residual arcs to and from the source (s) and the sink (t).
    s_to_mentor = load_m < graph.mentor_hi
    mentor_to_s = load_m > graph.mentor_lo
    mentee_to_t = load_e < graph.mentee_hi
    t_to_mentee = load_e > graph.mentee_lo
    d_m = np.zeros(m, dtype=np.int64)
    d_e = np.zeros(n, dtype=np.int64)
    d_s = d_t = 0
    for _ in range(m + n + 3):
        new_e = _segment_min(d_m[free_rows] - free_gain, free_cols, n, d_e)
        if t_to_mentee.any():
            new_e[t_to_mentee] = np.minimum(new_e[t_to_mentee], d_t)
        new_m = _segment_min(new_e[taken_cols] + taken_gain, taken_rows, m, d_m)
        if s_to_mentor.any():
            new_m[s_to_mentor] = np.minimum(new_m[s_to_mentor], d_s)
        new_s = min([d_s, *(new_m[mentor_to_s].min(keepdims=True) if mentor_to_s.any() else [])])
        new_t = min([d_t, *(new_e[mentee_to_t].min(keepdims=True) if mentee_to_t.any() else [])])
        if total < cap:  # sink -> source has room
            new_s = min(new_s, new_t)
        if total > 0:  # and carries flow that could be pushed back
            new_t = min(new_t, new_s)
        new_s, new_t = int(new_s), int(new_t)
        if new_s == d_s and new_t == d_t and np.array_equal(new_m, d_m) and np.array_equal(new_e, d_e):
            return d_m, d_e
        d_m, d_e, d_s, d_t = new_m, new_e, new_s, new_t
    raise SolverError("the sparse flow is not optimal (negative residual cycle); cannot certify it")

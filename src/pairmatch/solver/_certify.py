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

from dataclasses import dataclass

import numpy as np

from ..exceptions import SolverError
from ..scoring import BuiltinLevels
from ._graph import ArcGraph
from ._space import PairSpace

__all__ = ["TypeBestState", "TypeScan", "TypeScanState", "potentials", "type_best_chunk", "type_scan_chunk"]

_EMPTY = np.zeros(0, np.int64)
_EXCLUDED_GAIN = -(1 << 60)  # at or below: a pair the rules remove (`_space.EXCLUDED` is lower still)
WHOLE_ROW_SHARE = 4  # a mentor whose bound leaves more than 1/4 of the mentees is scanned as a whole row


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


class TypeScan:
    """Reduced-cost check over all pairs, one mentor *type* at a time.

    Mentors with the same (focus profile, borough profile) form a type ``S``.
    For every mentee ``j`` the focus and borough gain parts against ``S`` are
    the same for all of ``S``, so ``w_S[j] = FB[S, j] + d_e[j]`` is computed
    once per type (``n`` numbers, not ``|S| * n``); the availability part is at
    most ``avail_max``, so

        reduced cost(i, j) <= w_S[j] + avail_max + lift - d_m[i].

    Pairs where that bound is <= 0 are cleared; for each mentor the others
    are a prefix of the mentees sorted by ``w_S``, and only those are scored
    exactly. While potentials are still poor, ``limit`` caps how many of a
    mentor's prefix are scored once it has shown a violation (the round is
    not a certificate then anyway); a round without violations has scored
    every pair the bound did not clear.
    """

    def __init__(self, builtin: BuiltinLevels, parts: tuple[np.ndarray, np.ndarray, np.ndarray], lift: int) -> None:
        self.lift = lift
        focus, borough, avail = parts
        self.base = int(avail.max(initial=0)) + lift
        self.row_type, self.row_members, self.row_offsets, (self.row_focus, self.row_place) = _types(
            builtin.left.focus, builtin.left.place
        )
        self.col_type, _, _, (col_focus, col_place) = _types(builtin.right.focus, builtin.right.place)
        self.focus_by_col = np.ascontiguousarray(focus[:, col_focus])
        self.borough_by_col = np.ascontiguousarray(borough[:, col_place])

    @property
    def n_types(self) -> int:
        return len(self.row_offsets) - 1

    def scan(
        self, space: PairSpace, d_m: np.ndarray, d_e: np.ndarray, lo: int, hi: int, limit: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Mentor types ``lo:hi``: ``(rows, cols, reduced costs)`` of violating pairs and how
        many pairs were scored exactly. Rules apply when the space decides them by type
        (`PairSpace.typed`); otherwise the caller filters the pairs found."""
        found_r, found_c, found_v, exact = [], [], [], 0
        for t in range(lo, hi):
            rows, cols, red, scored = self._scan_type(space, t, d_m, d_e, limit)
            exact += scored
            if len(rows):
                found_r.append(rows)
                found_c.append(cols)
                found_v.append(red)
        if not found_r:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, exact
        return np.concatenate(found_r), np.concatenate(found_c), np.concatenate(found_v), exact

    def _scan_type(
        self, space: PairSpace, t: int, d_m: np.ndarray, d_e: np.ndarray, limit: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        members = self.row_members[self.row_offsets[t] : self.row_offsets[t + 1]]
        dm = d_m[members]
        fb = self.focus_by_col[self.row_focus[t]] + self.borough_by_col[self.row_place[t]]
        w = fb[self.col_type]
        w += d_e
        cand = np.flatnonzero(w > int(dm.min()) - self.base)
        if not len(cand):
            return _EMPTY, _EMPTY, _EMPTY, 0
        ws = w[cand]
        order = np.argsort(-ws, kind="stable")
        cand, neg = cand[order], -ws[order]
        count = np.searchsorted(neg, self.base - dm, side="left")  # ws > dm - base
        found: list[tuple[np.ndarray, ...]] = []
        exact = 0
        # Members whose bound clears few pairs (people without a partner, whose dual is 0):
        # their whole row costs less as one block than pair by pair. Under a limit they try
        # their capped prefix first, like everyone (early rounds: a violation is near its top).
        whole = count * WHOLE_ROW_SHARE > len(self.col_type)
        if limit is None and whole.any():
            *hits, scored = space.violations_in_rows(members[whole], d_m, d_e, limit)
            found.append(tuple(hits))
            exact += scored
            members, count, whole = members[~whole], count[~whole], whole[~whole]
        take = count if limit is None else np.minimum(count, limit)
        rows, cols, red, scored = self._exact(space, members, cand, take, d_m, d_e)
        found.append((rows, cols, red))
        exact += scored
        if limit is not None:
            # A mentor cut short without a violation in its prefix: score the rest too.
            hit_rows = np.zeros(len(members), dtype=bool)
            hit_rows[np.searchsorted(members, rows)] = True
            short = (count > take) & ~hit_rows
            wide = short & whole
            if wide.any():
                *hits, scored = space.violations_in_rows(members[wide], d_m, d_e, limit)
                found.append(tuple(hits))
                exact += scored - int(take[wide].sum())  # their prefix is part of the row
            short &= ~whole
            if short.any():
                *more, scored = self._exact(space, members[short], cand, count[short], d_m, d_e, skip=take[short])
                found.append(tuple(more))
                exact += scored
        rows, cols, red = (np.concatenate([f[k] for f in found]) for k in range(3))
        return rows, cols, red, exact

    def best(
        self, space: PairSpace, lo: int, hi: int, k: int, width: int, tie_types: np.ndarray, tie_cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each mentor of types ``lo:hi`` with its ``k`` best mentees: ``(rows, cols)``.

        Per type, mentees are ranked once by their focus and borough parts
        (ties broken by a per-type code, so similar types look at different
        people); a few members at a time score the best ``width / 2`` and their
        own window of the next best exactly, and each keeps its ``k`` best of
        them (ties broken per pair)."""
        out_r, out_c = [], []
        # A few members per candidate list: each list holds the type's best half-width
        # and its own window of the next best, so many members of one type (ties) never
        # crowd onto the same few mentees.
        group = max(1, width // (2 * k))
        half = max(1, width // 2)
        n = len(self.col_type)
        for t in range(lo, hi):
            everyone = self.row_members[self.row_offsets[t] : self.row_offsets[t + 1]]
            fb = (self.focus_by_col[self.row_focus[t]] + self.borough_by_col[self.row_place[t]])[self.col_type]
            key = (fb.astype(np.int64) << 16) | (tie_cols ^ tie_types[t])
            wide = min(n, max(width, half * (1 + -(-len(everyone) // group))))
            best = np.argpartition(-key, wide - 1)[:wide] if wide < n else np.arange(n)
            best = best[np.argsort(-key[best], kind="stable")]
            head, tail = best[:half], best[half:]
            for g0 in range(0, len(everyone), group):
                members = everyone[g0 : g0 + group]
                if len(tail):
                    window = tail[((g0 // group) * half + np.arange(min(half, len(tail)))) % len(tail)]
                    cand = np.r_[head, window]
                else:
                    cand = head
                rows = np.repeat(members, len(cand))
                cols = np.tile(cand, len(members))
                gain = space.pair_gains(rows, cols, ruled=True).reshape(len(members), len(cand))
                noise = (tie_cols[cand][None, :] ^ (members[:, None] * 40503)) & 0xFFFF
                kk = min(k, len(cand))
                ruled_out = gain <= _EXCLUDED_GAIN
                key = np.where(ruled_out, np.iinfo(np.int64).min, (gain << 16) | noise)
                top = np.argpartition(-key, kk - 1, axis=1)[:, :kk]
                keep = ~np.take_along_axis(ruled_out, top, axis=1).reshape(-1)  # ruled-out pairs never arcs
                out_r.append(np.repeat(members, kk)[keep])
                out_c.append(cand[top.reshape(-1)][keep])
        if not out_r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(out_r), np.concatenate(out_c)

    @staticmethod
    def _exact(
        space: PairSpace,
        members: np.ndarray,
        cand: np.ndarray,
        take: np.ndarray,
        d_m: np.ndarray,
        d_e: np.ndarray,
        skip: np.ndarray | None = None,
        batch: int = 1 << 21,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Each member with its prefix ``cand[skip:take]`` scored exactly, a batch of about
        ``batch`` pairs at a time: ``(rows, cols, reduced costs)`` of the violating pairs
        and how many pairs were scored."""
        first = np.zeros(len(take), dtype=np.int64) if skip is None else skip
        size = np.maximum(take - first, 0)
        ends = np.cumsum(size)
        out_r, out_c, out_v = [], [], []
        a = 0
        while a < len(size):
            b = max(a + 1, int(np.searchsorted(ends, (ends[a - 1] if a else 0) + batch, side="right")))
            part = size[a:b]
            total = int(part.sum())
            if total:
                rows = np.repeat(members[a:b], part)
                pos = np.arange(total) - np.repeat(np.cumsum(part) - part, part) + np.repeat(first[a:b], part)
                cols = cand[pos]
                red = space.pair_gains(rows, cols, ruled=True) + d_e[cols] - d_m[rows]
                hit = red > 0
                out_r.append(rows[hit])
                out_c.append(cols[hit])
                out_v.append(red[hit])
            a = b
        if not out_r:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, int(ends[-1]) if len(ends) else 0
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v), int(ends[-1])


@dataclass(frozen=True)
class TypeScanState:
    """What one chunk of mentor types needs (sent to the executor)."""

    scan: TypeScan
    space: PairSpace
    d_m: np.ndarray
    d_e: np.ndarray
    limit: int | None


def type_scan_chunk(state: TypeScanState, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """`TypeScan.scan` of mentor types ``lo:hi``."""
    return state.scan.scan(state.space, state.d_m, state.d_e, lo, hi, state.limit)


@dataclass(frozen=True)
class TypeBestState:
    """What one chunk of mentor types needs to pick its candidates."""

    scan: TypeScan
    space: PairSpace
    k: int
    width: int
    tie_types: np.ndarray
    tie_cols: np.ndarray


def type_best_chunk(state: TypeBestState, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """`TypeScan.best` of mentor types ``lo:hi``."""
    return state.scan.best(state.space, lo, hi, state.k, state.width, state.tie_types, state.tie_cols)


def _types(
    focus: np.ndarray, place: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """People grouped by (focus profile, borough profile): type of each person,
    members sorted by type, CSR offsets, and the profiles of each type."""
    key = focus.astype(np.int64) * (int(place.max(initial=0)) + 1) + place
    uniq, kind = np.unique(key, return_inverse=True)
    kind = kind.reshape(-1)
    members = np.argsort(kind, kind="stable")
    offsets = np.r_[0, np.cumsum(np.bincount(kind, minlength=len(uniq)))]
    first = members[offsets[:-1]]
    return kind, members, offsets, (focus[first], place[first])

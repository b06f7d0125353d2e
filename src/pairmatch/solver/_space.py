"""Integer gains of any block of pairs, with the hard rules applied: the sparse path's view of all pairs.

`PairSpace` holds per-person arrays only (never a pair matrix), so it is
cheap to send to other processes or Dask workers; the module-level chunk
functions (`select_chunk`, `scan_chunk`) are what runs there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..constraints import RuleChecker, bounds_after_pins, minimum_partners, required_indices
from ..models import Problem
from ..scoring import BuiltinLevels, Scorer
from ..scoring.custom import keys_in_block
from ..scoring.levels import Index
from ._bonus import bonus_pairs
from ._typed import TypedRules, typed_rules
from .scaling import Scaling

__all__ = [
    "EXCLUDED",
    "PairSpace",
    "ScanState",
    "SelectState",
    "scan_chunk",
    "select_chunk",
    "sorted_unique",
    "top_rows",
]

EXCLUDED = np.int64(-(1 << 61))  # gain of a pair that is not an arc (ruled out, pinned, no capacity)
_TIE_BITS = 16  # low bits of a selection key: a per-pair tie-break, so equal gains spread over people


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys (a plain sort: faster here than numpy's hash-based unique)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def not_in(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Mask of ``keys`` absent from ``sorted_keys``."""
    if not len(sorted_keys) or not len(keys):
        return np.ones(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    absent: np.ndarray = sorted_keys[pos] != keys
    return absent


class PairSpace:
    """Integer gains (plus ``lift``) of every pair, a block at a time, with ruled-out,
    pinned and no-capacity pairs set to `EXCLUDED`."""

    def __init__(self, problem: Problem, scorer: Scorer, scaling: Scaling) -> None:
        self.scorer = scorer
        self.scaling = scaling
        self.builtin = builtin = scorer.builtin
        self.checker = RuleChecker(problem, scorer)
        self.m, self.n = scorer.shape
        level_gain = scaling.to_integer(builtin.level_values["total"])
        # Caller components on a few listed pairs only: every other pair scores its level.
        self.bonus = None if scorer.level_coded else bonus_pairs(problem, scorer, scaling)
        self.coded = scorer.level_coded or self.bonus is not None
        parts = integer_parts(builtin, scaling.scale, level_gain) if self.coded else None
        # Gains in units of their common divisor: the same optima with smaller numbers,
        # so the scans can run in int32 (half the memory traffic of int64).
        bonus_gain = self.bonus.gains if self.bonus is not None else np.zeros(0, np.int64)
        every_gain = np.concatenate([level_gain.ravel(), bonus_gain, *(x.ravel() for x in parts or ())])
        self.unit = max(1, int(np.gcd.reduce(every_gain))) if self.coded else 1
        self.level_gain = level_gain // self.unit
        self.bonus_gain = bonus_gain // self.unit
        self.parts = None if parts is None else (parts[0] // self.unit, parts[1] // self.unit, parts[2] // self.unit)
        self.has_rules = self.checker.active
        # Rules decided by type: blocks and pairs cost a few gathers (None: scored and checked).
        self.typed: TypedRules | None = (
            typed_rules(self.checker, builtin, self.level_gain) if self.has_rules and self.coded else None
        )
        self.required = required_indices(problem)
        self.mentor_min, self.mentee_min = minimum_partners(problem, "mentor"), minimum_partners(problem, "mentee")
        self.mentor_max = np.array([p.max_partners for p in problem.mentors], dtype=np.int64)
        self.mentee_max = np.array([p.max_partners for p in problem.mentees], dtype=np.int64)
        self.bounds = bounds_after_pins(
            self.required, self.mentor_min, self.mentor_max, self.mentee_min, self.mentee_max
        )
        mhi, ehi = self.bounds[1], self.bounds[3]
        self.pins_ok = bool((mhi >= 0).all() and (ehi >= 0).all())
        self.dead_rows, self.dead_cols = mhi <= 0, ehi <= 0
        if self.typed is not None:
            # People whose type the rules pair with nobody's: none of their pairs is ever an
            # arc, so no scan scores their pairs to find that out, round after round.
            alone_rows, alone_cols = self.typed.alone()
            self.dead_rows, self.dead_cols = self.dead_rows | alone_rows, self.dead_cols | alone_cols
        self.any_dead = bool(self.dead_rows.any() or self.dead_cols.any())
        pins = np.array(self.required, dtype=np.int64).reshape(-1, 2)
        self.pin_keys = np.unique(pins[:, 0] * self.n + pins[:, 1])
        self.lift = 0
        self.dtype = np.int32
        self.narrow_parts = self._narrow()
        self.bonus_allowed = self._bonus_allowed()

    def _bonus_allowed(self) -> np.ndarray:
        """Which listed bonus pairs the rules allow (their whole score counts for the minimum)."""
        if self.bonus is None:
            return np.zeros(0, dtype=bool)
        rows, cols = self.bonus.keys // self.n, self.bonus.keys % self.n
        if self.typed is None:
            return self.allowed_pairs(rows, cols)
        allowed = self.typed.pairs(rows, cols, np.full(len(rows), np.iinfo(np.int64).max))
        if self.checker.rules.min_score is not None:
            allowed &= (
                self.scorer.pair_totals(rows, cols) >= self.checker.rules.min_score - self.checker.min_score_slack
            )
        return allowed

    @property
    def fixed_arcs(self) -> np.ndarray:
        """Sorted keys of the pairs kept in the candidate graph in every round: the allowed
        bonus pairs of people with room (the per-type bounds know only the levels)."""
        if self.bonus is None:
            return np.zeros(0, np.int64)
        keys = self.bonus.keys[self.bonus_allowed]
        live = ~self.dead_rows[keys // self.n] & ~self.dead_cols[keys % self.n]
        out: np.ndarray = keys[live & not_in(self.pin_keys, keys)]
        return out

    @property
    def max_gain(self) -> int:
        """No pair's gain (in units) exceeds this."""
        if self.coded:
            return max(int(self.level_gain.max(initial=0)), int(self.bonus_gain.max(initial=0)))
        return int(self.scaling.to_integer(self.scorer.upper_bound))

    def set_lift(self, lift: int) -> None:
        """Add ``lift`` to every pair's gain (lexicographic objectives)."""
        self.lift = lift
        self.narrow_parts = self._narrow()

    def _narrow(self) -> tuple[np.ndarray, ...] | None:
        """The parts in int32 when every reduced cost of a scan fits comfortably, else None."""
        if self.parts is None or self.max_gain + self.lift >= 1 << 26:
            return None
        return tuple(p.astype(np.int32) for p in self.parts)

    def fits_narrow(self, d_m: np.ndarray, d_e: np.ndarray) -> bool:
        """True when reduced costs with these potentials fit int32 with room to spare."""
        span = max(int(np.abs(d_m).max(initial=0)), int(np.abs(d_e).max(initial=0)))
        return self.narrow_parts is not None and span < 1 << 27

    def reduced_costs(
        self, rows: Index, cols: Index, d_m: np.ndarray | int, d_e: np.ndarray | int, narrow: bool = False
    ) -> np.ndarray:
        """``gain + lift + d_e[j] - d_m[i]`` for mentors ``rows`` x mentees ``cols`` (slices or
        index arrays), no rule applied; ``d_m`` / ``d_e`` may be 0.

        Uses the exact split of each integer gain into focus, borough and
        availability parts (`integer_parts`), so ``d_m`` folds into the small
        per-profile matrices and every pair costs three gathers and adds.
        """
        builtin = self.builtin
        assert self.parts is not None
        focus, borough, avail = self.narrow_parts if narrow and self.narrow_parts is not None else self.parts
        shift = self.lift - (d_m[rows] if isinstance(d_m, np.ndarray) else d_m)
        left = focus[builtin.left.focus[rows]] + np.asarray(shift, dtype=focus.dtype).reshape(-1, 1)
        red = np.take(left, builtin.right.focus[cols], axis=1)
        red += np.take(borough[builtin.left.place[rows]], builtin.right.place[cols], axis=1)
        counts, kinds = builtin.pattern_counts(rows, cols)
        red += np.take(avail[np.minimum(counts, builtin.cap)], kinds, axis=1)
        if isinstance(d_e, np.ndarray):
            red += d_e[cols].astype(red.dtype, copy=False)
        return red

    def raw_gains(self, rows: Index, cols: Index, narrow: bool = False) -> np.ndarray:
        """Integer gains (plus lift) of mentors ``rows`` x mentees ``cols``, no rule applied
        (int32 when ``narrow`` and they fit, else int64)."""
        if self.parts is not None:
            return self.reduced_costs(rows, cols, 0, 0, narrow=narrow)
        if self.coded:
            gain: np.ndarray = self.level_gain[self.builtin.levels(rows, cols)] + self.lift
            return gain
        return self.scaling.to_integer(self.scorer.totals(rows, cols)) + self.lift

    def pair_gains(self, rows: np.ndarray, cols: np.ndarray, ruled: bool = False) -> np.ndarray:
        """Integer gains (plus lift) of the pairs ``(rows[k], cols[k])``; with ``ruled``, pairs the
        rules remove are at `EXCLUDED` when the rules are decided by type (else no rule applies)."""
        if not self.coded:
            return self.scaling.to_integer(self.scorer.pair_totals(rows, cols)) + self.lift
        gain = self.level_gain[self.builtin.pair_levels(rows, cols)]
        allowed = self.typed.pairs(rows, cols, gain) if ruled and self.typed is not None else None
        if self.bonus is not None:
            found, pos = self.bonus.lookup(rows, cols)
            gain[found] = self.bonus_gain[pos[found]]
            if allowed is not None:
                allowed[found] = self.bonus_allowed[pos[found]]
        out: np.ndarray = gain + self.lift if allowed is None else np.where(allowed, gain + self.lift, EXCLUDED)
        return out

    def gains(self, rows: Index, cols: Index = slice(None), narrow: bool = False) -> tuple[np.ndarray, int]:
        """``(gain, allowed)``: integer gains of mentors ``rows`` x mentees ``cols`` (a row
        slice, any columns) with excluded pairs at `EXCLUDED`, and how many pairs the rules allow."""
        if self.typed is not None:
            gain = self.raw_gains(rows, cols, narrow)
            allowed_mask = self.typed.block(rows, cols, gain - self.lift if self.lift else gain)
            gain[~allowed_mask] = max(EXCLUDED, np.iinfo(gain.dtype).min)
            allowed = int(np.count_nonzero(allowed_mask))
        elif self.has_rules:
            block = self.scorer.block(rows, cols)
            bits = self.checker.block(rows, cols, block)
            gain = (
                self.scaling.to_integer(block["total"])
                if not self.coded
                else self.level_gain[self.builtin.levels(rows, cols)]
            )
            gain += self.lift
            gain[bits != 0] = EXCLUDED
            allowed = int(np.count_nonzero(bits == 0))
        else:
            gain = self.raw_gains(rows, cols, narrow)
            allowed = gain.size
        self.exclude(gain, rows, cols)
        return gain, allowed

    def exclude(self, gain: np.ndarray, rows: Index, cols: Index) -> None:
        """Set pinned pairs and people without capacity to `EXCLUDED` (or the dtype's
        minimum) in a block."""
        low = max(EXCLUDED, np.iinfo(gain.dtype).min)
        row_ix = np.arange(self.m)[rows] if isinstance(rows, slice) else np.asarray(rows)
        col_ix = np.arange(self.n)[cols] if isinstance(cols, slice) else np.asarray(cols)
        if len(self.pin_keys):
            r, c, _ = keys_in_block(self.pin_keys, self.n, row_ix, col_ix)
            gain[r, c] = low
        if self.any_dead:
            gain[self.dead_rows[row_ix]] = low
            gain[:, self.dead_cols[col_ix]] = low

    def violations_in_rows(
        self, rows: np.ndarray, d_m: np.ndarray, d_e: np.ndarray, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Every allowed pair of mentors ``rows`` (sorted) with a positive reduced cost
        ``gain + d_e[j] - d_m[i]`` (with ``limit``, each row's ``limit`` largest only), a block
        of rows at a time: ``(rows, cols, reduced costs, pairs scored)``. Needs the rules
        decided by type, or no rules."""
        out_r, out_c, out_v = [], [], []
        step = max(1, (1 << 20) // max(1, self.n))
        for a in range(0, len(rows), step):
            part = rows[a : a + step]
            gain, _ = self.gains(part)
            red = gain + d_e
            red -= d_m[part, None]
            if limit is not None and limit < self.n:
                # Early rounds violate on most of a row: keep each row's best few, as the
                # pair-by-pair scan does, so the candidate lists stay small.
                top = np.argpartition(-red, limit - 1, axis=1)[:, :limit]
                best = np.take_along_axis(red, top, axis=1)
                r, k = np.nonzero(best > 0)
                out_r.append(part[r])
                out_c.append(top[r, k])
                out_v.append(best[r, k])
                continue
            r, c = np.nonzero(red > 0)
            out_r.append(part[r])
            out_c.append(c)
            out_v.append(red[r, c])
        if not out_r:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, 0
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v), len(rows) * self.n

    def allowed_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Mask of the pairs ``(rows[k], cols[k])`` that no rule removes (by type, or rule
        bits row by row)."""
        if not self.has_rules:
            return np.ones(len(rows), dtype=bool)
        if self.typed is not None:
            return self.typed.pairs(rows, cols, self.pair_gains(rows, cols) - self.lift)
        keep = np.zeros(len(rows), dtype=bool)
        order = np.argsort(rows, kind="stable")
        bounds = np.flatnonzero(np.r_[True, rows[order][1:] != rows[order][:-1], True]) if len(rows) else [0]
        for a, b in itertools.pairwise(bounds):
            picked = order[a:b]
            r = rows[picked[:1]]
            c = cols[picked]
            keep[picked] = self.checker.block(r, c, self.scorer.block(r, c))[0] == 0
        return keep


def integer_parts(
    builtin: BuiltinLevels, scale: float, level_gain: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Integer focus / borough / availability parts whose sum is each pair's integer gain,
    or None when rounding does not split exactly (then whole gains are looked up).

    ``round(scale * (wF F + wB B + wA A))`` equals the sum of the rounded
    weighted parts whenever each part is an integer up to float noise; that
    is checked on every level, not assumed.
    """
    w = builtin.weights
    parts = []
    for name, values in (
        ("focus", builtin.focus_values),
        ("borough", builtin.borough_values),
        ("availability", builtin.availability_values),
    ):
        raw = scale * w[name] * np.asarray(values, dtype=float)
        if len(raw) and np.abs(raw - np.rint(raw)).max() > 1e-6:
            return None
        parts.append(np.rint(raw).astype(np.int64))
    kf, kb, ka = len(parts[0]), len(parts[1]), len(parts[2])
    level = np.arange(builtin.n_levels)
    if not (kf and kb):
        return None
    split = parts[0][level // (kb * ka)] + parts[1][(level // ka) % kb] + parts[2][level % ka]
    if not np.array_equal(split, level_gain):
        return None
    fcode = builtin.focus_code // (kb * ka)
    bcode = builtin.borough_code // ka
    return parts[0][fcode], parts[1][bcode], parts[2]


def top_rows(key: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest entries of each row (any order)."""
    if k >= key.shape[1]:
        return np.broadcast_to(np.arange(key.shape[1]), key.shape)
    if k > 8:
        return np.argpartition(key, key.shape[1] - k, axis=1)[:, key.shape[1] - k :]  # never negate: int min
    # A few vectorised argmax passes beat a partial sort for small k.
    work, rows = key.copy(), np.arange(key.shape[0])
    out = np.empty((key.shape[0], k), dtype=np.int64)
    for t in range(k):
        out[:, t] = work.argmax(axis=1)
        work[rows, out[:, t]] = np.iinfo(work.dtype).min
    return out


@dataclass(frozen=True)
class SelectState:
    """What a candidate-selection chunk needs: the space, the column/row samples and
    per-person tie-break codes."""

    space: PairSpace
    perm_rows: np.ndarray
    perm_cols: np.ndarray
    sample_rows: int
    sample_cols: int
    k_row: int
    k_col: int
    tie_rows: np.ndarray
    tie_cols: np.ndarray


def _keys(gain: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """Selection keys: gain first, then a per-pair tie-break (so identical people pick different partners)."""
    excluded = gain <= max(EXCLUDED, np.iinfo(gain.dtype).min)
    wide = gain.dtype != np.int32 or int(gain.max(initial=0)) >= 1 << (30 - _TIE_BITS)
    key = gain.astype(np.int64) << _TIE_BITS | tie if wide else gain << _TIE_BITS | tie.astype(np.int32)
    key[excluded] = np.iinfo(key.dtype).min
    return key


def select_chunk(state: SelectState, kind: str, c: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate arcs of one chunk: mentors ``a:b`` keep their best ``k_row`` among a
    column sample (``kind == "row"``), or mentees ``a:b`` their best ``k_col`` among
    a row sample (``"col"``)."""
    space, m, n = state.space, state.space.m, state.space.n
    if kind == "row":
        cols = np.sort(state.perm_cols[(c * state.sample_cols + np.arange(state.sample_cols)) % n])
        gain, _ = space.gains(slice(a, b), cols, narrow=True)
        tie = state.tie_rows[a:b, None] ^ state.tie_cols[None, cols]
        top = top_rows(_keys(gain, tie), state.k_row)
        rr = np.repeat(np.arange(b - a), top.shape[1])
        cc = top.reshape(-1)
        low = max(EXCLUDED, np.iinfo(gain.dtype).min)
        keep = gain[rr, cc] > low
        rows, picked = a + rr[keep], cols[cc[keep]]
        if space.has_rules and space.typed is None:  # rows carry the search: each sampled mentee's best mentor too
            best = _keys(gain, tie).argmax(axis=0)
            ok = gain[best, np.arange(len(cols))] > low
            rows, picked = np.r_[rows, a + best[ok]], np.r_[picked, cols[ok]]
        return rows, picked
    rows = np.sort(state.perm_rows[(c * state.sample_rows + np.arange(state.sample_rows)) % m])
    gain, _ = space.gains(rows, slice(a, b), narrow=True)
    gain = gain.T  # (mentees, sampled mentors)
    tie = state.tie_cols[a:b, None] ^ state.tie_rows[None, rows]
    top = top_rows(_keys(gain, tie), state.k_col)
    cc = np.repeat(np.arange(b - a), top.shape[1])
    rr = top.reshape(-1)
    keep = gain[cc, rr] > max(EXCLUDED, np.iinfo(gain.dtype).min)
    return rows[rr[keep]], a + cc[keep]


@dataclass(frozen=True)
class ScanState:
    """What a certification chunk needs: the space, the potentials, and the sorted keys of
    pairs already in the graph (or pinned), which are not looked for."""

    space: PairSpace
    d_m: np.ndarray
    d_e: np.ndarray
    outside: np.ndarray
    per_person: int
    tie_rows: np.ndarray
    tie_cols: np.ndarray
    slack: int = 0


def scan_chunk(state: ScanState, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Allowed pairs of mentors ``start:stop`` outside the graph whose reduced cost
    ``gain + d_e[j] - d_m[i]`` is above ``-slack`` (positive: a violation; the others are
    nearly tight): ``(keys, reduced costs, pairs the rules allow)``."""
    space, dm, de = state.space, state.d_m, state.d_e
    rows = slice(start, stop)
    if space.parts is not None and not space.has_rules:
        narrow = space.fits_narrow(dm, de)
        red = space.reduced_costs(rows, slice(None), dm, de, narrow=narrow)
        allowed = red.size
        if space.any_dead or len(space.pin_keys):
            space.exclude(red, rows, slice(None))
    else:
        gain, allowed = space.gains(rows)
        red = gain + de
        red -= dm[start:stop, None]
        red[gain <= EXCLUDED] = np.iinfo(red.dtype).min // 2
    hit = red > 0
    if len(state.outside):  # pairs already in the graph are never violations
        lo, hi = np.searchsorted(state.outside, [start * space.n, stop * space.n])
        inside = state.outside[lo:hi]
        hit[inside // space.n - start, inside % space.n] = False
    per = state.per_person
    budget = per * red.shape[0]
    near = None
    if state.slack and hit.any():
        # Nearly tight pairs come along (a seeded, even thinning when there are many).
        near = (red > -state.slack) & ~hit
        if len(state.outside):
            near[inside // space.n - start, inside % space.n] = False
        count = int(np.count_nonzero(near))
        if count > budget:
            code = (state.tie_rows[start:stop, None] ^ state.tie_cols[None, :]) & 0xFFFF
            near &= code < (0x10000 * budget) // count
    if int(np.count_nonzero(hit)) > budget:
        # Potentials still far off: keep each mentor's few most violated pairs (the
        # mentees' side is capped over all chunks by the caller).
        masked = np.where(hit, red, np.iinfo(red.dtype).min)
        best = top_rows(_keys(masked, state.tie_rows[start:stop, None] ^ state.tie_cols[None, :]), per)
        keep = np.zeros_like(hit)
        keep[np.repeat(np.arange(red.shape[0]), per), best.reshape(-1)] = True
        hit &= keep
    if near is not None:
        hit |= near
    r, c = np.nonzero(hit)
    if not len(r):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), allowed
    v = red[r, c].astype(np.int64)
    ks = (start + r).astype(np.int64) * space.n + c
    return ks, v, allowed

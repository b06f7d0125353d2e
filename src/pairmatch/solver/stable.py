"""Stable matchings from score-derived preferences: deferred acceptance and blocking pairs.

Preferences come from an ``(m, n)`` score matrix (higher is better) and are
made strict by one tie rule, used everywhere in this module (deferred
acceptance, blocking pairs):

* mentor ``i`` ranks mentees by descending ``scores[i, j]``, ties broken by
  ascending mentee index ``j``;
* mentee ``j`` ranks mentors by descending ``scores[i, j]`` (or
  ``mentee_scores[i, j]`` when given), ties broken by ascending mentor
  index ``i``.

A pair that is not ``allowed`` is unacceptable to both sides. Mentors and
mentees have capacities (``0`` takes nobody), so one-to-one, many-to-one and
many-to-many b-matchings are all covered; preferences over sets of partners
are responsive (a set is judged partner by partner with the ranks above).

A matching is *stable* when it has no blocking pair: an allowed pair
``(i, j)`` outside the matching where ``i`` would accept ``j`` (``i`` has a
free place or ranks ``j`` above its worst partner) and ``j`` would accept
``i`` (likewise).

When both sides rank by the same ``scores``, every preference follows one
order of all pairs (descending score, then mentor index, then mentee index),
so there is exactly one stable matching: the greedy one that takes pairs in
that order while both people have room. Both proposers then return it.
Passing ``mentee_scores`` lets mentees rank mentors by scores of their own;
then stable matchings can differ and the proposing side gets its best one.

Everything works on numpy arrays in chunks of rows, so dense ``float32`` or
``float64`` inputs of 10,000 x 10,000 fit in memory next to their input.
Scores must be finite on allowed pairs; other entries are never read as
preferences (they may be ``nan``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["StableMatching", "blocking_pairs", "deferred_acceptance", "is_stable"]

# Elements per chunk of rows: bounds the temporaries of a chunk to some tens of MB.
_CHUNK = 1 << 22
# Candidates kept per proposer between refills; most proposers never need a refill.
_MIN_BUFFER = 64
_MAX_BUFFER = 1024


@dataclass(frozen=True, eq=False)
class StableMatching:
    """A stable matching found by deferred acceptance.

    Unpacks as ``rows, cols``, so ``rows, cols = deferred_acceptance(...)``
    works; the other fields say how the matching was reached.

    Attributes
    ----------
    rows, cols : numpy.ndarray
        Mentor and mentee index of each pair (``int64``, read-only), sorted by
        ``(row, col)``.
    proposer : {"mentor", "mentee"}
        The side that proposed; the matching is optimal for that side among
        all stable matchings.
    rounds : int
        Number of rounds in which at least one proposal was made (a proposer
        with more than 1,024 free places spreads its proposals over rounds).
    proposals : int
        Total number of proposals made.

    Examples
    --------
    >>> import numpy as np
    >>> result = deferred_acceptance(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> rows, cols = result
    >>> rows.tolist(), cols.tolist(), result.rounds, result.proposals
    ([0, 1], [0, 1], 1, 2)
    """

    rows: np.ndarray
    cols: np.ndarray
    proposer: Literal["mentor", "mentee"]
    rounds: int
    proposals: int

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.rows, self.cols))

    def __len__(self) -> int:
        """Number of pairs."""
        return len(self.rows)


# --- input checks ------------------------------------------------------------------------------


def _as_scores(scores: ArrayLike) -> np.ndarray:
    s = np.asarray(scores)
    if s.ndim != 2:
        raise ValueError(f"scores must be a 2-D (mentors, mentees) array, got shape {s.shape}")
    if s.dtype.kind == "f":
        return s
    if s.dtype.kind in "biu":
        return s.astype(np.float64)
    raise ValueError(f"scores must be real numbers, got dtype {s.dtype}")


def _as_allowed(allowed: ArrayLike | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if allowed is None:
        return None
    a = np.asarray(allowed)
    if a.dtype != np.bool_:
        raise ValueError(f"allowed must be a boolean array, got dtype {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"allowed has shape {a.shape}, scores have shape {shape}")
    return a


def _as_capacity(cap: ArrayLike | None, size: int, side: str) -> np.ndarray:
    if cap is None:
        return np.ones(size, dtype=np.int64)
    c = np.asarray(cap)
    if c.shape != (size,):
        raise ValueError(f"{side}_cap must have shape ({size},), got {c.shape}")
    if c.dtype.kind == "f" and np.all(np.isfinite(c)) and np.all(c == np.round(c)):
        c = c.astype(np.int64)
    if c.dtype.kind not in "iu":
        raise ValueError(f"{side}_cap must hold integers, got dtype {c.dtype}")
    if size and c.min() < 0:
        bad = int(np.flatnonzero(c < 0)[0])
        raise ValueError(f"{side}_cap must be non-negative; {side} {bad} has capacity {int(c[bad])}")
    return c.astype(np.int64)


def _check_finite(s: np.ndarray, allowed: np.ndarray | None, name: str) -> None:
    """Scores on allowed pairs must be finite: nan or inf cannot be ranked."""
    step = max(1, _CHUNK // max(1, s.shape[1]))
    for r0 in range(0, s.shape[0], step):
        block = s[r0 : r0 + step]
        ok = np.isfinite(block)
        if ok.all():
            continue
        if allowed is not None:
            ok |= ~allowed[r0 : r0 + step]
        if not ok.all():
            i, j = np.argwhere(~ok)[0]
            raise ValueError(f"{name} must be finite on allowed pairs; {name}[{r0 + i}, {j}] is {block[i, j]}")


def _prepare(
    scores: ArrayLike,
    allowed: ArrayLike | None,
    mentor_cap: ArrayLike | None,
    mentee_cap: ArrayLike | None,
    mentee_scores: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Checked arrays: mentors' scores, mentees' scores (the same array by default), mask, capacities."""
    s = _as_scores(scores)
    a = _as_allowed(allowed, s.shape)
    m, n = s.shape
    mcap = _as_capacity(mentor_cap, m, "mentor")
    ecap = _as_capacity(mentee_cap, n, "mentee")
    _check_finite(s, a, "scores")
    if mentee_scores is None:
        return s, s, a, mcap, ecap
    t = _as_scores(mentee_scores)
    if t.shape != s.shape:
        raise ValueError(f"mentee_scores has shape {t.shape}, scores have shape {s.shape}")
    _check_finite(t, a, "mentee_scores")
    return s, t, a, mcap, ecap


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(starts[k], starts[k] + counts[k])`` over ``k``."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    out: np.ndarray = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - counts), counts)
    return out


# --- deferred acceptance -----------------------------------------------------------------------


def _at(matrix: np.ndarray, prop: np.ndarray, recv: np.ndarray, mentor_side: bool) -> np.ndarray:
    """Entries of a ``(mentor, mentee)`` matrix for proposer-receiver pairs."""
    entries: np.ndarray = matrix[prop, recv] if mentor_side else matrix[recv, prop]
    return entries


def _transpose(a: np.ndarray) -> np.ndarray:
    """``a.T`` as a C-contiguous copy, in tiles of rows (several times faster than one copy)."""
    out = np.empty(a.shape[::-1], dtype=a.dtype)
    tile = 512
    for r0 in range(0, a.shape[0], tile):
        out[:, r0 : r0 + tile] = a[r0 : r0 + tile].T
    return out


def _nonzero(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D mask; the flat form is several times faster."""
    flat = np.flatnonzero(mask)
    return np.divmod(flat, mask.shape[1])


def _top_candidates(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best columns of each row in preference order, ``-1`` padded.

    ``values`` holds ``-inf`` where a column is not a candidate (real scores
    are finite); order is descending value, then ascending column.
    Returns the ``(b, k)`` candidates and how many of them are real.
    """
    b, r = values.shape
    top = np.full((b, k), -1, dtype=np.int32)
    count = np.zeros(b, dtype=np.int64)
    every_row = np.arange(b)
    if k >= r:
        _keep_best(values, *_nonzero(values > -np.inf), np.full(b, -np.inf), k, top, count, every_row)
        return top, count
    # A threshold from every step-th column usually leaves a few times k columns
    # at or above it: one compare of the row instead of a partition of it.
    step = max(1, r // (8 * k))
    sample = values[:, ::step]
    q = min(sample.shape[1], 2 * (-(-k // step)) + 2)
    guess = np.partition(sample, sample.shape[1] - q, axis=1)[:, sample.shape[1] - q]
    rr, cc = _nonzero(values >= guess[:, None])
    enough = (guess > -np.inf) & (np.bincount(rr, minlength=b) >= k)
    keep = enough[rr]
    _keep_best(values, rr[keep], cc[keep], guess, k, top, count, every_row)
    rest = np.flatnonzero(~enough)
    if len(rest):
        # Exact k-th value for rows the sample misjudged (or with under k candidates).
        sub = values[rest]
        kth = np.partition(sub, r - k, axis=1)[:, r - k]
        _keep_best(sub, *_nonzero(sub >= kth[:, None]), kth, k, top, count, rest)
    return top, count


def _keep_best(
    values: np.ndarray,
    rr: np.ndarray,
    cc: np.ndarray,
    level: np.ndarray,
    k: int,
    top: np.ndarray,
    count: np.ndarray,
    out_rows: np.ndarray,
) -> None:
    """Write the best ``k`` of the candidates ``(rr, cc)`` into ``top[out_rows[rr]]``, in order.

    ``(rr, cc)`` come from `_nonzero` (sorted by row, then column) and hold
    every real entry above ``level[rr]``, plus entries equal to it, and the
    row's best ``k`` are among them. ``-inf`` entries are not real and dropped.
    """
    vv = values[rr, cc]
    real = vv > -np.inf
    rr, cc, vv = rr[real], cc[real], vv[real]
    # Ties at the level: the tie rule takes the lowest columns first, so only the
    # first few of a (possibly long) run of equal values need sorting.
    at_level = vv == level[rr]
    room = k - np.bincount(rr[~at_level], minlength=len(out_rows))
    level_rank = np.cumsum(at_level)
    first = np.searchsorted(rr, np.arange(len(out_rows)))
    level_rank -= np.concatenate(([0], level_rank))[first][rr] + 1
    keep = ~at_level | (level_rank < room[rr])
    rr, cc, vv = rr[keep], cc[keep], vv[keep]
    # lexsort is stable and cc already ascends within each row.
    order = np.lexsort((-vv, rr))
    rr, cc = rr[order], cc[order]
    rank = np.arange(len(rr)) - np.searchsorted(rr, rr)
    best = rank < k
    top[out_rows[rr[best]], rank[best]] = cc[best]
    count[out_rows] = np.minimum(np.bincount(rr, minlength=len(out_rows)), k)


class _Proposers:
    """Each proposer's next candidates, in preference order, refilled lazily.

    ``s`` holds the proposers' own scores in ``(mentor, mentee)`` layout. Only
    the best ``width`` not-yet-proposed receivers of a proposer are kept;
    when a proposer needs more, its row is scanned again from the last
    receiver it proposed to. Memory is ``O(proposers * width)``.
    """

    def __init__(
        self, s: np.ndarray, allowed: np.ndarray | None, mentor_side: bool, receiver_open: np.ndarray, width: int
    ) -> None:
        self.s, self.allowed, self.mentor_side = s, allowed, mentor_side
        self.receiver_open = receiver_open
        p = s.shape[0] if mentor_side else s.shape[1]
        self.n_receivers = s.shape[1] if mentor_side else s.shape[0]
        self.width = width
        self.max_width = max(width, min(self.n_receivers, _MAX_BUFFER))
        self.refilled = 0
        self.buf = np.full((p, width), -1, dtype=np.int32)
        self.length = np.zeros(p, dtype=np.int64)
        self.pos = np.zeros(p, dtype=np.int64)
        self.final = np.zeros(p, dtype=bool)  # buffer holds the whole rest of the list
        self.last_s = np.full(p, np.inf)
        self.last_j = np.full(p, -1, dtype=np.int64)

    def _rows(self, idx: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray | None]:
        """Scores and allowed mask of proposers ``idx``, one proposer per row."""
        if self.mentor_side:
            a = None if self.allowed is None else self.allowed[idx]
            return self.s[idx], a
        a = None if self.allowed is None else _transpose(self.allowed[:, idx])
        return _transpose(self.s[:, idx]), a

    def score(self, prop: np.ndarray, recv: np.ndarray) -> np.ndarray:
        """How proposers ``prop`` score receivers ``recv``."""
        return _at(self.s, prop, recv, self.mentor_side)

    def fill(self, idx: np.ndarray) -> None:
        """Reload the buffers of proposers ``idx`` (sorted) after their last proposal."""
        r = self.n_receivers
        step = max(1, _CHUNK // max(1, r))
        cols = np.arange(r)
        for c0 in range(0, len(idx), step):
            chunk = idx[c0 : c0 + step]
            contiguous = len(chunk) and chunk[-1] - chunk[0] == len(chunk) - 1
            rows, allowed = self._rows(slice(chunk[0], chunk[-1] + 1) if contiguous else chunk)
            ok = self.receiver_open[None, :] if allowed is None else allowed & self.receiver_open
            started = self.last_j[chunk] >= 0
            if started.any():
                ls, lj = self.last_s[chunk, None], self.last_j[chunk, None]
                ok = ok & ((rows < ls) | ((rows == ls) & (cols > lj)))
            values = rows if ok.all() else np.where(ok, rows, -np.inf)
            top, count = _top_candidates(values, self.width)
            self.buf[chunk] = top
            self.length[chunk] = count
            self.pos[chunk] = 0
            # Final: the buffer holds every candidate left, so no refill can find more.
            self.final[chunk] = np.broadcast_to(ok, rows.shape).sum(axis=1) <= self.width

    def take(self, active: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Next ``need`` candidates of each active proposer (fewer when its list ends)."""
        short = (self.length[active] - self.pos[active] < need) & ~self.final[active]
        if short.any():
            self.refilled += int(short.sum())
            if self.refilled > len(self.buf) // 8 and self.width < self.max_width:
                # Proposers go deep down their lists (correlated or tied scores): each
                # refill scans a whole row, so fetch more candidates per scan.
                self.width = min(2 * self.width, self.max_width)
                wider = np.full((len(self.buf), self.width), -1, dtype=np.int32)
                wider[:, : self.buf.shape[1]] = self.buf
                self.buf, self.refilled = wider, 0
            self.fill(active[short])
        count = np.minimum(need, self.length[active] - self.pos[active])
        prop = np.repeat(active, count)
        recv = self.buf[prop, _ragged(self.pos[active], count)].astype(np.int64)
        self.pos[active] += count
        proposed = active[count > 0]
        self.last_j[proposed] = self.buf[proposed, self.pos[proposed] - 1]
        self.last_s[proposed] = self.score(proposed, self.last_j[proposed])
        return prop, recv, count

    def exhausted(self, idx: np.ndarray) -> np.ndarray:
        done: np.ndarray = self.final[idx] & (self.pos[idx] >= self.length[idx])
        return done


def deferred_acceptance(
    scores: ArrayLike,
    allowed: ArrayLike | None = None,
    mentor_cap: ArrayLike | None = None,
    mentee_cap: ArrayLike | None = None,
    *,
    proposer: Literal["mentor", "mentee"] = "mentor",
    mentee_scores: ArrayLike | None = None,
) -> StableMatching:
    """Stable matching by deferred acceptance (Gale–Shapley) with capacities on both sides.

    Every proposer with a free place proposes, all at once, to its best
    receivers not yet tried, as many as it has free places; each receiver
    keeps its best proposals up to its capacity and rejects the rest; the
    rejected proposers go on down their lists in the next round. The result
    is pairwise stable and optimal for the proposing side among all stable
    matchings (and the worst stable matching for the other side in one-to-one
    and many-to-one instances). With one score matrix for both sides the
    stable matching is unique, so ``proposer`` only matters with
    ``mentee_scores``.

    Parameters
    ----------
    scores : array_like, shape (m, n)
        Pair scores, higher is better; mentor ``i`` is row ``i``. Must be
        finite on allowed pairs. Preferences are strict by the module's tie
        rule: descending score, then ascending index of the other person.
    allowed : array_like of bool, shape (m, n), optional
        Acceptable pairs (default: all). A pair that is not allowed is
        unacceptable to both sides.
    mentor_cap, mentee_cap : array_like of int, shapes (m,) and (n,), optional
        Most partners each person can have (default: 1 each, one-to-one).
    proposer : {"mentor", "mentee"}
        Which side proposes, and so which side the result favours.
    mentee_scores : array_like, shape (m, n), optional
        How mentee ``j`` scores mentor ``i``, when mentees rank by scores of
        their own (default: ``scores``). Same tie rule and finiteness.

    Returns
    -------
    StableMatching
        Unpacks as ``rows, cols``: the pairs, sorted by ``(row, col)``.

    Raises
    ------
    ValueError
        On a bad shape, dtype, capacity or ``proposer``, or a non-finite
        score on an allowed pair.

    Notes
    -----
    Rounds are vectorised: proposals of one round are resolved by sorting
    them together with the receivers' current holds. Each proposer keeps a
    short buffer of its next candidates, refilled from its score row when
    used up, so no full preference matrix is ever built.

    Examples
    --------
    Both mentors like mentee 0 best; mentee 0 prefers mentor 1.

    >>> import numpy as np
    >>> scores = np.array([[0.9, 0.5],
    ...                    [0.8, 0.2]])
    >>> rows, cols = deferred_acceptance(scores)
    >>> list(zip(rows.tolist(), cols.tolist()))
    [(0, 0), (1, 1)]

    A mentor with two places, and a pair that is not allowed:

    >>> allowed = np.array([[True, True], [True, False]])
    >>> result = deferred_acceptance(scores, allowed, mentor_cap=[2, 1], proposer="mentee")
    >>> list(zip(result.rows.tolist(), result.cols.tolist())), result.proposer
    ([(0, 0), (0, 1)], 'mentee')

    When mentees rank by scores of their own, each side does best when it
    proposes:

    >>> mentors_view = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> mentees_view = np.array([[1.0, 2.0], [2.0, 1.0]])
    >>> deferred_acceptance(mentors_view, mentee_scores=mentees_view).cols.tolist()
    [0, 1]
    >>> deferred_acceptance(mentors_view, mentee_scores=mentees_view, proposer="mentee").cols.tolist()
    [1, 0]
    """
    if proposer not in ("mentor", "mentee"):
        raise ValueError(f"proposer must be 'mentor' or 'mentee', got {proposer!r}")
    s, t, allowed, mcap, ecap = _prepare(scores, allowed, mentor_cap, mentee_cap, mentee_scores)
    mentor_side = proposer == "mentor"
    own, theirs = (s, t) if mentor_side else (t, s)  # how proposers / receivers score pairs
    pcap, rcap = (mcap, ecap) if mentor_side else (ecap, mcap)
    n_prop, n_recv = len(pcap), len(rcap)
    # Nobody can hold more partners than there are people on the other side.
    pcap = np.minimum(pcap, n_recv)
    rcap = np.minimum(rcap, n_prop)

    width = int(min(n_recv, max(_MIN_BUFFER, min(_MAX_BUFFER, 2 * int(pcap.max(initial=0))))))
    props = _Proposers(own, allowed, mentor_side, rcap > 0, max(width, 1))

    # Receiver j holds its accepted proposals in slots off[j] .. off[j] + held[j], best first.
    off = np.concatenate(([0], np.cumsum(rcap)[:-1])).astype(np.int64) if n_recv else np.zeros(0, np.int64)
    slot_p = np.full(int(rcap.sum()), -1, dtype=np.int64)
    slot_s = np.zeros(int(rcap.sum()))
    held = np.zeros(n_recv, dtype=np.int64)
    worst_s = np.full(n_recv, np.inf)  # the receiver's worst hold, read only when it is full
    worst_p = np.full(n_recv, -1, dtype=np.int64)
    outstanding = np.zeros(n_prop, dtype=np.int64)  # proposals a proposer has not had rejected

    active = np.flatnonzero(pcap > 0)
    if len(active) and n_recv:
        props.fill(active)
    active = active[~props.exhausted(active)]
    rounds = proposals = 0
    while len(active):
        need = pcap[active] - outstanding[active]
        prop, recv, count = props.take(active, need)
        if not len(prop):
            break
        rounds += 1
        proposals += len(prop)
        outstanding[active] += count
        score = _at(theirs, prop, recv, mentor_side).astype(np.float64)

        # A full receiver turns down anyone it ranks below its worst hold at once.
        full = held[recv] == rcap[recv]
        ws, wp = worst_s[recv], worst_p[recv]
        worse = full & ((score < ws) | ((score == ws) & (prop > wp)))
        rejected = [prop[worse]]
        prop, recv, score = prop[~worse], recv[~worse], score[~worse]
        if len(prop):
            touched = np.unique(recv)
            slots = _ragged(off[touched], held[touched])
            all_p = np.concatenate((slot_p[slots], prop))
            all_r = np.concatenate((np.repeat(touched, held[touched]), recv))
            all_s = np.concatenate((slot_s[slots], score))
            order = np.lexsort((all_p, -all_s, all_r))
            all_p, all_r, all_s = all_p[order], all_r[order], all_s[order]
            rank = np.arange(len(all_r)) - np.searchsorted(all_r, all_r)
            keep = rank < rcap[all_r]
            rejected.append(all_p[~keep])
            slot_p[off[all_r[keep]] + rank[keep]] = all_p[keep]
            slot_s[off[all_r[keep]] + rank[keep]] = all_s[keep]
            held[touched] = np.minimum(
                np.bincount(np.searchsorted(touched, all_r), minlength=len(touched)), rcap[touched]
            )
            last = off[touched] + held[touched] - 1
            worst_s[touched], worst_p[touched] = slot_s[last], slot_p[last]
        losers, lost = np.unique(np.concatenate(rejected), return_counts=True)
        outstanding[losers] -= lost
        # Proposers with free places left: the rejected, and any whose buffer ran short.
        again = np.union1d(losers, active[count < need])
        active = again[~props.exhausted(again)]

    recv_of_slot = np.repeat(np.arange(n_recv), held)
    prop_of_slot = slot_p[_ragged(off, held)]
    rows, cols = (prop_of_slot, recv_of_slot) if mentor_side else (recv_of_slot, prop_of_slot)
    order = np.lexsort((cols, rows))
    rows, cols = rows[order].astype(np.int64), cols[order].astype(np.int64)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return StableMatching(rows, cols, proposer, rounds, proposals)


# --- blocking pairs ----------------------------------------------------------------------------


def _worst_partners(s: np.ndarray, first: np.ndarray, second: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each person's worst partner by the tie rule: ``(score, index)``; ``(inf, -1)`` if none.

    Pair ``k`` joins person ``first[k]`` to partner ``second[k]`` with score ``s[k]``.
    """
    worst_s = np.full(size, np.inf)
    worst_x = np.full(size, -1, dtype=np.int64)
    if len(first):
        # Worst = lowest score, then highest index: the last after this sort.
        order = np.lexsort((second, -s, first))
        f = first[order]
        last = np.r_[f[1:] != f[:-1], True]
        worst_s[f[last]] = s[order][last]
        worst_x[f[last]] = second[order][last]
    return worst_s, worst_x


def _check_matching(
    s: np.ndarray,
    allowed: np.ndarray | None,
    mcap: np.ndarray,
    ecap: np.ndarray,
    rows: ArrayLike,
    cols: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    m, n = s.shape
    r = np.asarray(rows)
    c = np.asarray(cols)
    if r.ndim != 1 or c.ndim != 1 or len(r) != len(c):
        raise ValueError(f"rows and cols must be 1-D of equal length, got shapes {r.shape} and {c.shape}")
    if len(r) and (r.dtype.kind not in "iu" or c.dtype.kind not in "iu"):
        raise ValueError(f"rows and cols must hold integer indices, got {r.dtype} and {c.dtype}")
    r, c = r.astype(np.int64), c.astype(np.int64)
    if len(r):
        if r.min() < 0 or r.max() >= m:
            bad = int(r[(r < 0) | (r >= m)][0])
            raise ValueError(f"mentor index {bad} out of range for {m} mentors")
        if c.min() < 0 or c.max() >= n:
            bad = int(c[(c < 0) | (c >= n)][0])
            raise ValueError(f"mentee index {bad} out of range for {n} mentees")
    key = r * n + c
    uniq, counts = np.unique(key, return_counts=True)
    if (counts > 1).any():
        dup = int(uniq[counts > 1][0])
        raise ValueError(f"pair ({dup // n}, {dup % n}) appears more than once in the matching")
    for idx, cap, side in ((r, mcap, "mentor"), (c, ecap, "mentee")):
        degree = np.bincount(idx, minlength=len(cap))
        over = np.flatnonzero(degree > cap)
        if len(over):
            k = int(over[0])
            raise ValueError(f"{side} {k} has {int(degree[k])} partners but capacity {int(cap[k])}")
    if allowed is not None and len(r) and not allowed[r, c].all():
        k = int(np.flatnonzero(~allowed[r, c])[0])
        raise ValueError(f"pair ({int(r[k])}, {int(c[k])}) is in the matching but not allowed")
    return r, c


def blocking_pairs(
    scores: ArrayLike,
    allowed: ArrayLike | None,
    mentor_cap: ArrayLike | None,
    mentee_cap: ArrayLike | None,
    rows: ArrayLike,
    cols: ArrayLike,
    *,
    mentee_scores: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair that blocks the matching ``(rows, cols)``.

    An allowed pair ``(i, j)`` not in the matching blocks it when mentor
    ``i`` would accept mentee ``j`` (``i`` has fewer partners than its
    capacity, or ranks ``j`` above its worst partner) and ``j`` would accept
    ``i`` (likewise). Ranks follow the module's tie rule.

    Parameters
    ----------
    scores : array_like, shape (m, n)
        Pair scores, higher is better; finite on allowed pairs.
    allowed : array_like of bool, shape (m, n), or None
        Acceptable pairs; ``None`` allows every pair.
    mentor_cap, mentee_cap : array_like of int, shapes (m,) and (n,), or None
        Capacities; ``None`` means 1 each.
    rows, cols : array_like of int
        The matching: mentor and mentee index of each pair.
    mentee_scores : array_like, shape (m, n), optional
        How mentee ``j`` scores mentor ``i`` (default: ``scores``).

    Returns
    -------
    b_rows, b_cols : numpy.ndarray
        The blocking pairs (``int64``), sorted by ``(row, col)``.

    Raises
    ------
    ValueError
        When the matching is not a matching of this instance: an index out
        of range, a pair listed twice, a capacity exceeded or a pair that is
        not allowed (also on bad scores or capacities).

    Examples
    --------
    Mentor 0 and mentee 0 rank each other first but are not paired:

    >>> import numpy as np
    >>> scores = np.array([[0.9, 0.5],
    ...                    [0.8, 0.2]])
    >>> b_rows, b_cols = blocking_pairs(scores, None, None, None, [0, 1], [1, 0])
    >>> list(zip(b_rows.tolist(), b_cols.tolist()))
    [(0, 0)]

    Free places block too: mentee 0 has a second place and mentor 0 has
    nobody, so mentor 0 blocks with both mentees.

    >>> blocking_pairs(scores, None, None, [2, 1], [1], [0])
    (array([0, 0]), array([0, 1]))
    """
    s, t, allowed, mcap, ecap = _prepare(scores, allowed, mentor_cap, mentee_cap, mentee_scores)
    m, n = s.shape
    r, c = _check_matching(s, allowed, mcap, ecap, rows, cols)
    m_free = np.bincount(r, minlength=m) < mcap
    e_free = np.bincount(c, minlength=n) < ecap
    m_ws, m_wx = _worst_partners(s[r, c].astype(np.float64), r, c, m)
    e_ws, e_wx = _worst_partners(t[r, c].astype(np.float64), c, r, n)
    col_idx = np.arange(n)
    step = max(1, _CHUNK // max(1, n))
    found_r, found_c = [], []
    by_row = np.argsort(r, kind="stable")
    row_start = np.searchsorted(r[by_row], np.arange(0, m + step, step))
    for k, r0 in enumerate(range(0, m, step)):
        block, theirs = s[r0 : r0 + step], t[r0 : r0 + step]
        b = block.shape[0]
        row_idx = np.arange(r0, r0 + b)[:, None]
        ws, wx = m_ws[r0 : r0 + b, None], m_wx[r0 : r0 + b, None]
        mentor_wants = m_free[r0 : r0 + b, None] | (block > ws) | ((block == ws) & (col_idx < wx))
        mentee_wants = e_free | (theirs > e_ws) | ((theirs == e_ws) & (row_idx < e_wx))
        blocks = mentor_wants & mentee_wants
        if allowed is not None:
            blocks &= allowed[r0 : r0 + b]
        inside = by_row[row_start[k] : row_start[k + 1]]
        blocks[r[inside] - r0, c[inside]] = False
        bi, bj = np.nonzero(blocks)
        found_r.append(bi + r0)
        found_c.append(bj)
    if not found_r:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return (np.concatenate(found_r).astype(np.int64), np.concatenate(found_c).astype(np.int64))


def is_stable(
    scores: ArrayLike,
    allowed: ArrayLike | None,
    mentor_cap: ArrayLike | None,
    mentee_cap: ArrayLike | None,
    rows: ArrayLike,
    cols: ArrayLike,
    *,
    mentee_scores: ArrayLike | None = None,
) -> bool:
    """Whether the matching ``(rows, cols)`` has no blocking pair.

    Same parameters and checks as `blocking_pairs`.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[0.9, 0.5],
    ...                    [0.8, 0.2]])
    >>> is_stable(scores, None, None, None, [0, 1], [0, 1])
    True
    >>> is_stable(scores, None, None, None, [0, 1], [1, 0])
    False
    """
    b_rows, _ = blocking_pairs(scores, allowed, mentor_cap, mentee_cap, rows, cols, mentee_scores=mentee_scores)
    return len(b_rows) == 0

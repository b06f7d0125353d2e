"""Score every candidate pair: pure numpy, one ``(n_mentors, n_mentees)`` array per component.

Components, each in [0, 1]:

``focus``
    ``max over (a in mentor topics, b in mentee topics) of decay ** dist(a, b)``
    in the focus taxonomy (0 beyond ``max_distance`` or when a side lists no
    topic). An exact shared topic scores 1.
``borough``
    ``max over (a in mentor boroughs, b in mentee boroughs)`` of the relation
    score: same borough > adjacent > same BCU > two borders apart > far.
``availability``
    ``min(1, overlap / meeting)``: common weekly minutes relative to the
    meeting length the programme needs.

The combined score is ``sum(weight[c] * component[c])``.

People with the same set of topics (or boroughs) share a *profile*; the
profile-by-profile matrix is small and gathered per pair, so focus and
borough scores cost one array gather each. Availability is a popcount of
packed bitsets, computed once per distinct weekly pattern. Rows are
processed in chunks so memory stays bounded; chunks may run on any
``concurrent.futures.Executor``.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from .availability import SLOT_MINUTES, pack_slots, window_slots
from .models import Person, Problem
from .params import COMPONENTS

__all__ = ["COMPONENTS", "ScoreTable", "Scorer", "score"]

DEFAULT_CHUNK_CELLS = 1 << 22

Columns = slice | np.ndarray | None
Rows = np.ndarray | None


def _profiles(
    people: Sequence[Person], items: Callable[[Person], Sequence[str]], index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Group people by their set of items: ``(codes (n,), incidence (n_profiles, n_items))``."""
    keys: dict[frozenset[int], int] = {}
    codes = np.empty(len(people), dtype=np.int64)
    for row, person in enumerate(people):
        key = frozenset(index[x] for x in items(person))
        codes[row] = keys.setdefault(key, len(keys))
    incidence = np.zeros((len(keys), len(index)), dtype=bool)
    for key, code in keys.items():
        incidence[code, list(key)] = True
    return codes, incidence


def profile_matrix(
    left: np.ndarray, pair_values: np.ndarray, right: np.ndarray, *, best: str = "max", empty: float = 0.0
) -> np.ndarray:
    """For every (left profile p, right profile q), the best ``pair_values[a, b]``
    over ``a`` in p and ``b`` in q.

    ``best`` is ``"max"`` or ``"min"``; profile pairs with an empty side get ``empty``.
    The loops run over items (tens), never over people.
    """
    reduce = np.maximum if best == "max" else np.minimum
    identity = -np.inf if best == "max" else np.inf
    values = pair_values.astype(float)
    reach = np.full((left.shape[0], values.shape[1]), identity)
    for a in range(values.shape[0]):
        rows = left[:, a]
        reach[rows] = reduce(reach[rows], values[a])
    out = np.full((left.shape[0], right.shape[0]), identity)
    for b in range(values.shape[1]):
        cols = right[:, b]
        out[:, cols] = reduce(out[:, cols], reach[:, b : b + 1])
    out[~np.isfinite(out)] = empty
    return out


@dataclass(frozen=True)
class ScoreTable:
    """Scored candidate pairs: the arrays every later stage reads.

    Attributes
    ----------
    components : dict of str to ndarray
        ``(n_mentors, n_mentees)`` float64 arrays in [0, 1], read-only.
    weights : dict of str to float
    total : ndarray
        The combined score.
    overlap_minutes : ndarray
        Common weekly minutes per pair (int32), behind the availability score.
    """

    components: dict[str, np.ndarray]
    weights: dict[str, float]
    total: np.ndarray
    overlap_minutes: np.ndarray = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return self.total.shape

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        """Raw component values of pair (mentor i, mentee j)."""
        return {name: float(arr[i, j]) for name, arr in self.components.items()}


class Scorer:
    """Precomputed per-person data; scores any block of mentor rows on demand.

    Every component takes few distinct values: the focus and borough scores
    come from small profile-by-profile matrices and the availability score
    only depends on the overlap up to one meeting length. Each pair is
    therefore scored as a *level*: an index into tables of exact float64
    values, computed once with the same arithmetic as the weighted sum, so
    results do not depend on chunking or on where a chunk runs.

    Examples
    --------
    >>> from pairmatch.datasets import pilot_problem
    >>> scorer = Scorer(pilot_problem())
    >>> block = scorer.block(0, 1)
    >>> round(float(block["total"][0, 0]), 3)
    0.88
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.weights = problem.weights.as_dict()
        tax, geo = problem.taxonomy, problem.geography
        mentors, mentees = problem.mentors, problem.mentees

        def topics(p: Person) -> Sequence[str]:
            return p.focus_areas

        def places(p: Person) -> Sequence[str]:
            return p.boroughs

        self.focus_left, focus_l = _profiles(mentors, topics, tax.index)
        self.focus_right, focus_r = _profiles(mentees, topics, tax.index)
        self.focus_profiles = profile_matrix(focus_l, tax.similarity, focus_r)
        self.place_left, place_l = _profiles(mentors, places, geo.index)
        self.place_right, place_r = _profiles(mentees, places, geo.index)
        self.place_incidence = (place_l, place_r)
        self.borough_profiles = profile_matrix(place_l, geo.similarity, place_r)
        self.meeting_minutes = problem.meeting_minutes
        left = pack_slots(window_slots(p.availability) for p in mentors)
        right = pack_slots(window_slots(p.availability) for p in mentees)
        self.slots_left, self.slots_right = _common_slots(left, right)
        # Mentees sharing a weekly pattern share their overlap with any mentor.
        self.slot_types, self.slot_type_right = np.unique(self.slots_right, axis=0, return_inverse=True)
        self.slot_type_right = self.slot_type_right.reshape(-1)
        self.slot_types_by_word = np.ascontiguousarray(self.slot_types.T)
        self._levels()

    def _levels(self) -> None:
        """Level codes and the exact value tables behind them."""
        self.focus_values, fcode = np.unique(self.focus_profiles, return_inverse=True)
        self.borough_values, bcode = np.unique(self.borough_profiles, return_inverse=True)
        # An empty side has no profile pairs; one dummy level keeps the tables well formed.
        if not len(self.focus_values):
            self.focus_values = np.zeros(1)
        if not len(self.borough_values):
            self.borough_values = np.zeros(1)
        # Availability is min(1, overlap / meeting): overlaps beyond `cap` slots all score 1.
        self.cap = -(-self.meeting_minutes // SLOT_MINUTES)
        slots = np.arange(self.cap + 1)
        self.availability_values = np.minimum(slots * SLOT_MINUTES / self.meeting_minutes, 1.0)
        kf, kb, ka = len(self.focus_values), len(self.borough_values), self.cap + 1
        self.n_levels = max(1, kf * kb * ka)
        self.level_dtype = np.min_scalar_type(self.n_levels - 1)
        self.focus_code = (fcode.reshape(self.focus_profiles.shape) * (kb * ka)).astype(self.level_dtype)
        self.borough_code = (bcode.reshape(self.borough_profiles.shape) * ka).astype(self.level_dtype)
        level = np.arange(self.n_levels)
        parts = {
            "focus": self.focus_values[level // (kb * ka)],
            "borough": self.borough_values[(level // ka) % kb],
            "availability": self.availability_values[level % ka],
        }
        # The same operations, in the same order, as a per-pair weighted sum.
        total = np.zeros(self.n_levels)
        for name in COMPONENTS:
            if self.weights[name]:
                total += self.weights[name] * parts[name]
        self.level_values = {**parts, "total": total}

    def __getstate__(self) -> dict:
        # Chunks shipped to other processes need the arrays, not the people.
        return {**self.__dict__, "problem": None}

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.focus_left), len(self.focus_right)

    def _slot_counts(self, start: int, stop: int | None = None, *, rows: Rows = None,
                     types: np.ndarray | None = None) -> np.ndarray:
        """Common slots of mentors ``start:stop`` (or ``rows``) with each weekly pattern
        of mentees (or the patterns ``types``)."""
        left, types = self.slots_left[_rows(start, stop, rows)], (
            self.slot_types_by_word if types is None else self.slot_types_by_word[:, types])
        count = np.zeros((left.shape[0], types.shape[1]), dtype=np.uint16)
        for word in range(left.shape[1]):
            count += np.bitwise_count(left[:, word, None] & types[word])
        return count

    def overlap_minutes(self, start: int, stop: int, cols: Columns = None) -> np.ndarray:
        """Common weekly minutes of mentors ``start:stop`` with mentees ``cols`` (default all)."""
        counts = self._slot_counts(start, stop).astype(np.int32) * SLOT_MINUTES
        return np.take(counts, self.slot_type_right[_cols(cols)], axis=1)

    def levels(self, start: int, stop: int, cols: Columns = None, *, rows: Rows = None) -> np.ndarray:
        """Level code of each pair of mentors ``start:stop`` (or the index array
        ``rows``) and mentees ``cols`` (default all).

        ``level_values[name][code]`` is the pair's component or total score.
        """
        cols, rows = _cols(cols), _rows(start, stop, rows)
        code = np.take(self.focus_code[self.focus_left[rows]], self.focus_right[cols], axis=1)
        code += np.take(self.borough_code[self.place_left[rows]], self.place_right[cols], axis=1)
        avail = np.minimum(self._slot_counts(0, rows=rows), self.cap).astype(self.level_dtype)
        code += np.take(avail, self.slot_type_right[cols], axis=1)
        return code

    def pair_levels(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Level codes of the pairs ``(rows[k], cols[k])`` (same tables as `levels`)."""
        code = self.focus_code[self.focus_left[rows], self.focus_right[cols]]
        code = code + self.borough_code[self.place_left[rows], self.place_right[cols]]
        count = np.zeros(len(code), dtype=np.uint16)
        for word in range(self.slots_left.shape[1]):
            count += np.bitwise_count(self.slots_left[rows, word] & self.slots_right[cols, word])
        return code + np.minimum(count, self.cap).astype(self.level_dtype)

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Components, ``total`` and ``overlap_minutes`` of the pairs ``(rows[k], cols[k])``."""
        code = self.pair_levels(rows, cols)
        out = {name: np.take(values, code) for name, values in self.level_values.items()}
        count = np.zeros(len(code), dtype=np.int32)
        for word in range(self.slots_left.shape[1]):
            count += np.bitwise_count(self.slots_left[rows, word] & self.slots_right[cols, word])
        out["overlap_minutes"] = count * SLOT_MINUTES
        return out

    def block(self, start: int, stop: int, cols: Columns = None) -> dict[str, np.ndarray]:
        """Components, ``total`` and ``overlap_minutes`` for mentors ``start:stop``
        (and mentees ``cols``, a slice or index array; default all)."""
        code = self.levels(start, stop, cols)
        out = {name: np.take(values, code) for name, values in self.level_values.items()}
        out["overlap_minutes"] = self.overlap_minutes(start, stop, cols)
        return out

    def chunks(self, chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[tuple[int, int]]:
        """Row ranges covering all mentors with about ``chunk_cells`` pairs each."""
        n_rows, n_cols = self.shape
        step = max(1, chunk_cells // max(1, n_cols))
        return [(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]

    def table(self, chunk_cells: int = DEFAULT_CHUNK_CELLS, executor: Executor | None = None) -> ScoreTable:
        """Score all pairs, chunk by chunk, into one `ScoreTable`.

        Parameters
        ----------
        chunk_cells : int
            About how many pairs each chunk holds (bounds temporary memory).
        executor : concurrent.futures.Executor, optional
            Runs the chunks (threads, processes, or a Dask client's
            ``get_executor()``); the result is identical to the serial one.
        """
        shape = self.shape
        out = {name: np.empty(shape) for name in (*COMPONENTS, "total")}
        overlap = np.empty(shape, dtype=np.int32)
        for (start, stop), block in zip(self.chunks(chunk_cells), self.map_chunks(_score_chunk, chunk_cells, executor)):
            for name in out:
                out[name][start:stop] = block[name]
            overlap[start:stop] = block["overlap_minutes"]
        for arr in (*out.values(), overlap):
            arr.setflags(write=False)
        total = out.pop("total")
        return ScoreTable(components=out, weights=self.weights, total=total, overlap_minutes=overlap)

    def map_chunks(
        self, func: Callable, chunk_cells: int = DEFAULT_CHUNK_CELLS, executor: Executor | None = None
    ) -> Iterator:
        """``func(scorer, start, stop)`` for every chunk, in chunk order.

        With an executor, at most a few chunks are in flight at once so
        results never pile up in memory.
        """
        chunks = self.chunks(chunk_cells)
        if executor is None:
            for start, stop in chunks:
                yield func(self, start, stop)
            return
        scorer = self
        if _is_dask(executor):
            scorer = executor._client.scatter(self, broadcast=True)  # ship the arrays once
        window = 2 * _workers(executor)
        pending: deque = deque()
        for start, stop in chunks:
            pending.append(executor.submit(func, scorer, start, stop))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _score_chunk(scorer: Scorer, start: int, stop: int) -> dict[str, np.ndarray]:
    return scorer.block(start, stop)


def _cols(cols: Columns) -> slice | np.ndarray:
    return slice(None) if cols is None else cols


def _rows(start: int, stop: int | None, rows: Rows) -> slice | np.ndarray:
    return slice(start, stop) if rows is None else rows


def _is_dask(executor: Executor) -> bool:
    return type(executor).__module__.startswith("distributed") and hasattr(executor, "_client")


def _workers(executor: Executor) -> int:
    return int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 2)


def _common_slots(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the slots nobody on one side is ever free in: overlaps are unchanged, words fewer."""
    bits_l = np.unpackbits(left.view(np.uint8), axis=1, bitorder="little").astype(bool)
    bits_r = np.unpackbits(right.view(np.uint8), axis=1, bitorder="little").astype(bool)
    keep = bits_l.any(axis=0) & bits_r.any(axis=0)
    words = max(1, -(-int(keep.sum()) // 64))

    def pack(bits: np.ndarray) -> np.ndarray:
        padded = np.zeros((bits.shape[0], words * 64), dtype=bool)
        padded[:, : int(keep.sum())] = bits[:, keep]
        return np.ascontiguousarray(np.packbits(padded, axis=1, bitorder="little")).view(np.uint64)

    return pack(bits_l), pack(bits_r)


def score(problem: Problem, *, executor: Executor | None = None) -> ScoreTable:
    """Score every (mentor, mentee) pair of ``problem``.

    ``executor`` (optional) runs the row chunks, e.g. a process pool or a
    Dask client's ``get_executor()``; the table is identical either way.

    Examples
    --------
    >>> from pairmatch.datasets import pilot_problem
    >>> table = score(pilot_problem())
    >>> table.shape
    (3, 3)
    >>> {k: round(v, 3) for k, v in table.breakdown(0, 0).items()}
    {'focus': 1.0, 'borough': 0.6, 'availability': 1.0}
    """
    return Scorer(problem).table(executor=executor)

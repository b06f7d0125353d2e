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
packed bitsets. Rows are processed in chunks so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .availability import SLOT_MINUTES, pack_slots, window_slots
from .models import Person, Problem
from .params import COMPONENTS

__all__ = ["COMPONENTS", "ScoreTable", "Scorer", "score"]

DEFAULT_CHUNK_CELLS = 1 << 22


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
        self.slots_left = pack_slots(window_slots(p.availability) for p in mentors)
        self.slots_right = pack_slots(window_slots(p.availability) for p in mentees)
        self.meeting_minutes = problem.meeting_minutes

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.problem.mentors), len(self.problem.mentees)

    def overlap_minutes(self, start: int, stop: int) -> np.ndarray:
        """Common weekly minutes of mentors ``start:stop`` with every mentee."""
        left, right = self.slots_left[start:stop], self.slots_right
        count = np.zeros((left.shape[0], right.shape[0]), dtype=np.int32)
        for word in range(left.shape[1]):
            count += np.bitwise_count(left[:, word, None] & right[None, :, word])
        return count * SLOT_MINUTES

    def block(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Components, ``total`` and ``overlap_minutes`` for mentors ``start:stop``."""
        overlap = self.overlap_minutes(start, stop)
        parts = {
            "focus": self.focus_profiles[np.ix_(self.focus_left[start:stop], self.focus_right)],
            "borough": self.borough_profiles[np.ix_(self.place_left[start:stop], self.place_right)],
            "availability": np.minimum(overlap / self.meeting_minutes, 1.0),
        }
        total = np.zeros_like(parts["focus"])
        for name in COMPONENTS:
            if self.weights[name]:
                total += self.weights[name] * parts[name]
        return {**parts, "total": total, "overlap_minutes": overlap}

    def chunks(self, chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[tuple[int, int]]:
        """Row ranges covering all mentors with about ``chunk_cells`` pairs each."""
        n_rows, n_cols = self.shape
        step = max(1, chunk_cells // max(1, n_cols))
        return [(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]

    def table(self, chunk_cells: int = DEFAULT_CHUNK_CELLS) -> ScoreTable:
        """Score all pairs, chunk by chunk, into one `ScoreTable`."""
        shape = self.shape
        out = {name: np.empty(shape) for name in (*COMPONENTS, "total")}
        overlap = np.empty(shape, dtype=np.int32)
        for start, stop in self.chunks(chunk_cells):
            block = self.block(start, stop)
            for name in out:
                out[name][start:stop] = block[name]
            overlap[start:stop] = block["overlap_minutes"]
        for arr in (*out.values(), overlap):
            arr.setflags(write=False)
        total = out.pop("total")
        return ScoreTable(components=out, weights=self.weights, total=total, overlap_minutes=overlap)


def score(problem: Problem) -> ScoreTable:
    """Score every (mentor, mentee) pair of ``problem``.

    Examples
    --------
    >>> from pairmatch.datasets import pilot_problem
    >>> table = score(pilot_problem())
    >>> table.shape
    (3, 3)
    >>> {k: round(v, 3) for k, v in table.breakdown(0, 0).items()}
    {'focus': 1.0, 'borough': 0.6, 'availability': 1.0}
    """
    return Scorer(problem).table()

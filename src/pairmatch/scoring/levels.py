"""The built-in components (focus, borough, availability) as *level codes*.

Every built-in component takes few distinct values: focus and borough scores
come from small profile-by-profile matrices (people with the same set of
topics, or of boroughs, share a profile) and the availability score only
depends on the common slots up to one meeting length. Each pair is therefore
scored as a *level*: an index into tables of exact float64 values, computed
once with the same arithmetic as the weighted sum, so results never depend
on chunking or on where a chunk runs.

Components, each in [0, 1]:

``focus``
    ``max over (a in mentor topics, b in mentee topics) of decay ** dist(a, b)``
    in the focus taxonomy (0 beyond ``max_distance`` or when a side lists no
    topic). An exact shared topic scores 1.
``borough``
    ``max over (a in mentor boroughs, b in mentee boroughs)`` of the relation
    score of the geography (same borough scores most, far apart least).
``availability``
    ``min(1, overlap / meeting)``: common weekly minutes relative to the
    meeting length the programme needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..availability import SLOT_MINUTES, pack_slots, window_slots
from ..custom_scores import BUILT_IN_COMPONENTS
from ..models import Person, Problem

__all__ = ["BuiltinLevels", "Index", "SideCodes", "profile_matrix"]

Index = slice | np.ndarray


def _profiles(
    people: Sequence[Person], items: Callable[[Person], Sequence[str]], index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Group people by their set of items: ``(codes (n,), incidence (n_profiles, n_items))``."""
    keys: dict[frozenset[int], int] = {}
    seen: dict[tuple[str, ...], int] = {}  # people usually repeat a few lists: look each up once
    codes = np.empty(len(people), dtype=np.int64)
    for row, person in enumerate(people):
        written = tuple(items(person))
        code = seen.get(written)
        if code is None:
            code = seen[written] = keys.setdefault(frozenset(index[x] for x in written), len(keys))
        codes[row] = code
    incidence = np.zeros((len(keys), len(index)), dtype=bool)
    for key, code in keys.items():
        incidence[code, list(key)] = True
    return codes, incidence


def _packed_availability(people: Sequence[Person]) -> np.ndarray:
    """Everyone's weekly slots as packed bitsets, each distinct availability packed once."""
    patterns: dict[tuple[str, ...], int] = {}
    codes = np.fromiter((patterns.setdefault(p.availability, len(patterns)) for p in people), np.int64, len(people))
    packed: np.ndarray = pack_slots(window_slots(windows) for windows in patterns)[codes]
    return packed


def profile_matrix(
    left: np.ndarray, pair_values: np.ndarray, right: np.ndarray, *, best: str = "max", empty: float = 0.0
) -> np.ndarray:
    """For every (left profile p, right profile q), the best ``pair_values[a, b]``
    over ``a`` in p and ``b`` in q.

    ``best`` is ``"max"`` or ``"min"``; profile pairs with an empty side get ``empty``.
    The loops run over items (tens), never over people.

    >>> left = np.array([[True, False], [True, True]])
    >>> profile_matrix(left, np.array([[1.0, 0.2], [0.2, 1.0]]), np.array([[False, True]]))
    array([[0.2],
           [1. ]])
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
class SideCodes:
    """Per-person codes of one side.

    Attributes
    ----------
    focus : ndarray of int64
        Focus profile of each person (people listing the same topics share one).
    place : ndarray of int64
        Borough profile of each person.
    place_incidence : ndarray of bool
        ``(n_profiles, n_places)``: which places each borough profile holds.
    slots : ndarray of uint64
        ``(n, words)`` packed availability bits over the slots both sides use.
    """

    focus: np.ndarray
    place: np.ndarray
    place_incidence: np.ndarray
    slots: np.ndarray


class BuiltinLevels:
    """Level codes and exact value tables of the built-in components.

    Attributes
    ----------
    left, right : SideCodes
        Mentors' and mentees' codes.
    focus_values, borough_values, availability_values : ndarray
        The distinct values of each component.
    focus_code, borough_code : ndarray
        ``(profiles left, profiles right)`` partial level codes.
    cap : int
        Common slots at which availability reaches 1.
    n_levels : int
    level_values : dict of str to ndarray
        For each built-in component and ``"total"`` (the weighted sum of the
        built-ins), its value at every level.
    slot_types : ndarray
        The distinct weekly patterns of the mentees (``slot_type_right`` maps
        each mentee to one), so a mentor's overlaps are computed per pattern.
    """

    def __init__(self, problem: Problem) -> None:
        self.weights = problem.weights.as_dict()
        tax, geo = problem.taxonomy, problem.geography
        mentors, mentees = problem.mentors, problem.mentees

        def topics(p: Person) -> Sequence[str]:
            return p.focus_areas

        def places(p: Person) -> Sequence[str]:
            return p.boroughs

        focus_l, focus_inc_l = _profiles(mentors, topics, tax.index)
        focus_r, focus_inc_r = _profiles(mentees, topics, tax.index)
        self.focus_profiles = profile_matrix(focus_inc_l, tax.similarity, focus_inc_r)
        place_l, place_inc_l = _profiles(mentors, places, geo.index)
        place_r, place_inc_r = _profiles(mentees, places, geo.index)
        self.borough_profiles = profile_matrix(place_inc_l, geo.similarity, place_inc_r)
        self.meeting_minutes = problem.meeting_minutes
        slots_l, slots_r = _common_slots(_packed_availability(mentors), _packed_availability(mentees))
        self.left = SideCodes(focus_l, place_l, place_inc_l, slots_l)
        self.right = SideCodes(focus_r, place_r, place_inc_r, slots_r)
        # Mentees sharing a weekly pattern share their overlap with any mentor.
        self.slot_types, slot_type_right = np.unique(slots_r, axis=0, return_inverse=True)
        self.slot_type_right = slot_type_right.reshape(-1)
        self.slot_types_by_word = np.ascontiguousarray(self.slot_types.T)
        self._levels()

    def _levels(self) -> None:
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
        for name in BUILT_IN_COMPONENTS:
            if self.weights[name]:
                total += self.weights[name] * parts[name]
        self.level_values = {**parts, "total": total}

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        return len(self.left.focus), len(self.right.focus)

    def slot_counts(self, rows: Index, types: np.ndarray | None = None) -> np.ndarray:
        """Common slots of mentors ``rows`` with each weekly pattern of the mentees
        (or only the patterns ``types``): ``(len(rows), n_patterns)`` uint16."""
        left = self.left.slots[rows]
        by_word = self.slot_types_by_word if types is None else self.slot_types_by_word[:, types]
        count = np.zeros((left.shape[0], by_word.shape[1]), dtype=np.uint16)
        for word in range(left.shape[1]):
            count += np.bitwise_count(left[:, word, None] & by_word[word])
        return count

    def pattern_counts(self, rows: Index, cols: Index) -> tuple[np.ndarray, np.ndarray]:
        """``(counts, kinds)``: common slots of mentors ``rows`` with the weekly patterns of
        mentees ``cols`` (only the patterns those mentees have, so a few columns cost a
        few patterns, not all of them) and each column's pattern in ``counts``."""
        kinds = self.slot_type_right[cols]
        if len(kinds) < len(self.slot_types):
            types, kinds = np.unique(kinds, return_inverse=True)
            return self.slot_counts(rows, types), kinds.reshape(-1)
        return self.slot_counts(rows), kinds

    def overlap_minutes(self, rows: Index, cols: Index) -> np.ndarray:
        """Common weekly minutes of mentors ``rows`` with mentees ``cols``."""
        counts, kinds = self.pattern_counts(rows, cols)
        return np.take(counts.astype(np.int32) * SLOT_MINUTES, kinds, axis=1)

    def levels(self, rows: Index, cols: Index) -> np.ndarray:
        """Level code of each pair of mentors ``rows`` x mentees ``cols``
        (``level_values[name][code]`` is its component or built-in total)."""
        left, right = self.left, self.right
        code = np.take(self.focus_code[left.focus[rows]], right.focus[cols], axis=1)
        code += np.take(self.borough_code[left.place[rows]], right.place[cols], axis=1)
        counts, kinds = self.pattern_counts(rows, cols)
        code += np.take(np.minimum(counts, self.cap).astype(self.level_dtype), kinds, axis=1)
        return code

    def pair_slot_counts(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Common slots of the pairs ``(rows[k], cols[k])``."""
        count = np.zeros(len(rows), dtype=np.int32)
        for word in range(self.left.slots.shape[1]):
            count += np.bitwise_count(self.left.slots[rows, word] & self.right.slots[cols, word])
        return count

    def pair_levels(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Level codes of the pairs ``(rows[k], cols[k])`` (same tables as `levels`)."""
        left, right = self.left, self.right
        code = self.focus_code[left.focus[rows], right.focus[cols]]
        code = code + self.borough_code[left.place[rows], right.place[cols]]
        levels: np.ndarray = code + np.minimum(self.pair_slot_counts(rows, cols), self.cap).astype(self.level_dtype)
        return levels

    @property
    def upper_bound(self) -> float:
        """The largest built-in total any level takes (no pair scores more)."""
        return float(self.level_values["total"].max(initial=0.0))


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

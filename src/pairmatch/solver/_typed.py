"""Hard rules decided by type, so the sparse path never scores a ruled-out pair to find it out.

Every rule except forbidden pairs and the minimum score depends only on the
two people's rule types (`RuleChecker.person_types`); the types' table of
allowed pairs is built once. The minimum score becomes a threshold on the
integer gain (exact when no ruled-out level shares a gain with an allowed
one), and forbidden pairs a sorted list of keys. A block or a list of pairs
then costs a few gathers, instead of scoring every component in floating
point and running the rules on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constraints import RuleChecker
from ..scoring import BuiltinLevels
from ..scoring.custom import keys_in_block, pair_positions
from ..scoring.levels import Index

__all__ = ["TYPE_TABLE_MAX", "TypedRules", "typed_rules"]

TYPE_TABLE_MAX = 64 * 1024 * 1024  # cells of the allowed-types table (one byte each)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TypedRules:
    """Which pairs the rules allow, by type.

    Attributes
    ----------
    ok : ndarray of bool
        ``(mentor types, mentee types)``: allowed by every rule outside the pair rules.
    mentor, mentee : ndarray of int64
        Rule type of each person.
    forbidden : ndarray of int64
        Sorted keys ``i * n + j`` of the forbidden pairs.
    min_gain : int or None
        Integer gains (in the space's units, without lift) below this break ``min_score``.
    n : int
        Mentees (for the keys).
    """

    ok: np.ndarray
    mentor: np.ndarray
    mentee: np.ndarray
    forbidden: np.ndarray
    min_gain: int | None
    n: int

    def block(self, rows: Index, cols: Index, gain: np.ndarray) -> np.ndarray:
        """Allowed mask of mentors ``rows`` x mentees ``cols`` with integer gains ``gain`` (no lift)."""
        allowed = np.take(self.ok[self.mentor[rows]], self.mentee[cols], axis=1)
        if self.min_gain is not None:
            allowed &= gain >= self.min_gain
        if len(self.forbidden):
            row_ix = np.arange(len(self.mentor))[rows] if isinstance(rows, slice) else rows
            col_ix = np.arange(len(self.mentee))[cols] if isinstance(cols, slice) else cols
            r, c, _ = keys_in_block(self.forbidden, self.n, np.asarray(row_ix), np.asarray(col_ix))
            allowed[r, c] = False
        return allowed

    def alone(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mentors, mentees)`` masks of the people whose type the rules pair with no type of
        anyone on the other side: they can have no partner at all."""
        present_m = np.zeros(self.ok.shape[0], dtype=bool)
        present_m[self.mentor] = True
        present_e = np.zeros(self.ok.shape[1], dtype=bool)
        present_e[self.mentee] = True
        mentor_alone: np.ndarray = ~np.any(self.ok & present_e, axis=1)
        mentee_alone: np.ndarray = ~np.any(self.ok & present_m[:, None], axis=0)
        return mentor_alone[self.mentor], mentee_alone[self.mentee]

    def pairs(self, rows: np.ndarray, cols: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """Allowed mask of the pairs ``(rows[k], cols[k])`` with integer gains ``gain`` (no lift)."""
        allowed = self.ok[self.mentor[rows], self.mentee[cols]]
        if self.min_gain is not None:
            allowed &= gain >= self.min_gain
        if len(self.forbidden) and len(rows):
            allowed &= ~pair_positions(self.forbidden, self.n, rows, cols)[0]
        out: np.ndarray = allowed
        return out


def _min_gain(
    builtin: BuiltinLevels, level_gain: np.ndarray, min_score: float | None, slack: float
) -> tuple[bool, int | None]:
    """``(exact, threshold)``: the integer gain from which pairs keep ``min_score``; not exact
    when a level below the minimum rounds to a gain an allowed level also has."""
    if min_score is None:
        return True, None
    keep = builtin.level_values["total"] >= min_score - slack  # the rule's own comparison
    lowest_kept = int(level_gain[keep].min(initial=np.iinfo(np.int64).max))
    highest_cut = int(level_gain[~keep].max(initial=np.iinfo(np.int64).min))
    return highest_cut < lowest_kept, lowest_kept


def typed_rules(
    checker: RuleChecker, builtin: BuiltinLevels, level_gain: np.ndarray, max_cells: int = TYPE_TABLE_MAX
) -> TypedRules | None:
    """The rules of ``checker`` by type, or None when the types' table would exceed
    ``max_cells`` or the minimum score is not a threshold on the integer gains."""
    exact, min_gain = _min_gain(builtin, level_gain, checker.rules.min_score, checker.min_score_slack)
    types = checker.person_types()
    t_m, t_e = types.n_mentor_types, types.n_mentee_types
    if not exact or t_m * t_e > max_cells:
        return None
    ok = np.empty((t_m, t_e), dtype=bool)
    step = max(1, _CHUNK // max(1, t_e))
    for a in range(0, t_m, step):
        ok[a : a + step] = checker.type_block(np.arange(a, min(a + step, t_m)), np.arange(t_e)) == 0
    n = checker.shape[1]
    pairs = checker.forbidden
    forbidden = np.unique(pairs[:, 0] * n + pairs[:, 1]) if len(pairs) else np.zeros(0, np.int64)
    return TypedRules(ok, types.mentor, types.mentee, forbidden, min_gain, n)

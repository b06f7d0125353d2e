"""Why each unmatched person has no partner, in plain words.

Reads the solver's own score and candidate views (`SolveContext`), fetching
the rows and columns it needs in batches, so it costs one pass over each
unmatched person's candidates and never the whole table.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import numpy as np

from .constraints import quota_groups, ruling_out
from .custom_scores import CONTINUITY
from .solver import SolveContext

__all__ = ["CLOSED", "Unmatched", "closed_people", "own_scores", "unmatched_people"]

CLOSED = "takes no partners"
"""How explanations name a person who can have no partner at all (see `closed_people`)."""

SIDES: tuple[Literal["mentor", "mentee"], Literal["mentor", "mentee"]] = ("mentor", "mentee")
_BATCH = 256  # people whose full row of scores is held at once


@dataclass(frozen=True)
class Unmatched:
    """Someone left without a partner, and why (``code`` is machine-readable).

    Codes: ``no_capacity`` (takes no partners: ``max_partners`` 0, or a quota
    that allows their group no pairs), ``no_candidates`` (every pair ruled
    out, or every allowed partner takes none), ``not_ranked`` (the stable
    objective by people's rankings: no candidate that both sides rank),
    ``partners_taken`` (every candidate is full), ``no_gain`` (every
    candidate with room scores 0), ``not_chosen`` (left out by the objective
    or a side constraint).
    """

    person_id: str
    side: Literal["mentor", "mentee"]
    code: str
    reason: str


BonusIndex = dict[int, list[tuple[int, float]]]
T = TypeVar("T")
# Facts computed once per solve context (who is closed, the bonus entries by person): explaining
# every pair asks for them once per pair, and recomputing them each time would be quadratic.
# Held weakly, so a result that is gone takes its facts with it.
_PER_CONTEXT: OrderedDict[tuple[str, int], tuple[weakref.ref[Any], Any]] = OrderedDict()
_PER_CONTEXT_LOCK = threading.Lock()


def _per_context(kind: str, context: SolveContext, build: Callable[[], T]) -> T:
    key = (kind, id(context))
    with _PER_CONTEXT_LOCK:
        hit = _PER_CONTEXT.get(key)
    if hit is not None and hit[0]() is context:  # the very context, not a reused id
        return cast(T, hit[1])
    value = build()
    with _PER_CONTEXT_LOCK:
        _PER_CONTEXT[key] = (weakref.ref(context), value)
        while len(_PER_CONTEXT) > 16:
            _PER_CONTEXT.popitem(last=False)
    return value


def _quota_closed(context: SolveContext) -> tuple[dict[int, str], dict[int, str]]:
    """Per side, the people in a group that a quota allows no pairs, with that quota in words."""
    problem = context.problem
    found: tuple[dict[int, str], dict[int, str]] = ({}, {})
    for quota in problem.rules.quotas:
        if quota.max_pairs == 0:
            for value, group in quota_groups(problem, quota).items():
                for k in np.flatnonzero(group).tolist():
                    found[SIDES.index(quota.side)].setdefault(k, quota.describe(value))
    return found


def closed_people(context: SolveContext) -> tuple[np.ndarray, np.ndarray]:
    """Masks over the mentors and the mentees of who can have no partner at all, whatever
    the rules say of their pairs: ``max_partners`` 0, or a quota allowing their group no pairs.

    Explanations read these with the rule bits, so they never offer such a person as a
    candidate or an alternative.
    """

    def build() -> tuple[np.ndarray, np.ndarray]:
        candidates = context.candidates
        masks = [np.asarray(candidates.mentor_max) <= 0, np.asarray(candidates.mentee_max) <= 0]
        for s, found in enumerate(_quota_closed(context)):
            if found:
                masks[s] = masks[s].copy()
                masks[s][list(found)] = True
        for mask in masks:
            mask.setflags(write=False)
        return masks[0], masks[1]

    return _per_context("closed", context, build)


def _bonus_by_person(context: SolveContext, bonus: Any) -> tuple[BonusIndex, BonusIndex]:
    """``(by mentor row, by mentee column)``: each person's ``(other side's position, value)`` entries."""

    def build() -> tuple[BonusIndex, BonusIndex]:
        mentors, mentees = context.problem.mentor_index(), context.problem.mentee_index()
        rows: BonusIndex = {}
        cols: BonusIndex = {}
        for mentor_id, mentee_id, value in bonus.entries:
            i, j = mentors.get(mentor_id), mentees.get(mentee_id)
            if i is not None and j is not None:
                rows.setdefault(i, []).append((j, value))
                cols.setdefault(j, []).append((i, value))
        return rows, cols

    return _per_context("bonus", context, build)


def own_scores(context: SolveContext, index: np.ndarray, side: Literal["mentor", "mentee"]) -> np.ndarray:
    """The pair scores of mentors (rows) or mentees (columns) ``index`` with everyone on the
    other side, without a re-match's continuity bonus: the one score of a pair that every
    explanation, table and stability report quotes (the bonus is part of the objective only).

    The bonus sits on the working pairs alone (its entries, indexed by person once per
    problem), so taking it out costs a look-up per person, not a second scoring of the rows.
    """
    scores = context.scores
    totals = scores.total_rows(index) if side == "mentor" else scores.total_cols(index)
    bonus = next((c for c in context.problem.scores if c.name == CONTINUITY), None)
    if bonus is None or not bonus.weight or not totals.size:
        return totals
    if bonus.entries is None or bonus.default:
        k, n = totals.shape
        people, others = np.repeat(np.asarray(index, dtype=np.int64), n), np.tile(np.arange(n), k)
        rows, cols = (people, others) if side == "mentor" else (others, people)
        return totals - bonus.weight * scores.pair_values(rows, cols)[CONTINUITY].reshape(k, n)
    totals = totals.copy()
    by_person = _bonus_by_person(context, bonus)[0 if side == "mentor" else 1]
    for k, person in enumerate(np.asarray(index).tolist()):
        for other, value in by_person.get(person, ()):
            totals[k, other] -= bonus.weight * value
    return totals


def unmatched_people(context: SolveContext, pairs: Sequence[tuple[int, int]]) -> tuple[Unmatched, ...]:
    """Everyone with no partner in ``pairs`` (mentor row, mentee column), with the reason."""
    problem, candidates = context.problem, context.candidates
    people = (problem.mentors, problem.mentees)
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    load = (np.bincount(index[:, 0], minlength=len(people[0])), np.bincount(index[:, 1], minlength=len(people[1])))
    caps = (candidates.mentor_max, candidates.mentee_max)
    lists = _RankedBy(problem) if _by_rankings(context) else None
    closed, by_quota = closed_people(context), _quota_closed(context)
    out: list[Unmatched] = []
    for s, side in enumerate(SIDES):
        other: Literal["mentor", "mentee"] = SIDES[1 - s]
        alone = np.flatnonzero(load[s] == 0)
        for k in alone[closed[s][alone]].tolist():
            reason = (
                "takes no partners (max_partners = 0)"
                if caps[s][k] <= 0
                else f"{CLOSED}: a quota allows their group none ({by_quota[s][k]})"
            )
            out.append(Unmatched(people[s][k].id, side, "no_capacity", reason))
        asking = alone[~closed[s][alone]]
        for start in range(0, len(asking), _BATCH):
            batch = asking[start : start + _BATCH]
            blocked = candidates.blocked_rows(batch) if s == 0 else candidates.blocked_cols(batch)
            # A candidate is someone a rule allows *and* who can take a partner at all; only
            # people with one have their scores read.
            candidate = (blocked == 0) & ~closed[1 - s]
            has_candidate = candidate.any(axis=1)
            totals = own_scores(context, batch[has_candidate], side)
            score_row = np.cumsum(has_candidate) - 1
            for row, k in enumerate(batch.tolist()):
                allowed = candidate[row]
                found = None if lists is None else lists.reason(side, k, allowed)
                if found is None and not allowed.any():
                    found = _no_candidates(problem, (side, other), k, blocked[row], closed[1 - s])
                out.append(
                    found
                    or _reason(
                        people[s][k].id,
                        (side, other),
                        blocked[row],
                        totals[score_row[row]],
                        (load[1 - s], caps[1 - s], closed[1 - s]),
                        people[1 - s],
                    )
                )
    order = {id(u): n for n, u in enumerate(out)}
    position = {**problem.mentor_index(), **problem.mentee_index()}
    # Mentors first, each side in input order.
    out.sort(key=lambda u: (u.side != "mentor", position[u.person_id], order[id(u)]))
    return tuple(out)


def _by_rankings(context: SolveContext) -> bool:
    """Whether the result is the stable objective matching by the people's own rankings."""
    params, problem = context.params, context.problem
    if params.objective != "stable" or params.stable_preferences == "scores":
        return False
    return any(p.ranking for p in (*problem.mentors, *problem.mentees))


class _RankedBy:
    """Who ranks whom, for people left out of a stable matching by rankings."""

    def __init__(self, problem: Any) -> None:
        self.people = (problem.mentors, problem.mentees)
        self.ranks = tuple(any(p.ranking for p in side) for side in self.people)
        self.index = (problem.mentor_index(), problem.mentee_index())
        self.ranked_by: dict[str, set[str]] = {}
        for side in self.people:
            for person in side:
                for group in person.ranking:
                    for pid in group:
                        self.ranked_by.setdefault(pid, set()).add(person.id)

    def reason(self, side: Literal["mentor", "mentee"], k: int, allowed: np.ndarray) -> Unmatched | None:
        """``not_ranked`` when no allowed candidate is ranked by both (else None)."""
        s = 0 if side == "mentor" else 1
        other = "mentee" if s == 0 else "mentor"
        person = self.people[s][k]
        ok = allowed.copy()
        if self.ranks[s]:
            mine = np.zeros(len(ok), dtype=bool)
            mine[[self.index[1 - s][pid] for group in person.ranking for pid in group]] = True
            ok &= mine
        if self.ranks[1 - s]:
            theirs = np.zeros(len(ok), dtype=bool)
            theirs[[self.index[1 - s][pid] for pid in self.ranked_by.get(person.id, ())]] = True
            ok &= theirs
        if ok.any():
            return None
        listed = sum(len(g) for g in person.ranking)
        words = [f"ranked {listed} {other}(s)" if self.ranks[s] else ""]
        if self.ranks[1 - s]:
            words.append(f"ranked by {len(self.ranked_by.get(person.id, ()))} {other}(s)")
        detail = ", ".join(w for w in words if w)
        return Unmatched(
            person.id,
            side,
            "not_ranked",
            f"no candidate {other} that both rank each other in their own rankings ({detail})",
        )


def _no_candidates(
    problem: Any,
    sides: tuple[Literal["mentor", "mentee"], Literal["mentor", "mentee"]],
    k: int,
    blocked: np.ndarray,
    other_closed: np.ndarray,
) -> Unmatched:
    """``no_candidates``: the rules that rule out the person's pairs (naming the setting and
    people), and how many of the partners they allow take no partners at all."""
    side, other = sides
    closed = int(np.count_nonzero((blocked == 0) & other_closed))
    detail = [
        *ruling_out(problem, side, k, blocked),
        *([f"{CLOSED} ({closed} {other}{'s' if closed != 1 else ''})"] if closed else []),
    ]
    person = (problem.mentors if side == "mentor" else problem.mentees)[k]
    reason = f"no candidate {other}: every pair is ruled out - {'; '.join(detail) or f'there are no {other}s'}"
    return Unmatched(person.id, side, "no_candidates", reason)


def _reason(
    pid: str,
    sides: tuple[Literal["mentor", "mentee"], Literal["mentor", "mentee"]],
    blocked: np.ndarray,
    totals: np.ndarray,
    other_state: tuple[np.ndarray, np.ndarray, np.ndarray],
    others: Sequence,
) -> Unmatched:
    side, other = sides
    other_load, other_cap, other_closed = other_state
    allowed = np.flatnonzero((blocked == 0) & ~other_closed)
    full = other_load[allowed] >= other_cap[allowed]
    best = allowed[np.argmax(totals[allowed])]
    best_id = others[best].id
    if full.all():
        return Unmatched(
            pid,
            side,
            "partners_taken",
            f"all {len(allowed)} candidate {other}(s) are at capacity (best candidate: {best_id}, "
            f"score {totals[best]:.3f})",
        )
    if totals[allowed[~full]].max() <= 0:
        return Unmatched(pid, side, "no_gain", f"every candidate {other} with room left scores 0 with them")
    return Unmatched(
        pid,
        side,
        "not_chosen",
        f"left out by the objective or a side constraint; best candidate {best_id} (score {totals[best]:.3f})",
    )

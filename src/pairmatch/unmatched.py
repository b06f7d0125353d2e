"""Why each unmatched person has no partner, in plain words.

Reads the solver's own score and candidate views (`SolveContext`), fetching
the rows and columns it needs in batches, so it costs one pass over each
unmatched person's candidates and never the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .constraints import ruling_out
from .solver import SolveContext

__all__ = ["Unmatched", "unmatched_people"]

SIDES: tuple[Literal["mentor", "mentee"], Literal["mentor", "mentee"]] = ("mentor", "mentee")
_BATCH = 256  # people whose full row of scores is held at once


@dataclass(frozen=True)
class Unmatched:
    """Someone left without a partner, and why (``code`` is machine-readable).

    Codes: ``no_capacity`` (takes no partners), ``no_candidates`` (every pair
    ruled out), ``not_ranked`` (the stable objective by people's rankings: no
    candidate that both sides rank), ``partners_taken`` (every candidate is
    full), ``no_gain`` (every candidate with room scores 0), ``not_chosen``
    (left out by the objective or a side constraint).
    """

    person_id: str
    side: Literal["mentor", "mentee"]
    code: str
    reason: str


def unmatched_people(context: SolveContext, pairs: Sequence[tuple[int, int]]) -> tuple[Unmatched, ...]:
    """Everyone with no partner in ``pairs`` (mentor row, mentee column), with the reason."""
    problem, scores, candidates = context.problem, context.scores, context.candidates
    people = (problem.mentors, problem.mentees)
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    load = (np.bincount(index[:, 0], minlength=len(people[0])), np.bincount(index[:, 1], minlength=len(people[1])))
    caps = (candidates.mentor_max, candidates.mentee_max)
    lists = _RankedBy(problem) if _by_rankings(context) else None
    out: list[Unmatched] = []
    for s, side in enumerate(SIDES):
        other: Literal["mentor", "mentee"] = SIDES[1 - s]
        alone = np.flatnonzero(load[s] == 0)
        for k in alone[caps[s][alone] == 0].tolist():
            out.append(Unmatched(people[s][k].id, side, "no_capacity", "takes no partners (max_partners = 0)"))
        asking = alone[caps[s][alone] > 0]
        for start in range(0, len(asking), _BATCH):
            batch = asking[start : start + _BATCH]
            blocked = candidates.blocked_rows(batch) if s == 0 else candidates.blocked_cols(batch)
            totals = scores.total_rows(batch) if s == 0 else scores.total_cols(batch)
            for row, k in enumerate(batch.tolist()):
                found = None if lists is None else lists.reason(side, k, blocked[row] == 0)
                if found is None and not (blocked[row] == 0).any():
                    detail = "; ".join(ruling_out(problem, side, k, blocked[row])) or f"there are no {other}s"
                    reason = f"no candidate {other}: every pair is ruled out - {detail}"
                    found = Unmatched(people[s][k].id, side, "no_candidates", reason)
                out.append(
                    found
                    or _reason(
                        people[s][k].id, side, other, blocked[row], totals[row], load[1 - s], caps[1 - s], people[1 - s]
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


def _reason(
    pid: str,
    side: Literal["mentor", "mentee"],
    other: Literal["mentor", "mentee"],
    blocked: np.ndarray,
    totals: np.ndarray,
    other_load: np.ndarray,
    other_cap: np.ndarray,
    others: Sequence,
) -> Unmatched:
    allowed = np.flatnonzero(blocked == 0)
    full = other_load[allowed] >= other_cap[allowed]
    best = allowed[np.argmax(totals[allowed])]
    best_id = others[best].id
    if full.all():
        return Unmatched(
            pid,
            side,
            "partners_taken",
            f"all {len(allowed)} candidate {other}(s) are at capacity with matches that score "
            f"higher overall (best candidate: {best_id}, score {totals[best]:.3f})",
        )
    if totals[allowed[~full]].max() <= 0:
        return Unmatched(pid, side, "no_gain", f"every candidate {other} with room left scores 0 with them")
    return Unmatched(
        pid,
        side,
        "not_chosen",
        f"left out by the objective or a side constraint; best candidate {best_id} (score {totals[best]:.3f})",
    )

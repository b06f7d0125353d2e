"""Why each unmatched person has no partner, in plain words.

Reads the solver's own score and candidate views (`SolveContext`), fetching
the rows and columns it needs in batches, so it costs one pass over each
unmatched person's candidates and never the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .constraints import BITS, Rule, rule_names
from .solver import SolveContext

__all__ = ["Unmatched", "unmatched_people"]

SIDES: tuple[Literal["mentor", "mentee"], Literal["mentor", "mentee"]] = ("mentor", "mentee")
_BATCH = 256  # people whose full row of scores is held at once


@dataclass(frozen=True)
class Unmatched:
    """Someone left without a partner, and why (``code`` is machine-readable).

    Codes: ``no_capacity`` (takes no partners), ``no_candidates`` (every pair
    ruled out), ``partners_taken`` (every candidate is full), ``no_gain``
    (every candidate with room scores 0), ``not_chosen`` (left out by the
    objective or a side constraint).
    """

    person_id: str
    side: Literal["mentor", "mentee"]
    code: str
    reason: str


def _rule_counts(bits: np.ndarray, other: str) -> str:
    """Each rule with how many of the other side's people it rules out, most first."""
    counts = [(int(np.count_nonzero(bits & BITS(rule))), rule) for rule in Rule]
    counts = [(n, rule) for n, rule in counts if n]
    counts.sort(key=lambda item: -item[0])
    return ", ".join(f"{rule_names(int(rule))[0]} ({n} {other}{'s' if n != 1 else ''})" for n, rule in counts)


def unmatched_people(context: SolveContext, pairs: Sequence[tuple[int, int]]) -> tuple[Unmatched, ...]:
    """Everyone with no partner in ``pairs`` (mentor row, mentee column), with the reason."""
    problem, scores, candidates = context.problem, context.scores, context.candidates
    people = (problem.mentors, problem.mentees)
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    load = (np.bincount(index[:, 0], minlength=len(people[0])), np.bincount(index[:, 1], minlength=len(people[1])))
    caps = (candidates.mentor_max, candidates.mentee_max)
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
                out.append(
                    _reason(
                        people[s][k].id, side, other, blocked[row], totals[row], load[1 - s], caps[1 - s], people[1 - s]
                    )
                )
    order = {id(u): n for n, u in enumerate(out)}
    position = {**problem.mentor_index(), **problem.mentee_index()}
    # Mentors first, each side in input order.
    out.sort(key=lambda u: (u.side != "mentor", position[u.person_id], order[id(u)]))
    return tuple(out)


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
    if not len(allowed):
        detail = _rule_counts(blocked, other) or f"there are no {other}s"
        return Unmatched(pid, side, "no_candidates", f"no candidate {other}: every pair is ruled out - {detail}")
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

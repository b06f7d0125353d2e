"""Public verifiers: does a result obey every rule of its problem?

They recompute everything from the problem itself (scores, rules,
capacities), so they are independent of the solver path that produced the
result. Every solver test calls them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .constraints import build_candidates, minimum_partners, quota_groups, rule_names
from .models import Problem
from .result import MatchResult
from .scoring import Scorer, score_table

__all__ = ["Violation", "is_feasible", "violations"]

SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule: a machine-readable ``kind``, the people involved, a message."""

    kind: str
    people: tuple[str, ...]
    message: str


def violations(result: MatchResult, problem: Problem) -> list[Violation]:
    """Every way ``result`` breaks the rules of ``problem`` (empty when feasible).

    Checks ids, duplicate pairs, capacity bounds on both sides, forbidden and
    pinned pairs, every hard rule, reported scores and the objective.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> problem = pilot_problem()
    >>> violations(solve(problem), problem)
    []
    """
    out: list[Violation] = []
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    scorer = Scorer(problem)
    table = score_table(scorer)
    candidates = build_candidates(problem, table, scorer)
    seen: Counter[tuple[str, str]] = Counter()
    for pair in result.pairs:
        key = (pair.mentor_id, pair.mentee_id)
        seen[key] += 1
        if pair.mentor_id not in mentor_ix or pair.mentee_id not in mentee_ix:
            out.append(Violation("unknown_id", key, f"pair {key} names someone who is not in the problem"))
            continue
        i, j = mentor_ix[pair.mentor_id], mentee_ix[pair.mentee_id]
        bits = int(candidates.blocked[i, j])
        if bits:
            out.append(Violation("rule", key, f"pair {key} breaks: {', '.join(rule_names(bits))}"))
        expected = float(table.total[i, j])
        if not math.isclose(pair.score, expected, rel_tol=0, abs_tol=SCORE_TOLERANCE):
            out.append(Violation("score", key, f"pair {key} reports score {pair.score} but scores {expected}"))
    for key, count in seen.items():
        if count > 1:
            out.append(Violation("duplicate_pair", key, f"pair {key} appears {count} times"))
    load = Counter(pid for p in result.pairs for pid in (p.mentor_id, p.mentee_id))
    for side, people in (("mentor", problem.mentors), ("mentee", problem.mentees)):
        for person, lo in zip(people, minimum_partners(problem, side)):
            n = load[person.id]
            if not lo <= n <= person.max_partners:
                out.append(Violation("capacity", (person.id,),
                                     f"{person.id} has {n} partners; allowed {lo}..{person.max_partners}"))
    out.extend(_quota_violations(result, problem))
    matched = set(seen)
    for key in problem.rules.required_pairs:
        if tuple(key) not in matched:
            out.append(Violation("required_pair_missing", tuple(key), f"pinned pair {tuple(key)} is missing"))
    objective = math.fsum(p.score for p in result.pairs)
    if not math.isclose(result.objective, objective, rel_tol=0, abs_tol=1e-6):
        out.append(Violation("objective", (), f"objective {result.objective} != sum of pair scores {objective}"))
    unmatched = {u.person_id for u in result.unmatched}
    for person in (*problem.mentors, *problem.mentees):
        if (load[person.id] == 0) != (person.id in unmatched):
            out.append(Violation("unmatched_list", (person.id,),
                                 f"{person.id} has {load[person.id]} partners but "
                                 f"{'is' if person.id in unmatched else 'is not'} listed as unmatched"))
    if result.status == "optimal" and "proof" not in result.certificate:
        out.append(Violation("certificate", (), "status is optimal but the certificate holds no proof"))
    return out


def _quota_violations(result: MatchResult, problem: Problem) -> list[Violation]:
    out = []
    sides = {"mentor": problem.mentor_index(), "mentee": problem.mentee_index()}
    for quota in problem.rules.quotas:
        index = sides[quota.side]
        ends = [index.get(p.mentor_id if quota.side == "mentor" else p.mentee_id) for p in result.pairs]
        for value, members in quota_groups(problem, quota).items():
            inside = sum(1 for k in ends if k is not None and members[k])
            broken = inside < quota.min_pairs or (quota.max_pairs is not None and inside > quota.max_pairs)
            if quota.share is not None and inside > quota.share * len(result.pairs):
                broken = True
            if broken:
                out.append(Violation("quota", (), f"quota '{quota.describe(value)}' has {inside} of "
                                                  f"{len(result.pairs)} pairs"))
    return out


def is_feasible(result: MatchResult, problem: Problem) -> bool:
    """True when `violations` finds nothing."""
    return not violations(result, problem)

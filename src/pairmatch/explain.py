"""Explanations: why a pair was proposed, what the alternatives were, why someone is unmatched.

Everything here reads the score arrays and candidate graph that the solver
used (kept on the result), never a second scoring route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .availability import format_slots, window_slots
from .constraints import rule_names
from .exceptions import InfeasibleProblemError, PairmatchError
from .geography import BoroughRelation
from .models import Person, Problem
from .result import MatchResult

__all__ = [
    "Alternative",
    "PairExplanation",
    "alternatives",
    "explain",
    "explain_pair",
    "why_not",
    "why_unmatched",
]


def _context(result: MatchResult) -> Any:
    if result.context is None:
        raise PairmatchError("explanations need a result returned by pairmatch.solve() in this Python process")
    return result.context


def _locate(problem: Problem, person_id: str) -> tuple[str, int, Person]:
    for side, people in (("mentor", problem.mentors), ("mentee", problem.mentees)):
        for k, person in enumerate(people):
            if person.id == person_id:
                return side, k, person
    raise KeyError(f"no mentor or mentee has id {person_id!r}")


def _pair_index(problem: Problem, mentor_id: str, mentee_id: str) -> tuple[int, int]:
    side_m, i, _ = _locate(problem, mentor_id)
    side_e, j, _ = _locate(problem, mentee_id)
    if (side_m, side_e) != ("mentor", "mentee"):
        raise KeyError(f"{mentor_id!r} must be a mentor and {mentee_id!r} a mentee")
    return i, j


def focus_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """The strongest topic link between two people, in words."""
    tax = problem.taxonomy
    if not mentor.focus_areas or not mentee.focus_areas:
        return "no focus areas listed on " + ("both sides" if not (mentor.focus_areas or mentee.focus_areas)
                                              else "one side")
    shared = [t for t in mentor.focus_areas if t in mentee.focus_areas]
    if shared:
        return "shared focus: " + ", ".join(shared)
    a, b = max(((a, b) for a in mentor.focus_areas for b in mentee.focus_areas),
               key=lambda ab: tax.relatedness(*ab))
    if tax.relatedness(a, b) <= 0:
        return (f"no related focus areas ({', '.join(mentor.focus_areas)} vs "
                f"{', '.join(mentee.focus_areas)})")
    path = tax.path(a, b)
    return f"related focus: {a} ~ {b} ({len(path) - 1} step(s): {' -> '.join(path)})"


def borough_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """The closest borough relation between two people, in words."""
    geo = problem.geography
    if not mentor.boroughs or not mentee.boroughs:
        return "no borough listed on one side"
    a, b = max(((a, b) for a in mentor.boroughs for b in mentee.boroughs), key=lambda ab: geo.score(*ab))
    relation = geo.relation(a, b)
    if relation == BoroughRelation.SAME:
        return f"same borough: {a}"
    if relation == BoroughRelation.SAME_UNIT:
        return f"same {geo.unit_name} ({geo.unit_of[a]}): {a} - {b}"
    return f"{relation}: {a} - {b}"


def availability_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """Common weekly windows and how they compare with the meeting length."""
    common = window_slots(mentor.availability) & window_slots(mentee.availability)
    if not common:
        return "no common weekly time"
    minutes = len(common) * 30
    windows = ", ".join(format_slots(common))
    return f"common time {windows} ({minutes} min a week; a meeting needs {problem.meeting_minutes})"


@dataclass(frozen=True)
class PairExplanation:
    """Why a pair scores what it does, from the solver's own arrays."""

    mentor_id: str
    mentee_id: str
    matched: bool
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    facts: dict[str, str]
    blocked_by: tuple[str, ...]

    def text(self) -> str:
        state = "matched" if self.matched else ("not a candidate" if self.blocked_by else "not matched")
        lines = [f"{self.mentor_id} - {self.mentee_id}: score {self.score:.3f} ({state})"]
        for name, value in self.components.items():
            lines.append(f"  {name:<12} {value:.2f} x weight -> {self.contributions[name]:.3f}   "
                         f"{self.facts[name]}")
        if self.blocked_by:
            lines.append(f"  ruled out by: {', '.join(self.blocked_by)}")
        return "\n".join(lines)


def explain_pair(result: MatchResult, mentor_id: str, mentee_id: str) -> PairExplanation:
    """Component values, weighted contributions and the facts behind them for one pair.

    >>> from pairmatch import solve
    >>> from pairmatch.datasets import pilot_problem
    >>> e = explain_pair(solve(pilot_problem()), "M2", "O2")
    >>> e.facts["borough"]
    'adjacent: Newham - Redbridge'
    """
    ctx = _context(result)
    problem, table = ctx.problem, ctx.table
    i, j = _pair_index(problem, mentor_id, mentee_id)
    mentor, mentee = problem.mentors[i], problem.mentees[j]
    components = table.breakdown(i, j)
    return PairExplanation(
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        matched=mentee_id in result.partners_of(mentor_id),
        score=float(table.total[i, j]),
        components=components,
        contributions={k: table.weights[k] * v for k, v in components.items()},
        facts={
            "focus": focus_fact(problem, mentor, mentee),
            "borough": borough_fact(problem, mentor, mentee),
            "availability": availability_fact(problem, mentor, mentee),
        },
        blocked_by=tuple(rule_names(int(ctx.candidates.blocked[i, j]))),
    )


@dataclass(frozen=True)
class Alternative:
    """Another possible partner of a person, best first."""

    partner_id: str
    score: float
    blocked_by: tuple[str, ...]
    partner_matched_with: tuple[str, ...]


def alternatives(result: MatchResult, person_id: str, k: int = 3) -> list[Alternative]:
    """The ``k`` best-scoring partners of ``person_id`` other than the ones proposed."""
    ctx = _context(result)
    problem, table = ctx.problem, ctx.table
    side, idx, _ = _locate(problem, person_id)
    scores = table.total[idx] if side == "mentor" else table.total[:, idx]
    blocked = ctx.candidates.blocked[idx] if side == "mentor" else ctx.candidates.blocked[:, idx]
    others = problem.mentees if side == "mentor" else problem.mentors
    current = set(result.partners_of(person_id))
    order = sorted(range(len(others)), key=lambda x: (-scores[x], x))
    out = []
    for x in order:
        if others[x].id in current:
            continue
        out.append(Alternative(others[x].id, float(scores[x]), tuple(rule_names(int(blocked[x]))),
                               result.partners_of(others[x].id)))
        if len(out) == k:
            break
    return out


def why_not(result: MatchResult, mentor_id: str, mentee_id: str) -> str:
    """Why ``mentor_id`` and ``mentee_id`` are not paired, with the exact cost of forcing it.

    The cost comes from solving again with the pair pinned (same problem and
    parameters), so it is the true loss in objective, not an estimate.
    """
    from .solve import solve  # the explanation layer may re-run the public solver

    ctx = _context(result)
    problem = ctx.problem
    explanation = explain_pair(result, mentor_id, mentee_id)
    if explanation.matched:
        return f"{mentor_id} and {mentee_id} are paired."
    if explanation.blocked_by:
        return f"{mentor_id} - {mentee_id} is not a candidate: {', '.join(explanation.blocked_by)}."
    lines = [f"{mentor_id} - {mentee_id} would score {explanation.score:.3f}."]
    for pid in (mentor_id, mentee_id):
        partners = result.partners_of(pid)
        if partners:
            lines.append(f"{pid} is paired with {', '.join(partners)} instead.")
    rules = problem.rules.model_copy(
        update={"required_pairs": (*problem.rules.required_pairs, (mentor_id, mentee_id))})
    try:
        forced = solve(problem.model_copy(update={"rules": rules}), ctx.params)
    except InfeasibleProblemError as err:
        lines.append("Pinning it would make the problem infeasible: " + "; ".join(r["message"] for r in err.reasons))
        return " ".join(lines)
    loss = result.objective - forced.objective
    lines.append(f"The best matching that includes it scores {forced.objective:.4f}, "
                 f"{loss:.4f} less than the proposed {result.objective:.4f}.")
    return " ".join(lines)


def why_unmatched(result: MatchResult, person_id: str) -> str:
    """Why ``person_id`` has no partner (or a note that they have one)."""
    for u in result.unmatched:
        if u.person_id == person_id:
            return f"{u.side} {person_id} is unmatched: {u.reason}"
    _locate(_context(result).problem, person_id)
    partners = result.partners_of(person_id)
    return f"{person_id} is matched with {', '.join(partners)}." if partners else f"{person_id} takes no partners."


def explain(result: MatchResult, k: int = 2) -> str:
    """The result's summary followed by an explanation of every pair and every unmatched person.

    >>> from pairmatch import solve
    >>> from pairmatch.datasets import pilot_problem
    >>> text = explain(solve(pilot_problem()))
    >>> "shared focus: knife crime" in text
    True
    """
    problem = _context(result).problem
    names = {p.id: p.label for p in (*problem.mentors, *problem.mentees)}
    lines = [result.summary(), ""]
    for pair in result.pairs:
        lines.append(f"{names[pair.mentor_id]}  <->  {names[pair.mentee_id]}" + ("  [pinned]" if pair.pinned else ""))
        lines.append(explain_pair(result, pair.mentor_id, pair.mentee_id).text())
        alts = alternatives(result, pair.mentor_id, k)
        if alts:
            described = ", ".join(
                f"{a.partner_id} ({a.score:.3f}"
                + (f", ruled out: {'; '.join(a.blocked_by)}" if a.blocked_by
                   else f", paired with {', '.join(a.partner_matched_with)}" if a.partner_matched_with else "")
                + ")"
                for a in alts)
            lines.append(f"  next best for {pair.mentor_id}: {described}")
        lines.append("")
    for u in result.unmatched:
        lines.append(f"{names[u.person_id]} is unmatched: {u.reason}")
    return "\n".join(lines).rstrip()


def score_matrix_text(result: MatchResult) -> str:
    """All pair scores as a small grid (for tiny problems such as the demo)."""
    ctx = _context(result)
    problem, total = ctx.problem, ctx.table.total
    head = ["".ljust(8)] + [m.id.ljust(8) for m in problem.mentees]
    rows = ["".join(head).rstrip()]
    for i, mentor in enumerate(problem.mentors):
        rows.append("".join([mentor.id.ljust(8)] + [f"{total[i, j]:.3f}".ljust(8) for j in range(total.shape[1])]).rstrip())
    return "\n".join(rows)


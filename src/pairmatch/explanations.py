"""Explanations: why a pair was proposed, what the alternatives were, why someone is unmatched.

Everything here reads the score and candidate views the solver used (kept
on the result as its `SolveContext`), never a second scoring route. Look-ups
go through id maps built once per problem and result; alternatives scan one
row of scores with a partial sort, so explaining a pair or a person costs
O(n) and never a pass over all pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import display
from .availability import SLOT_MINUTES, format_slots, window_slots
from .constraints import rule_details, rule_names
from .custom_scores import CONTINUITY
from .exceptions import InfeasibleProblemError, require
from .geography import BoroughRelation
from .matching import solve
from .models import Person, Problem
from .result import MatchResult
from .solver import SolveContext
from .text import printable
from .unmatched import CLOSED, closed_people, own_scores

__all__ = [
    "Alternative",
    "Alternatives",
    "PairExplanation",
    "alternatives",
    "alternatives_of",
    "explain",
    "explain_pair",
    "why_not",
    "why_unmatched",
]


def _context(result: MatchResult) -> SolveContext:
    return result.solved_context("explanations need")


def _pair_index(problem: Problem, mentor_id: str, mentee_id: str) -> tuple[int, int]:
    side_m, i = problem.locate(mentor_id)
    side_e, j = problem.locate(mentee_id)
    if (side_m, side_e) != ("mentor", "mentee"):
        raise KeyError(f"{mentor_id!r} must be a mentor and {mentee_id!r} a mentee")
    return i, j


def focus_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """The strongest topic link between two people, in words."""
    tax = problem.taxonomy
    if not mentor.focus_areas or not mentee.focus_areas:
        return "no focus areas listed on " + (
            "both sides" if not (mentor.focus_areas or mentee.focus_areas) else "one side"
        )
    shared = [t for t in mentor.focus_areas if t in mentee.focus_areas]
    if shared:
        return "shared focus: " + ", ".join(shared)
    a, b = max(((a, b) for a in mentor.focus_areas for b in mentee.focus_areas), key=lambda ab: tax.relatedness(*ab))
    if tax.relatedness(a, b) <= 0:
        return f"no related focus areas ({', '.join(mentor.focus_areas)} vs {', '.join(mentee.focus_areas)})"
    path = tax.path(a, b)
    return f"related focus: {a} ~ {b} ({len(path) - 1} step(s): {' -> '.join(path)})"


def borough_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """The closest borough relation between two people, in words.

    Places are shown as each person wrote them ("Stratford (Newham)"), and a
    river border names its crossings.
    """
    geo = problem.geography
    if not mentor.boroughs or not mentee.boroughs:
        return "no borough listed on one side"
    a, b = max(((a, b) for a in mentor.boroughs for b in mentee.boroughs), key=lambda ab: geo.score(*ab))
    shown_a, shown_b = mentor.place_label(a), mentee.place_label(b)
    relation = geo.relation(a, b)
    if relation == BoroughRelation.SAME:
        return f"same borough: {shown_a}" if shown_a == shown_b else f"same borough: {shown_a} - {shown_b}"
    if relation == BoroughRelation.SAME_UNIT:
        return f"same {geo.unit_name} ({geo.unit_of[a]}): {shown_a} - {shown_b}"
    return f"{geo.pair_text(a, b)}: {shown_a} - {shown_b}"


def availability_fact(problem: Problem, mentor: Person, mentee: Person) -> str:
    """Common weekly windows and how they compare with the meeting length."""
    common = window_slots(mentor.availability) & window_slots(mentee.availability)
    if not common:
        return "no common weekly time"
    minutes = len(common) * SLOT_MINUTES
    windows = ", ".join(format_slots(common))
    return f"common time {windows} ({minutes} min a week; a meeting needs {problem.meeting_minutes})"


def _facts(
    problem: Problem, names: tuple[str, ...], values: dict[str, float], mentor: Person, mentee: Person
) -> dict[str, str]:
    facts = {}
    custom = {c.name: c for c in problem.scores}
    preferences = {p.name: p for p in problem.preferences}
    rank_scores = {r.name: r for r in problem.rank_scores}
    for name in names:
        if name == "focus":
            facts[name] = focus_fact(problem, mentor, mentee)
        elif name == "borough":
            facts[name] = borough_fact(problem, mentor, mentee)
        elif name == "availability":
            facts[name] = availability_fact(problem, mentor, mentee)
        elif name in preferences:
            facts[name] = preferences[name].fact(mentor, mentee, problem.geography.unit_of)
        elif name in rank_scores:
            facts[name] = rank_scores[name].fact(mentor, mentee)
        else:
            component = custom[name]
            facts[name] = f"{component.label} {values[name]:.3g} (weight {component.weight:g})"
    return facts


@dataclass(frozen=True)
class PairExplanation:
    """Why a pair scores what it does, from the solver's own arrays (``mentor_name`` and
    ``mentee_name`` are empty when the people have none).

    ``score`` is the pair's own score; in a re-match, the continuity bonus the
    objective adds for keeping a working pair is ``bonus``, beside it.
    """

    mentor_id: str
    mentee_id: str
    matched: bool
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    facts: dict[str, str]
    blocked_by: tuple[str, ...]
    mentor_name: str = ""
    mentee_name: str = ""
    bonus: float = 0.0

    def text(self) -> str:
        """The explanation in a few lines: the score, each component with its weight,
        contribution and fact, any continuity bonus and the rules that rule the pair out."""
        state = "matched" if self.matched else ("not a candidate" if self.blocked_by else "not matched")
        lines = [printable(f"{self.mentor_id} - {self.mentee_id}: score {self.score:.3f} ({state})")]
        for name, value in self.components.items():
            lines.append(
                f"  {name:<12} {value:.2f} x weight -> {self.contributions[name]:.3f}   {printable(self.facts[name])}"
            )
        if self.bonus:
            lines.append(
                f"  re-match continuity bonus {self.bonus:.3f} (a working pair kept; counted in the objective only)"
            )
        if self.blocked_by:
            lines.append(f"  ruled out by: {', '.join(self.blocked_by)}")
        return "\n".join(lines)

    def _state(self) -> str:
        return "matched" if self.matched else ("not a candidate" if self.blocked_by else "not matched")

    def __repr__(self) -> str:
        return display.short_repr(
            "PairExplanation",
            f"{self.mentor_id!r} - {self.mentee_id!r}",
            f"score {display.number(self.score)}",
            self._state(),
        )

    def to_rows(self) -> list[tuple[str, float, float, str]]:
        """``(component, value, contribution, fact)`` per component."""
        return [(c, v, self.contributions[c], self.facts[c]) for c, v in self.components.items()]

    def _repr_html_(self) -> str:
        mentor = f"{self.mentor_name} ({self.mentor_id})" if self.mentor_name else self.mentor_id
        mentee = f"{self.mentee_name} ({self.mentee_id})" if self.mentee_name else self.mentee_id
        return display.card(
            f"{mentor} - {mentee}: score {display.number(self.score)} ({self._state()})",
            display.table(("component", "value", "contribution", "why"), self.to_rows()),
            lines=[f"ruled out by: {', '.join(self.blocked_by)}"] if self.blocked_by else [],
        )

    def to_frame(self) -> Any:
        """One row per component: ``component``, ``value`` (in [0, 1] for the built-ins),
        ``contribution`` (weighted, adding up to the score) and ``fact`` (needs the ``io`` extra).

        >>> from pairmatch import solve
        >>> from pairmatch.examples import pilot_problem
        >>> explain_pair(solve(pilot_problem()), "M1", "O1").to_frame()["component"].tolist()
        ['focus', 'borough', 'availability']
        """
        pandas = require("pandas", "io", "PairExplanation.to_frame()")
        return display.frame(pandas, ("component", "value", "contribution", "fact"), self.to_rows())


def explain_pair(result: MatchResult, mentor_id: str, mentee_id: str) -> PairExplanation:
    """Component values, weighted contributions and the facts behind them for one pair.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> e = explain_pair(solve(pilot_problem()), "M2", "O2")
    >>> e.facts["borough"]
    'adjacent: Newham - Redbridge'
    """
    ctx = _context(result)
    problem, scores = ctx.problem, ctx.scores
    i, j = _pair_index(problem, mentor_id, mentee_id)
    rows, cols = np.array([i]), np.array([j])
    values = scores.pair_values(rows, cols)
    weights = dict(scores.weights)
    bonus = weights.pop(CONTINUITY, 0.0) * float(values[CONTINUITY][0]) if CONTINUITY in weights else 0.0
    mentors_closed, mentees_closed = closed_people(ctx)
    closed = bool(mentors_closed[i] or mentees_closed[j])  # one of them can take no partner at all
    components = {name: float(values[name][0]) for name in weights}
    return PairExplanation(
        mentor_id=mentor_id,
        mentee_id=mentee_id,
        matched=mentee_id in result.partners_of(mentor_id),
        score=float(values["total"][0]) - bonus,
        components=components,
        contributions={k: weights[k] * v for k, v in components.items()},
        facts=_facts(problem, tuple(weights), components, problem.mentors[i], problem.mentees[j]),
        blocked_by=(
            *rule_details(problem, i, j, int(ctx.candidates.blocked_pairs(rows, cols)[0])),
            *([CLOSED] if closed else []),
        ),
        mentor_name=problem.mentors[i].name or "",
        mentee_name=problem.mentees[j].name or "",
        bonus=bonus,
    )


@dataclass(frozen=True)
class Alternative:
    """Another possible partner of a person, best first."""

    partner_id: str
    score: float
    blocked_by: tuple[str, ...]
    partner_matched_with: tuple[str, ...]

    def __repr__(self) -> str:
        ruled = f"ruled out: {'; '.join(self.blocked_by)}" if self.blocked_by else ""
        taken = f"paired with {', '.join(self.partner_matched_with)}" if self.partner_matched_with else ""
        return display.short_repr(
            "Alternative", repr(self.partner_id), f"score {display.number(self.score)}", ruled, taken
        )


class Alternatives(display.DisplayList):
    """A person's alternatives (a list of `Alternative`, best first) that shows itself as a
    table; `to_frame` gives ``partner_id``, ``partner_name``, ``score``, ``blocked_by`` and
    ``partner_matched_with`` (lists ``"; "``-separated)."""

    what = "alternative"
    columns = ("partner_id", "partner_name", "score", "blocked_by", "partner_matched_with")

    def __init__(self, items: Any = (), person_id: str = "", names: dict[str, str] | None = None) -> None:
        super().__init__(items)
        self.person_id, self.names = person_id, dict(names or {})
        self.title = f"Alternatives for {person_id}"

    def row(self, item: Alternative) -> tuple[Any, ...]:
        """``(partner_id, partner_name, score, blocked_by, partner_matched_with)``, lists joined with ``"; "``."""
        return (
            item.partner_id,
            self.names.get(item.partner_id, ""),
            item.score,
            "; ".join(item.blocked_by),
            "; ".join(item.partner_matched_with),
        )

    def to_frame(self) -> Any:
        """The alternatives as a pandas DataFrame (needs the ``io`` extra)."""
        pandas = require("pandas", "io", "Alternatives.to_frame()")
        return display.frame(pandas, self.columns, self.to_rows())


def _best(scores: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best eligible scores, best first (ties: lower index first)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    pool = np.flatnonzero(eligible)
    if len(pool) > k:
        # The k-th best value by a partial sort; everything tied with it stays for the tie rule.
        cut = np.partition(scores[pool], len(pool) - k)[len(pool) - k]
        pool = pool[scores[pool] >= cut]
    order = np.lexsort((pool, -scores[pool]))
    return pool[order][:k]


def alternatives(result: MatchResult, person_id: str, k: int = 3, *, allowed_only: bool = True) -> Alternatives:
    """The ``k`` best partners of ``person_id`` other than the ones proposed.

    By default only partners the solver could have given them are listed: the
    rules allow the pair, it scores above 0, and both can take a partner at
    all (capacity above 0, no quota that allows their group no pairs); a
    person who can take no partner has no alternatives. ``allowed_only=False``
    also lists ruled-out partners, with the rules (or ``"takes no partners"``)
    that remove them. Scores are the pairs' own scores (without a re-match's
    continuity bonus).
    """
    return alternatives_of(result, [person_id], k, allowed_only=allowed_only)[person_id]


_BATCH = 256  # people whose full row of scores and rule bits is held at once


def alternatives_of(
    result: MatchResult, person_ids: Sequence[str], k: int = 3, *, allowed_only: bool = True
) -> dict[str, Alternatives]:
    """`alternatives` of many people at once (e.g. everyone unmatched): their rows of scores
    and rule bits are fetched a batch at a time, so the cost is one row per person.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> result = solve(pilot_problem())
    >>> {pid: [a.partner_id for a in alts] for pid, alts in alternatives_of(result, ["M1", "O2"], k=1).items()}
    {'M1': ['O3'], 'O2': ['M1']}
    """
    ctx = _context(result)
    problem = ctx.problem
    located = [(pid, *problem.locate(pid)) for pid in dict.fromkeys(person_ids)]
    closed = closed_people(ctx)
    out: dict[str, Alternatives] = {}
    for side in ("mentor", "mentee"):
        asked = [(pid, idx) for pid, s, idx in located if s == side]
        others, position = (
            (problem.mentees, problem.mentee_index()) if side == "mentor" else (problem.mentors, problem.mentor_index())
        )
        own_closed, their_closed = (closed[0], closed[1]) if side == "mentor" else (closed[1], closed[0])
        for start in range(0, len(asked), _BATCH):
            batch = asked[start : start + _BATCH]
            index = np.array([idx for _, idx in batch], dtype=np.int64)
            scores = own_scores(ctx, index, "mentor" if side == "mentor" else "mentee")
            blocked = ctx.candidates.blocked_rows(index) if side == "mentor" else ctx.candidates.blocked_cols(index)
            for row, (pid, idx) in enumerate(batch):
                out[pid] = _alternatives_in_row(
                    result,
                    pid,
                    others,
                    position,
                    scores[row],
                    blocked[row],
                    (bool(own_closed[idx]), their_closed),
                    k,
                    allowed_only,
                )
    return out


def _alternatives_in_row(
    result: MatchResult,
    person_id: str,
    others: Sequence[Person],
    position: Mapping[str, int],
    scores: np.ndarray,
    blocked: np.ndarray,
    closed: tuple[bool, np.ndarray],
    k: int,
    allowed_only: bool,
) -> Alternatives:
    """``person_id``'s alternatives from their row of scores and rule bits; ``closed`` says
    whether they, and which of ``others``, can take no partner at all."""
    mine, theirs = closed
    eligible = np.ones(len(others), dtype=bool)
    for pid in result.partners_of(person_id):
        eligible[position[pid]] = False
    if allowed_only:
        if mine:
            return Alternatives((), person_id, {})
        eligible &= (blocked == 0) & (scores > 0) & ~theirs

    def reasons(x: int) -> tuple[str, ...]:
        return (*rule_names(int(blocked[x])), *([CLOSED] if mine or theirs[x] else []))

    best = _best(scores, eligible, k).tolist()
    return Alternatives(
        (Alternative(others[x].id, float(scores[x]), reasons(x), result.partners_of(others[x].id)) for x in best),
        person_id,
        {others[x].id: others[x].name or "" for x in best},
    )


def why_not(result: MatchResult, mentor_id: str, mentee_id: str) -> str:
    """Why ``mentor_id`` and ``mentee_id`` are not paired, with the exact cost of forcing it.

    The cost comes from solving again with the pair pinned (same problem and
    parameters), so it is the true loss in objective, not an estimate.
    """
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
    rules = problem.rules.model_copy(update={"required_pairs": (*problem.rules.required_pairs, (mentor_id, mentee_id))})
    try:
        forced = solve(problem.model_copy(update={"rules": rules}), ctx.params)
    except InfeasibleProblemError as err:
        lines.append("Pinning it would make the problem infeasible: " + "; ".join(r["message"] for r in err.reasons))
        return " ".join(lines)
    loss = result.objective - forced.objective
    lines.append(
        f"The best matching that includes it scores {forced.objective:.4f}, "
        f"{loss:.4f} less than the proposed {result.objective:.4f}."
    )
    return " ".join(lines)


def why_unmatched(result: MatchResult, person_id: str) -> str:
    """Why ``person_id`` has no partner (or a note that they have one)."""
    for u in result.unmatched:
        if u.person_id == person_id:
            return f"{u.side} {person_id} is unmatched: {u.reason}"
    _context(result).problem.locate(person_id)
    partners = result.partners_of(person_id)
    return f"{person_id} is matched with {', '.join(partners)}." if partners else f"{person_id} takes no partners."


def _describe(alts: list[Alternative]) -> str:
    return ", ".join(
        f"{a.partner_id} ({a.score:.3f}"
        + (
            f", ruled out: {'; '.join(a.blocked_by)}"
            if a.blocked_by
            else f", paired with {', '.join(a.partner_matched_with)}"
            if a.partner_matched_with
            else ""
        )
        + ")"
        for a in alts
    )


def explain(result: MatchResult, k: int = 2) -> str:
    """The result's summary followed by an explanation of every pair and every unmatched person.

    Each pair lists up to ``k`` next-best allowed partners of its mentor
    (``k=0`` leaves them out: each costs one scan of the mentor's scores).

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> text = explain(solve(pilot_problem()))
    >>> "shared focus: knife crime" in text
    True
    """
    problem = _context(result).problem
    names = {p.id: p.label for p in (*problem.mentors, *problem.mentees)}
    lines = [result.summary(), ""]
    for pair in result.pairs:
        lines.append(
            printable(f"{names[pair.mentor_id]}  <->  {names[pair.mentee_id]}") + ("  [pinned]" if pair.pinned else "")
        )
        lines.append(explain_pair(result, pair.mentor_id, pair.mentee_id).text())
        alts = alternatives(result, pair.mentor_id, k) if k else []
        if alts:
            lines.append(printable(f"  next best for {pair.mentor_id}: {_describe(alts)}"))
        lines.append("")
    for u in result.unmatched:
        lines.append(printable(f"{names[u.person_id]} is unmatched: {u.reason}"))
    return "\n".join(lines).rstrip()


def score_matrix_text(result: MatchResult) -> str:
    """All pair scores as a small grid (for tiny problems such as the demo)."""
    ctx = _context(result)
    problem = ctx.problem
    total = ctx.scores.total_rows(np.arange(len(problem.mentors)))
    head = ["".ljust(8)] + [printable(m.id).ljust(8) for m in problem.mentees]
    rows = ["".join(head).rstrip()]
    for i, mentor in enumerate(problem.mentors):
        rows.append(
            "".join(
                [printable(mentor.id).ljust(8)] + [f"{total[i, j]:.3f}".ljust(8) for j in range(total.shape[1])]
            ).rstrip()
        )
    return "\n".join(rows)

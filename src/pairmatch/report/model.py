"""The report model: everything a report shows, built once from a result.

Renderers (`pairmatch.report.html`, `pairmatch.report.markdown`) and charts
(`pairmatch.report.charts`) only format this model, so every format says the
same thing. Building it costs O(pairs + people): pairs and people are found
through id maps, the facts behind built-in components come straight from the
two people, and alternatives are searched only for unmatched people.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..diffs import coverage
from ..explanations import Alternative, alternatives_of
from ..geography import Geography
from ..io.writers import pair_facts
from ..maps import tile_layout
from ..models import Person, Problem
from ..result import MatchResult
from ..version import package_versions

__all__ = ["AlternativeRow", "Coverage", "PairRow", "Report", "UnmatchedRow", "build_report", "package_versions"]


@dataclass(frozen=True)
class PairRow:
    """One proposed pair: who, the score and its parts, and the facts behind each part."""

    mentor_id: str
    mentor_label: str
    mentee_id: str
    mentee_label: str
    score: float
    components: tuple[tuple[str, float], ...]
    contributions: tuple[tuple[str, float], ...]
    pinned: bool
    facts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AlternativeRow:
    """Another allowed partner of an unmatched person, and whether they are taken."""

    partner_id: str
    partner_label: str
    score: float
    paired_with: tuple[str, ...]

    def text(self) -> str:
        """``partner (score, paired with ...)``."""
        taken = f", paired with {', '.join(self.paired_with)}" if self.paired_with else ""
        return f"{self.partner_label} ({self.score:.3f}{taken})"


@dataclass(frozen=True)
class UnmatchedRow:
    """Someone left without a partner: the reason and their best allowed alternatives."""

    side: str
    person_id: str
    label: str
    code: str
    reason: str
    alternatives: tuple[AlternativeRow, ...]


@dataclass(frozen=True)
class Coverage:
    """People and matched people per group (unit, borough or focus area), largest first."""

    key: str
    title: str
    group_name: str
    rows: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Report:
    """Everything a report shows, as plain values (see `build_report`)."""

    title: str
    description: str
    generated: str
    summary: tuple[tuple[str, str], ...]
    components: tuple[str, ...]
    pairs: tuple[PairRow, ...]
    unmatched: tuple[UnmatchedRow, ...]
    coverage: tuple[Coverage, ...]
    score_range: float
    parameters: tuple[tuple[str, Any], ...]
    rules: tuple[str, ...]
    vocabularies: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    # The geography when it has a tile map (London), so borough coverage is drawn as a map.
    map_geography: Geography | None = None

    @property
    def scores(self) -> list[float]:
        """Each pair's score, in the order of ``pairs``."""
        return [p.score for p in self.pairs]


def problem_of(result: MatchResult, problem: Problem | None = None) -> Problem:
    """The problem a result was solved from (or ``problem`` when given)."""
    return problem if problem is not None else result.solved_context("a report needs").problem


def _label(people: Sequence[Person], index: Mapping[str, int], pid: str, columns: Sequence[str] = ()) -> str:
    """``name (id)``, with the extra ``columns`` the coordinator asked for beside it."""
    k = index.get(pid)
    if k is None:
        return pid
    person = people[k]
    shown = [f"{c}: {person.attributes[c]}" for c in columns if person.attributes.get(c, "") != ""]
    return person.label + (f" [{'; '.join(shown)}]" if shown else "")


def _summary(result: MatchResult, problem: Problem) -> tuple[tuple[str, str], ...]:
    n_mentors, n_mentees = problem.shape
    unmatched = Counter(u.side for u in result.unmatched)
    cert = {k: v for k, v in result.certificate.items() if k in ("proof", "gap", "bound", "rounding_bound")}
    score = math.fsum(p.base_score for p in result.pairs)
    # A re-match's continuity bonus is part of its objective, shown beside the score, never inside it.
    bonus = [("continuity bonus", f"{result.objective - score:.3f}")] if any(p.bonus for p in result.pairs) else []
    rows = [
        ("mentors", f"{n_mentors} ({unmatched['mentor']} unmatched)"),
        ("mentees", f"{n_mentees} ({unmatched['mentee']} unmatched)"),
        ("pairs", str(result.n_pairs)),
        ("objective (total score)" if not bonus else "total score", f"{score:.3f}"),
        *bonus,
        ("mean pair score", f"{score / result.n_pairs:.3f}" if result.n_pairs else "-"),
        ("status", result.status_text),
        ("solver", result.solver),
        ("runtime", f"{result.runtime_s:.3f} s"),
        *((f"certificate: {k}", _flat(v)) for k, v in cert.items()),
    ]
    return tuple(rows)


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rules_in_words(problem: Problem) -> tuple[str, ...]:
    """The hard rules of a problem as sentences (units spelt out).

    >>> from pairmatch import Rules
    >>> from pairmatch.examples import pilot_problem
    >>> rules_in_words(pilot_problem().model_copy(update={"rules": Rules(min_overlap_minutes=100)}))
    ('pairs need at least 100 minutes a week of common availability',)
    """
    rules = problem.rules
    out = []
    if rules.forbidden_pairs:
        out.append(f"{len(rules.forbidden_pairs)} forbidden pair(s) are never matched")
    if rules.required_pairs:
        out.append(f"{len(rules.required_pairs)} pinned pair(s) are always matched")
    if rules.min_score is not None:
        out.append(f"pairs scoring below {rules.min_score:g} are not candidates")
    if rules.require_focus_overlap:
        out.append("pairs need a shared or related focus area")
    if rules.min_overlap_minutes:
        out.append(f"pairs need at least {rules.min_overlap_minutes} minutes a week of common availability")
    if rules.max_borough_steps is not None:
        out.append(f"pairs' boroughs are at most {rules.max_borough_steps} borders apart")
    if rules.forbid_same:
        out.append(f"within a pair these must differ: {', '.join(rules.forbid_same)}")
    if rules.match_all_mentors:
        out.append("every mentor must get a partner")
    if rules.match_all_mentees:
        out.append("every mentee must get a partner")
    out.extend(q.describe() for q in rules.quotas)
    return tuple(out)


def _describe(vocabulary: Any, fallback: str) -> str:
    describe = getattr(vocabulary, "describe", None)
    if callable(describe):
        text = describe()
        return text if isinstance(text, str) else _flat(text)
    return fallback


def _vocabularies(problem: Problem) -> tuple[tuple[str, str], ...]:
    geo, tax = problem.geography, problem.taxonomy
    units = sorted(set(geo.unit_of.values()))
    geo_text = f"{len(geo.places)} places" + (f", {len(units)} {geo.unit_name} units" if units else "")
    tax_text = f"{len(tax.topics)} topics, decay {tax.decay:g}, max distance {tax.max_distance}"
    return (("geography", _describe(geo, geo_text)), ("taxonomy", _describe(tax, tax_text)))


def _coverage(problem: Problem, matched: set[str]) -> tuple[Coverage, ...]:
    geo = problem.geography
    unit_name = geo.unit_name or "unit"
    groupings: list[tuple[str, str, str, str]] = []
    if geo.unit_of:
        groupings.append(("unit", "bcu", f"Coverage per {unit_name}", unit_name))
    groupings.append(("borough", "borough", "Coverage per borough", "borough"))
    groupings.append(("focus", "focus", "Coverage per focus area", "focus area"))
    out = []
    for key, counted_by, title, group_name in groupings:
        counts = coverage(problem, matched, counted_by, no_unit=f"(no {unit_name})")
        rows = tuple((g, *counts[g]) for g in sorted(counts, key=lambda g: (-counts[g][0], g)))
        out.append(Coverage(key, title, group_name, rows))
    return tuple(out)


def build_report(
    result: MatchResult,
    problem: Problem | None = None,
    *,
    title: str | None = None,
    sources: Sequence[str] = (),
    alternatives_per_person: int = 2,
    generated: str | None = None,
    columns: Sequence[str] = (),
) -> Report:
    """The report model of ``result``.

    Parameters
    ----------
    result : MatchResult
        A result returned by `pairmatch.solve` (facts and alternatives read its arrays).
    problem : Problem, optional
        Defaults to the problem the result was solved from.
    title : str, optional
        Defaults to the problem's name.
    sources : sequence of str
        Input files, listed for audit.
    alternatives_per_person : int
        Best allowed alternatives listed for each unmatched person.
    generated : str, optional
        Time stamp to print (default: now, UTC).
    columns : sequence of str
        Extra input columns (people's attributes) shown beside each person's name.

    Examples
    --------
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> report = build_report(solve(pilot_problem()))
    >>> report.pairs[0].mentor_label, report.pairs[0].facts[0]
    ('Mentor A (Tower Hamlets) (M1)', ('focus', 'shared focus: knife crime'))
    """
    problem = problem_of(result, problem)
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    label = {
        "mentor": lambda pid: _label(problem.mentors, mentor_ix, pid, columns),
        "mentee": lambda pid: _label(problem.mentees, mentee_ix, pid, columns),
    }
    facts = pair_facts(result) if result.context is not None else [{} for _ in result.pairs]
    pairs = tuple(
        PairRow(
            p.mentor_id,
            label["mentor"](p.mentor_id),
            p.mentee_id,
            label["mentee"](p.mentee_id),
            p.base_score,
            tuple(p.components.items()),
            tuple(p.contributions.items()),
            p.pinned,
            tuple(f.items()),
        )
        for p, f in zip(result.pairs, facts, strict=True)
    )
    unmatched = []
    found = (
        alternatives_of(result, [u.person_id for u in result.unmatched], alternatives_per_person)
        if result.context is not None
        else {}
    )
    for u in result.unmatched:
        other = "mentee" if u.side == "mentor" else "mentor"
        alts: Sequence[Alternative] = found.get(u.person_id, [])
        unmatched.append(
            UnmatchedRow(
                u.side,
                u.person_id,
                label[u.side](u.person_id),
                u.code,
                u.reason,
                tuple(
                    AlternativeRow(a.partner_id, label[other](a.partner_id), a.score, tuple(a.partner_matched_with))
                    for a in alts
                ),
            )
        )
    matched = {pid for p in result.pairs for pid in (p.mentor_id, p.mentee_id)}
    params = result.context.params.model_dump() if result.context is not None else {}
    parameters = (
        ("objective", result.objective_name),
        ("seed", result.seed),
        ("meeting_minutes", problem.meeting_minutes),
        ("weights", problem.weights.as_dict()),
        ("rules", problem.rules.model_dump(exclude_defaults=True) or "none (every pair is a candidate)"),
        ("solve", params),
    )
    top = max([problem.weights.total, *(p.base_score for p in result.pairs)])
    return Report(
        title=title or problem.name or "pairmatch matching report",
        description=problem.description,
        generated=generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=_summary(result, problem),
        components=tuple(result.pairs[0].components) if result.pairs else (),
        pairs=pairs,
        unmatched=tuple(unmatched),
        coverage=_coverage(problem, matched),
        score_range=float(top) if top > 0 else 1.0,
        parameters=tuple((k, _flat(v)) for k, v in parameters),
        rules=rules_in_words(problem),
        vocabularies=_vocabularies(problem),
        versions=tuple(package_versions().items()),
        sources=tuple(str(s) for s in sources),
        map_geography=problem.geography if tile_layout(problem.geography) is not None else None,
    )

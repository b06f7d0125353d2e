"""Why no matching satisfies the hard rules: infeasibility reasons with certificates.

Reasons are dicts with a ``rule`` code, a readable ``message`` and the ids
involved. Hall violators come from a minimum cut (König's theorem for
bipartite graphs, generalised to capacities): a set ``S`` of people who need
``need`` partners in total while everyone they may be paired with can take
only ``can_take``; ``need > can_take`` is checkable by anyone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import networkx as nx
import numpy as np

from .. import display
from ..constraints import (
    BITS,
    Candidates,
    Rule,
    build_candidates,
    quota_groups,
    rule_details,
    rule_names,
    ruling_out,
)
from ..exceptions import require
from ..models import Person, Problem
from ..scoring import Scorer, ScoreTable, score_table

__all__ = ["Diagnosis", "diagnose", "hall_violator"]


class Diagnosis(display.DisplayList):
    """Why no matching satisfies the hard rules: a list of reasons (dicts with ``rule``,
    ``message`` and ``people``) that shows itself as a table; `to_frame` gives ``rule``,
    ``people`` (``"; "``-separated ids), ``n_people`` and ``message``."""

    title = "Why no matching satisfies the rules"
    what = "reason"
    columns = ("rule", "people", "n_people", "message")

    def row(self, item: dict[str, Any]) -> tuple[Any, ...]:
        """``(rule, people, n_people, message)``, showing the first 20 ids and how many more."""
        people = item.get("people", [])
        shown = "; ".join(people[:20]) + (f"; … {len(people) - 20:,} more" if len(people) > 20 else "")
        return (item.get("rule", ""), shown, len(people), item.get("message", ""))

    def to_frame(self) -> Any:
        """The reasons as a pandas DataFrame (needs the ``io`` extra); ``people`` holds every id."""
        pandas = require("pandas", "io", "Diagnosis.to_frame()")
        rows = (
            (r.get("rule", ""), "; ".join(r.get("people", [])), len(r.get("people", [])), r.get("message", ""))
            for r in self
        )
        return display.frame(pandas, self.columns, rows)


def _people(problem: Problem, side: str) -> tuple[Person, ...]:
    return problem.mentors if side == "mentor" else problem.mentees


def hall_violator(
    problem: Problem, candidates: Candidates, side: str, need: np.ndarray, can_take: np.ndarray
) -> dict[str, Any] | None:
    """A set on ``side`` whose total ``need`` exceeds what its candidate partners ``can_take``.

    Found as the source side of a minimum cut in: source -> person (need),
    person -> candidate partner (unbounded), partner -> sink (can_take).
    Returns None when every set can be served.
    """
    allowed = candidates.allowed if side == "mentor" else candidates.allowed.T
    askers = np.flatnonzero(need > 0)
    if not len(askers):
        return None
    net = nx.DiGraph()
    for a in askers:
        net.add_edge("source", ("a", int(a)), capacity=int(need[a]))
        for b in np.flatnonzero(allowed[a]):
            net.add_edge(("a", int(a)), ("b", int(b)))  # no capacity attribute = unbounded
    for b in np.flatnonzero(allowed[askers].any(axis=0)):
        net.add_edge(("b", int(b)), "sink", capacity=int(can_take[b]))
    net.add_node("sink")
    cut_value, (reachable, _) = nx.minimum_cut(net, "source", "sink")
    if cut_value >= need.sum():
        return None
    group = sorted(int(x[1]) for x in reachable if isinstance(x, tuple) and x[0] == "a")
    partners = sorted(int(x[1]) for x in reachable if isinstance(x, tuple) and x[0] == "b")
    other = "mentee" if side == "mentor" else "mentor"
    ids = [_people(problem, side)[a].id for a in group]
    partner_ids = [_people(problem, other)[b].id for b in partners]
    total_need, total_cap = int(need[group].sum()), int(can_take[partners].sum())
    return {
        "rule": "hall_violation",
        "side": side,
        "people": ids,
        "partners": partner_ids,
        "need": total_need,
        "can_take": total_cap,
        "message": (
            f"these {len(ids)} {side}s need {total_need} partner(s) in total but can only be matched "
            f"to {len(partner_ids)} {other}(s) taking at most {total_cap}: "
            f"{', '.join(ids)} -> {', '.join(partner_ids) or 'nobody'}"
        ),
    }


def _pin_reasons(problem: Problem, candidates: Candidates) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    for i, j in candidates.required:
        bits = int(candidates.blocked[i, j])
        if bits:
            mentor, mentee = problem.mentors[i].id, problem.mentees[j].id
            rules = rule_names(bits)
            reasons.append(
                {
                    "rule": "pinned_pair_blocked",
                    "people": [mentor, mentee],
                    "rules": rules,
                    "message": f"pinned pair {mentor} - {mentee} breaks a hard rule: {', '.join(rules)}",
                }
            )
    for side, pos, hi in (("mentor", 0, candidates.mentor_max), ("mentee", 1, candidates.mentee_max)):
        counts = Counter(pair[pos] for pair in candidates.required)
        for k, count in sorted(counts.items()):
            if count > hi[k]:
                pid = _people(problem, side)[k].id
                reasons.append(
                    {
                        "rule": "pinned_over_capacity",
                        "people": [pid],
                        "pinned": count,
                        "max_partners": int(hi[k]),
                        "message": f"{side} {pid} is pinned to {count} partners but takes at most {hi[k]}",
                    }
                )
    return reasons


def diagnose(
    problem: Problem,
    table: ScoreTable | None = None,
    candidates: Candidates | None = None,
    *,
    hall: bool = True,
) -> Diagnosis:
    """Every reason found why no matching satisfies the hard rules (empty if none).

    Checks pinned pairs against rules and capacities, people who need partners
    but have too few candidates, total capacity shortfalls, and Hall violator
    sets on each side (a minimum cut: the slow part, skipped with ``hall=False``,
    as the solver does before it tries; it looks for them only when its one
    max-flow finds the lower bounds infeasible).

    >>> from pairmatch.examples import pilot_problem
    >>> diagnose(pilot_problem())
    []
    """
    if candidates is None:
        scorer = Scorer(problem)
        table = table or score_table(scorer)
        candidates = build_candidates(problem, table, scorer)
    reasons = Diagnosis(_pin_reasons(problem, candidates))
    if reasons:
        return reasons
    mlo, mhi, elo, ehi = (np.maximum(b, 0) for b in candidates.free_bounds())
    free = candidates.allowed.copy()
    for i, j in candidates.required:
        free[i, j] = False
    free_cands = Candidates((~free).astype(BITS), (), mlo, mhi, elo, ehi)
    for side, lo, other_hi, adj in (("mentor", mlo, ehi, free), ("mentee", elo, mhi, free.T)):
        for k in np.flatnonzero(lo > 0):
            usable = int(np.minimum(other_hi[adj[k]], 1).sum())
            if usable < lo[k]:
                pid = _people(problem, side)[k].id
                bits = candidates.blocked[k] if side == "mentor" else candidates.blocked[:, k]
                ruled_out = ruling_out(problem, side, int(k), bits)
                reasons.append(
                    {
                        "rule": "too_few_candidates",
                        "people": [pid],
                        "need": int(lo[k]),
                        "candidates": usable,
                        "rules": ruled_out,
                        "message": f"{side} {pid} needs {lo[k]} more partner(s) but has only "
                        f"{usable} candidate(s) with room left"
                        + (f"; the rules rule out the others: {'; '.join(ruled_out)}" if ruled_out else ""),
                    }
                )
    for side, lo, other_hi in (("mentor", mlo, ehi), ("mentee", elo, mhi)):
        if lo.sum() > other_hi.sum():
            other = "mentee" if side == "mentor" else "mentor"
            reasons.append(
                {
                    "rule": "capacity_shortfall",
                    "people": [],
                    "need": int(lo.sum()),
                    "can_take": int(other_hi.sum()),
                    "message": f"{side}s need {lo.sum()} partners in total but all {other}s together "
                    f"take at most {other_hi.sum()}",
                }
            )
    reasons.extend(_quota_reasons(problem, candidates, free, mhi, ehi))
    if not reasons and hall:
        for side, lo, other_hi in (("mentor", mlo, ehi), ("mentee", elo, mhi)):
            found = hall_violator(problem, free_cands, side, lo, other_hi)
            if found:
                reasons.append(_with_rules(problem, candidates, side, found))
    return reasons


def _with_rules(problem: Problem, candidates: Candidates, side: str, found: dict[str, Any]) -> dict[str, Any]:
    """A Hall violator with the rules that rule out its people's other pairs, each with how many
    pairs of the group it removes (the certificate holds without them; they say why)."""
    index = problem.mentor_index() if side == "mentor" else problem.mentee_index()
    rows = np.array([index[pid] for pid in found["people"]], dtype=np.int64)
    bits = candidates.blocked[rows] if side == "mentor" else candidates.blocked[:, rows].T
    rules = []
    for rule in Rule:
        hit = np.argwhere(bits & BITS(rule))
        if len(hit):
            k, other = (int(x) for x in hit[0])
            i, j = (rows[k], other) if side == "mentor" else (other, rows[k])
            detail = rule_details(problem, int(i), int(j), int(rule))[0]
            rules.append(f"{detail} ({len(hit)} pair{'s' if len(hit) != 1 else ''})")
    if not rules:
        return found
    return {
        **found,
        "rules": rules,
        "message": f"{found['message']}; the rules rule out their other pairs: " + ", ".join(rules),
    }


def _quota_reasons(
    problem: Problem, candidates: Candidates, free: np.ndarray, mhi: np.ndarray, ehi: np.ndarray
) -> list[dict[str, Any]]:
    """Quotas that no matching can meet, by counting what each group could at most form."""
    reasons = []
    for quota in problem.rules.quotas:
        pos = 0 if quota.side == "mentor" else 1
        adj, hi, other_hi = (free, mhi, ehi) if pos == 0 else (free.T, ehi, mhi)
        can_form = np.minimum(hi, (adj & (other_hi > 0)).sum(axis=1))
        for value, members in quota_groups(problem, quota).items():
            pinned = sum(1 for pair in candidates.required if members[pair[pos]])
            people = [p.id for p, inside in zip(_people(problem, quota.side), members, strict=True) if inside]
            most = pinned + int(can_form[members].sum())
            if most < quota.min_pairs:
                reasons.append(
                    {
                        "rule": "quota_unreachable",
                        "people": people,
                        "quota": quota.describe(value),
                        "need": quota.min_pairs,
                        "can_form": most,
                        "message": f"quota '{quota.describe(value)}' needs {quota.min_pairs} pairs but its "
                        f"{len(people)} {quota.side}(s) can form at most {most}: "
                        f"{', '.join(people) or 'nobody'}",
                    }
                )
            if quota.max_pairs is not None and pinned > quota.max_pairs:
                reasons.append(
                    {
                        "rule": "quota_exceeded_by_pins",
                        "people": people,
                        "quota": quota.describe(value),
                        "message": f"{pinned} pinned pairs already exceed quota '{quota.describe(value)}'",
                    }
                )
    return reasons

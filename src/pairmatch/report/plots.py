"""Pictures of a result, as matplotlib figures: ``result.plot.map()``, ``.scores()``, ``.components()``.

Each method returns a ``Figure`` drawn off-screen by the same code as the
reports (`pairmatch.maps`, `pairmatch.report.charts`): a notebook shows it
inline (also without pyplot), ``fig.savefig("map.png")`` writes it, and
``ax=`` draws into axes of your own. Drawing needs the ``report`` extra
(matplotlib).

Examples
--------
>>> import pairmatch as pm
>>> result = pm.solve(pm.pilot_problem())
>>> fig = result.plot.scores()
>>> fig.axes[0].get_title()
'Score distribution (3 pairs)'
>>> [t.get_text() for t in result.plot.components().axes[0].get_legend().get_texts()]
['focus', 'borough', 'availability']
"""

from __future__ import annotations

from typing import Any

from ..diffs import coverage
from ..maps import Side, draw_coverage_map
from ..result import MatchResult, register_plots
from .charts import component_figure, coverage_figure, score_histogram
from .model import Coverage

__all__ = ["ResultPlots"]


class ResultPlots:
    """The pictures of one result (what `MatchResult.plot` returns)."""

    def __init__(self, result: MatchResult) -> None:
        self.result = result

    def __repr__(self) -> str:
        return "ResultPlots(map(), scores(), components())"

    def map(self, side: Side = "both", *, ax: Any = None, title: str | None = None) -> Any:
        """Matched share and unmatched people per borough on the London tile map; for a
        geography without a tile layout, bars of people and matched people per place."""
        problem = self.result.solved_context("a map needs").problem
        fig = draw_coverage_map(self.result, problem=problem, side=side, ax=ax, title=title)
        if fig is not None:
            return fig
        matched = {pid for p in self.result.pairs for pid in (p.mentor_id, p.mentee_id)}
        people = [*(problem.mentors if side != "mentee" else ()), *(problem.mentees if side != "mentor" else ())]
        counts = coverage(problem, matched, "borough", people=people)
        rows = tuple(sorted(((g, n, k) for g, (n, k) in counts.items()), key=lambda r: (-r[1], r[0])))
        return coverage_figure(Coverage("borough", title or "Coverage by place", "place", rows), ax=ax)

    def scores(self, *, ax: Any = None, bins: int = 20, title: str | None = None) -> Any:
        """A histogram of the pairs' combined scores, from 0 to the best score any pair can have."""
        scores = [p.score for p in self.result.pairs]
        ctx = self.result.context
        top = max([ctx.problem.weights.total if ctx is not None else 0.0, *scores])
        return score_histogram(scores, top if top > 0 else 1.0, ax=ax, bins=bins, title=title)

    def components(self, *, ax: Any = None, title: str | None = None) -> Any:
        """What each score component adds: one stacked bar per pair (up to 40 pairs, labelled
        with names), else one stacked bar of the average pair."""
        pairs = self.result.pairs
        names = list(pairs[0].contributions) if pairs else []
        data = {c: [p.contributions[c] for p in pairs] for c in names}
        problem = self.result.context.problem if self.result.context is not None else None

        def who(pid: str) -> str:
            return (problem.person(pid).name or pid) if problem is not None else pid

        small = len(pairs) <= 40
        labels = [f"{who(p.mentor_id)} - {who(p.mentee_id)}" if small else "" for p in pairs]
        return component_figure(labels, data, ax=ax, title=title)


register_plots(ResultPlots)

"""The report's charts, drawn from the report model with matplotlib's Agg canvas.

Charts are PNG images embedded as data URIs, so a report is one file that
needs no internet. Axes that count people or pairs have whole-number ticks.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from ..exceptions import require
from ..maps import draw_place_coverage
from ..text import chart_label
from .model import Coverage, Report

__all__ = ["Chart", "coverage_figure", "report_charts", "score_figure"]


@dataclass(frozen=True)
class Chart:
    """One chart: its title, a text alternative and the PNG image (base64)."""

    title: str
    alt: str
    png_base64: str

    @property
    def data_uri(self) -> str:
        return f"data:image/png;base64,{self.png_base64}"


def _figure_classes() -> tuple[Any, Any]:
    require("matplotlib", "report", "drawing report charts")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    return Figure, MaxNLocator


def score_figure(report: Report) -> Any:
    """A histogram of the pair scores (a matplotlib ``Figure``; counts of pairs on whole numbers)."""
    figure, whole = _figure_classes()
    scores = report.scores
    fig = figure(figsize=(7, 3.2), layout="tight")
    ax = fig.add_subplot()
    ax.hist(scores, bins=20, range=(0, report.score_range), color="#3b6ea5", edgecolor="white")
    ax.set_xlabel("combined score of a pair")
    ax.set_ylabel("pairs")
    ax.yaxis.set_major_locator(whole(integer=True))
    ax.set_title(f"Score distribution ({len(scores)} pairs)")
    return fig


def coverage_figure(coverage: Coverage) -> Any:
    """People and matched people per group as horizontal bars (counts of people on whole numbers)."""
    figure, whole = _figure_classes()
    rows = coverage.rows
    fig = figure(figsize=(7, max(2.0, 0.28 * len(rows) + 1)), layout="tight")
    ax = fig.add_subplot()
    labels = [chart_label(r[0]) for r in rows][::-1]
    ax.barh(labels, [r[1] for r in rows][::-1], color="#c9d6e8", label="people")
    ax.barh(labels, [r[2] for r in rows][::-1], color="#3b6ea5", label="matched")
    ax.set_xlabel("people (mentors and mentees)")
    ax.xaxis.set_major_locator(whole(integer=True))
    ax.set_title(chart_label(coverage.title))
    ax.tick_params(axis="y", labelsize=8)
    if rows:
        ax.legend(loc="lower right", fontsize=8)
    return fig


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # The Agg canvas renders off-screen without touching pyplot's global backend.
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def report_charts(report: Report) -> list[Chart]:
    """A histogram of pair scores and one coverage chart per grouping of the report: borough
    coverage on the London tile map when the geography has one, bar charts otherwise."""
    charts = [Chart("Score distribution", "Histogram of pair scores", _png(score_figure(report)))]
    for coverage in report.coverage:
        if coverage.key == "borough" and report.map_geography is not None:
            fig = draw_place_coverage(coverage.rows, report.map_geography, title=f"{coverage.title} (map)")
            if fig is not None:
                charts.append(
                    Chart(
                        f"{coverage.title} (map)",
                        f"Map of the {coverage.group_name}s: each tile coloured by the share of its "
                        "people matched, labelled with matched and unmatched counts",
                        _png(fig),
                    )
                )
                continue
        charts.append(
            Chart(
                coverage.title,
                f"Bar chart: people and matched people per {coverage.group_name}",
                _png(coverage_figure(coverage)),
            )
        )
    return charts

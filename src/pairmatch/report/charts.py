"""The report's charts, and the same pictures as matplotlib figures for ``result.plot``.

A report's charts (`report_charts`) are SVG documents written by
`pairmatch.report.svg`, embedded as data URIs, so a report is one file that
needs no internet and no plotting library. The figure functions here
(`score_histogram`, `component_figure`, `coverage_figure`) draw with
matplotlib's Agg canvas for notebooks and ``savefig``. Axes that count people
or pairs have whole-number ticks.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..maps import new_figure
from ..text import chart_label
from .model import Coverage, Report
from .svg import svg_bars, svg_histogram, svg_place_coverage

__all__ = ["Chart", "component_figure", "coverage_figure", "report_charts", "score_figure", "score_histogram"]

_BLUE = "#3b6ea5"
_PALETTE = ("#3b6ea5", "#e07b39", "#5aa469", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")
_BARS_MAX = 40  # pairs drawn one bar each; more are summarised per component


@dataclass(frozen=True)
class Chart:
    """One chart: its title, a text alternative and the image, an SVG document.

    Shown through an ``<img>`` (`data_uri`), the SVG is an image only: a browser runs no
    script and fetches nothing from it.
    """

    title: str
    alt: str
    svg: str

    @property
    def data_uri(self) -> str:
        """The image as a ``data:`` URI, for an ``<img>`` in a self-contained page."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


def _axes(ax: Any, purpose: str, **kwargs: Any) -> tuple[Any, Any]:
    """``(figure, axes)``: the given axes and their figure, or a new inline figure."""
    if ax is not None:
        return ax.get_figure(), ax
    fig = new_figure(purpose, layout="tight", **kwargs)
    return fig, fig.add_subplot()


def _whole(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def score_histogram(
    scores: Sequence[float], score_range: float = 1.0, *, ax: Any = None, bins: int = 20, title: str | None = None
) -> Any:
    """A histogram of pair scores from 0 to ``score_range`` (a matplotlib ``Figure``; counts of
    pairs on whole numbers); drawn into ``ax`` when given."""
    fig, ax = _axes(ax, "drawing the score distribution", figsize=(7, 3.2))
    ax.hist(list(scores), bins=bins, range=(0, score_range), color=_BLUE, edgecolor="white")
    ax.set_xlabel("combined score of a pair")
    ax.set_ylabel("pairs")
    _whole(ax.yaxis)
    ax.set_title(chart_label(title or f"Score distribution ({len(scores):,} pairs)"))
    return fig


def score_figure(report: Report) -> Any:
    """The report's histogram of pair scores (`score_histogram`)."""
    return score_histogram(report.scores, report.score_range)


def component_figure(
    labels: Sequence[str], contributions: Mapping[str, Sequence[float]], *, ax: Any = None, title: str | None = None
) -> Any:
    """What each score component adds to the pairs' scores (a matplotlib ``Figure``).

    ``contributions[c][k]`` is component ``c``'s weighted part of pair ``k``'s score. Up to
    40 pairs are drawn as one stacked bar each, labelled ``labels[k]``; more as one stacked
    bar of the average pair (each component's mean contribution).
    """
    names = list(contributions)
    n = len(labels)
    if n <= _BARS_MAX:
        fig, ax = _axes(ax, "drawing the component breakdown", figsize=(9, max(2.2, 0.3 * n + 1.2)))
        left = [0.0] * n
        for k, name in enumerate(names):
            values = list(contributions[name])
            ax.barh(range(n), values, left=left, color=_PALETTE[k % len(_PALETTE)], label=chart_label(name))
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(range(n), [chart_label(x) for x in labels], fontsize=8)
        ax.set_xlabel("weighted contribution to the pair's score")
    else:
        # One stacked bar: the average pair's score, made of each component's mean contribution.
        fig, ax = _axes(ax, "drawing the component breakdown", figsize=(7, 2.2))
        start = 0.0
        for k, name in enumerate(names):
            values = list(contributions[name])
            mean = sum(values) / len(values)
            ax.barh([0], [mean], left=start, color=_PALETTE[k % len(_PALETTE)], label=chart_label(f"{name} {mean:.3f}"))
            start += mean
        ax.set_yticks([0], [f"average of {n:,} pairs"], fontsize=8)
        ax.set_xlabel(f"mean weighted contribution (average score {start:.3f})")
    ax.invert_yaxis()
    if names:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(chart_label(title or f"What each component adds ({n:,} pairs)"))
    return fig


def coverage_figure(coverage: Coverage, *, ax: Any = None) -> Any:
    """People and matched people per group as horizontal bars (counts of people on whole numbers)."""
    rows = coverage.rows
    fig, ax = _axes(ax, "drawing report charts", figsize=(7, max(2.0, 0.28 * len(rows) + 1)))
    labels = [chart_label(r[0]) for r in rows][::-1]
    ax.barh(labels, [r[1] for r in rows][::-1], color="#c9d6e8", label="people")
    ax.barh(labels, [r[2] for r in rows][::-1], color="#3b6ea5", label="matched")
    ax.set_xlabel("people (mentors and mentees)")
    _whole(ax.xaxis)
    ax.set_title(chart_label(coverage.title))
    ax.tick_params(axis="y", labelsize=8)
    if rows:
        ax.legend(loc="lower right", fontsize=8)
    return fig


def report_charts(report: Report) -> list[Chart]:
    """A histogram of pair scores and one coverage chart per grouping of the report: borough
    coverage on the London tile map when the geography has one, bar charts otherwise."""
    n = len(report.pairs)
    charts = [
        Chart(
            "Score distribution",
            "Histogram of pair scores",
            svg_histogram(report.scores, report.score_range, title=f"Score distribution ({n:,} pairs)"),
        )
    ]
    for coverage in report.coverage:
        if coverage.key == "borough" and report.map_geography is not None:
            title = f"{coverage.title} (map)"
            svg = svg_place_coverage(coverage.rows, report.map_geography, title=title)
            if svg is not None:
                charts.append(
                    Chart(
                        title,
                        f"Map of the {coverage.group_name}s: each tile coloured by the share of its "
                        "people matched, labelled with matched and unmatched counts",
                        svg,
                    )
                )
                continue
        charts.append(
            Chart(
                coverage.title,
                f"Bar chart: people and matched people per {coverage.group_name}",
                svg_bars(coverage.rows, title=coverage.title),
            )
        )
    return charts

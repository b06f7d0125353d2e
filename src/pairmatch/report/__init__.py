"""Reports a coordinator can send on: one self-contained HTML file (or Markdown).

A report is built once as a `Report` model (`build_report`): the run
summary, every pair with its score breakdown and the facts behind it, every
unmatched person with the reason and their best allowed alternatives,
coverage per policing unit, borough and focus area, the parameters and rules
in words, the vocabularies, the input files and the package versions needed
to reproduce the run. The renderers only format that model (`html`,
`markdown`); `charts` draws a score histogram and the coverage charts as
small SVG documents written by `svg` (no plotting library needed), embedded
as data URIs. All text from the input is escaped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..models import Problem
from ..result import MatchResult
from .charts import Chart, report_charts
from .html import html_page
from .markdown import markdown_page
from .model import AlternativeRow, Coverage, PairRow, Report, UnmatchedRow, build_report, package_versions

__all__ = [
    "AlternativeRow",
    "Chart",
    "Coverage",
    "PairRow",
    "Report",
    "UnmatchedRow",
    "build_report",
    "draw_charts",
    "package_versions",
    "render_html",
    "render_markdown",
    "report_bytes",
    "write_report",
]


def draw_charts(result: MatchResult | Report, problem: Problem | None = None) -> list[Chart]:
    """The report's charts (SVG), drawn once; pass them as ``charts=`` to render several formats."""
    report = result if isinstance(result, Report) else build_report(result, problem)
    return report_charts(report)


def _charts(charts: bool | Sequence[Chart], report: Report) -> list[Chart]:
    if charts is True:
        return report_charts(report)
    return list(charts) if charts else []


def _report(result: MatchResult | Report, problem: Problem | None, title: str | None, sources: Sequence[str]) -> Report:
    if isinstance(result, Report):
        return result
    return build_report(result, problem, title=title, sources=sources)


def render_html(
    result: MatchResult | Report,
    *,
    problem: Problem | None = None,
    title: str | None = None,
    sources: Sequence[str] = (),
    charts: bool | Sequence[Chart] = True,
) -> str:
    """The whole report as one self-contained HTML page.

    Parameters
    ----------
    result : MatchResult or Report
        A result returned by `pairmatch.solve` (explanations read its arrays),
        or a report model already built.
    problem : Problem, optional
        Defaults to the problem the result was solved from.
    title : str, optional
        Defaults to the problem's name.
    sources : sequence of str
        Input files, listed for audit.
    charts : bool or list
        Draw the charts (SVG images, no extra needed), or charts already
        drawn by `draw_charts`.

    Examples
    --------
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> page = render_html(solve(pilot_problem()), charts=False)
    >>> page.startswith("<!DOCTYPE html>"), "M1" in page
    (True, True)
    """
    report = _report(result, problem, title, sources)
    return html_page(report, _charts(charts, report))


def render_markdown(
    result: MatchResult | Report,
    *,
    problem: Problem | None = None,
    title: str | None = None,
    sources: Sequence[str] = (),
    charts: bool | Sequence[Chart] = True,
) -> str:
    """The report as Markdown (charts embedded as SVG data URIs when ``charts``).

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> text = render_markdown(solve(pilot_problem()), charts=False)
    >>> text.splitlines()[0]
    '# Reverse mentoring pilot (illustrative)'
    """
    report = _report(result, problem, title, sources)
    return markdown_page(report, _charts(charts, report))


def report_bytes(result: MatchResult | Report, fmt: str, **kwargs: Any) -> bytes:
    """The report as ``html`` or ``md`` bytes (UTF-8); keyword arguments go to the renderer.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> report_bytes(solve(pilot_problem()), "md", charts=False)[:1]
    b'#'
    """
    fmt = fmt.lower().lstrip(".")
    if fmt in ("html", "htm"):
        return render_html(result, **kwargs).encode("utf-8")
    if fmt in ("md", "markdown"):
        return render_markdown(result, **kwargs).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use .html or .md")


def write_report(result: MatchResult | Report, path: str | os.PathLike[str], **kwargs: Any) -> str:
    """Write the report atomically; ``.html`` or ``.md`` by extension. Returns the path.

    >>> import pathlib, tempfile
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "report.md"
    >>> write_report(solve(pilot_problem()), path, charts=False) == str(path)
    True
    """
    from ..io import write_atomically

    data = report_bytes(result, os.path.splitext(str(path))[1], **kwargs)
    write_atomically({path: data})
    return str(path)

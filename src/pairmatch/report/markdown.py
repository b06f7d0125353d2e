"""The report model as Markdown; every text from the input is escaped so it displays as written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..text import printable
from .charts import Chart
from .model import Report

__all__ = ["markdown_page", "md"]

# Characters that would start markup, break a table cell or form an HTML entity or tag.
_SPECIAL = ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "&", "#", "!", "~")


def md(value: Any) -> str:
    """A Markdown table cell or line: one line, markup characters escaped.

    >>> md("a | <b> & *c*")
    'a \\\\| \\\\<b\\\\> \\\\& \\\\*c\\\\*'
    """
    text = " ".join(printable(value).split())
    for ch in _SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return text


def markdown_page(report: Report, charts: Sequence[Chart] = ()) -> str:
    """Format a `Report` (and charts already drawn) as Markdown."""
    lines = [f"# {md(report.title)}", ""]
    if report.description:
        lines += [md(report.description), ""]
    lines += ["## Summary", ""]
    lines += [f"- **{md(k)}**: {md(v)}" for k, v in report.summary]
    components = report.components
    lines += ["", f"## Pairs ({len(report.pairs)})", ""]
    if report.pairs:
        lines.append("| " + " | ".join(md(c) for c in ("mentor", "mentee", "score", *components, "why")) + " |")
        lines.append("|" + "---|" * (4 + len(components)))
        for pair in report.pairs:
            values = dict(pair.components)
            cells = [
                md(pair.mentor_label) + (" (pinned)" if pair.pinned else ""),
                md(pair.mentee_label),
                f"{pair.score:.3f}",
                *(f"{values[c]:.3f}" for c in components),
                "<br>".join(f"{md(k)}: {md(v)}" for k, v in pair.facts),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"## Unmatched ({len(report.unmatched)})", ""]
    if report.unmatched:
        lines += ["| side | person | reason | best allowed alternatives |", "|---|---|---|---|"]
        for row in report.unmatched:
            alts = "; ".join(a.text() for a in row.alternatives) or "-"
            lines.append(f"| {md(row.side)} | {md(row.label)} | {md(row.reason)} | {md(alts)} |")
    else:
        lines.append("Everyone has a partner.")
    if charts:
        lines += ["", "## Charts", ""]
        lines += [f"![{md(chart.alt)}]({chart.data_uri})\n" for chart in charts]
    lines += ["", "## Parameters", ""]
    lines += [f"- **{md(k)}**: {md(v)}" for k, v in report.parameters]
    if report.rules:
        lines += ["", "Rules in force:", *(f"- {md(r)}" for r in report.rules)]
    lines += ["", "Vocabularies:", *(f"- {md(k)}: {md(v)}" for k, v in report.vocabularies)]
    if report.sources:
        lines += ["", "Input files:", *(f"- {md(s)}" for s in report.sources)]
    lines += ["", "## Versions", ""]
    lines += [f"- {md(k)}: {md(v)}" for k, v in report.versions]
    return "\n".join(lines) + "\n"

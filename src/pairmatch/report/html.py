"""The report model as one self-contained HTML page; every text from the input is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from ..text import printable
from .charts import Chart
from .model import Report

__all__ = ["html_page"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
color:#1d2733;line-height:1.4;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{border:1px solid #d0d7de;padding:.3rem .45rem;
vertical-align:top;text-align:left}th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.facts{color:#444;font-size:.82rem}.muted{color:#666}img{max-width:100%;height:auto}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
"""


def _e(value: Any) -> str:
    """Escaped for HTML text and attributes, control characters shown as escapes."""
    return html.escape(printable(value), quote=True)


def _dl(items: Iterable[tuple[str, Any]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def html_page(report: Report, charts: Sequence[Chart] = ()) -> str:
    """Format a `Report` (and charts already drawn) as an HTML page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="muted">Generated {_e(report.generated)} by pairmatch {_e(dict(report.versions)["pairmatch"])}.</p>',
    ]
    if report.description:
        parts.append(f"<p>{_e(report.description)}</p>")
    parts += ["<h2>Summary</h2>", _dl(report.summary)]

    components = report.components
    parts.append(f"<h2>Pairs ({len(report.pairs)})</h2>")
    if report.pairs:
        head = "".join(f"<th>{_e(c)}</th>" for c in ("mentor", "mentee", "score", *components, "why"))
        parts.append(f'<table id="pairs"><thead><tr>{head}</tr></thead><tbody>')
        for pair in report.pairs:
            values, weighted = dict(pair.components), dict(pair.contributions)
            cells = [
                f"<td>{_e(pair.mentor_label)}{' (pinned)' if pair.pinned else ''}</td>",
                f"<td>{_e(pair.mentee_label)}</td>",
                f'<td class="num">{pair.score:.3f}</td>',
                *(
                    f'<td class="num">{values[c]:.3f}<br><span class="muted">+{weighted[c]:.3f}</span></td>'
                    for c in components
                ),
                '<td class="facts">' + "<br>".join(f"{_e(k)}: {_e(v)}" for k, v in pair.facts) + "</td>",
            ]
            parts.append(
                f'<tr data-mentor="{_e(pair.mentor_id)}" data-mentee="{_e(pair.mentee_id)}">' + "".join(cells) + "</tr>"
            )
        parts.append("</tbody></table>")
        parts.append(
            '<p class="muted">Each component cell shows the raw value in [0, 1] and, below it, '
            "its weighted contribution to the score.</p>"
        )
    else:
        parts.append("<p>No pairs.</p>")

    parts.append(f"<h2>Unmatched ({len(report.unmatched)})</h2>")
    if report.unmatched:
        parts.append(
            '<table id="unmatched"><thead><tr><th>side</th><th>person</th><th>reason</th>'
            "<th>best allowed alternatives</th></tr></thead><tbody>"
        )
        for row in report.unmatched:
            alts = "; ".join(a.text() for a in row.alternatives) or "-"
            parts.append(
                f'<tr data-person="{_e(row.person_id)}"><td>{_e(row.side)}</td><td>{_e(row.label)}</td>'
                f"<td>{_e(row.reason)}</td><td>{_e(alts)}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Everyone has a partner.</p>")

    if charts:
        parts.append("<h2>Charts</h2>")
        for chart in charts:
            parts.append(
                f'<figure><img src="{chart.data_uri}" alt="{_e(chart.alt)}">'
                f"<figcaption>{_e(chart.title)}</figcaption></figure>"
            )

    parts.append("<h2>Parameters</h2>")
    parts.append(_dl(report.parameters))
    if report.rules:
        parts.append("<h3>Rules in force</h3><ul>" + "".join(f"<li>{_e(r)}</li>" for r in report.rules) + "</ul>")
    parts.append("<h3>Vocabularies</h3>")
    parts.append(_dl(report.vocabularies))
    if report.sources:
        parts.append("<h3>Input files</h3><ul>" + "".join(f"<li>{_e(s)}</li>" for s in report.sources) + "</ul>")
    parts += ["<h2>Versions</h2>", _dl(report.versions), "</body></html>"]
    return "\n".join(parts) + "\n"

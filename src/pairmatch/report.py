"""Reports a coordinator can send on: one self-contained HTML file (or Markdown).

A report holds the run summary, every pair with its score breakdown and the
facts behind it, every unmatched person with the reason and their best
alternatives, three charts (score distribution, coverage per BCU and per
borough, coverage per focus area) drawn with matplotlib's Agg canvas and
embedded as PNG data URIs, and the parameters, seed and package versions
needed to reproduce the run. All text from the input is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io as _stdio
import os
import platform
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .exceptions import PairmatchError
from .explain import alternatives, explain_pair
from .models import Person, Problem
from .result import MatchResult

__all__ = ["draw_charts", "package_versions", "render_html", "render_markdown", "report_bytes", "write_report"]

_PACKAGES = ("pairmatch", "ortools", "numpy", "networkx", "pydantic", "matplotlib", "pandas", "openpyxl")


@dataclass(frozen=True)
class _Chart:
    title: str
    alt: str
    png_base64: str

    @property
    def data_uri(self) -> str:
        return f"data:image/png;base64,{self.png_base64}"


def _problem(result: MatchResult, problem: Problem | None) -> Problem:
    if problem is not None:
        return problem
    if result.context is None:
        raise PairmatchError("a report needs a result returned by pairmatch.solve() in this Python process")
    return result.context.problem


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a result, for audit."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- facts


def _coverage(problem: Problem, result: MatchResult, key: str) -> list[tuple[str, int, int]]:
    """``(group, people, matched people)`` per BCU, borough or focus area, in a stable order."""
    matched = {pid for p in result.pairs for pid in (p.mentor_id, p.mentee_id)}
    total: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    geo = problem.geography
    for person in (*problem.mentors, *problem.mentees):
        if key == "bcu":
            groups = {geo.unit_of.get(b, "(no unit)") for b in person.boroughs}
        elif key == "borough":
            groups = set(person.boroughs)
        else:
            groups = set(person.focus_areas)
        for g in groups:
            total[g] += 1
            hit[g] += person.id in matched
    return [(g, total[g], hit[g]) for g in sorted(total, key=lambda g: (-total[g], g))]


def _parameters(result: MatchResult, problem: Problem) -> dict[str, Any]:
    params = result.context.params.model_dump() if result.context is not None else {}
    rules = problem.rules.model_dump(exclude_defaults=True)
    return {
        "objective": result.objective_name,
        "seed": result.seed,
        "meeting_minutes": problem.meeting_minutes,
        "weights": problem.weights.as_dict(),
        "rules": rules or "none (every pair is a candidate)",
        "solve": params,
    }


def _pair_rows(result: MatchResult, problem: Problem) -> list[dict[str, Any]]:
    names = {p.id: p for p in (*problem.mentors, *problem.mentees)}
    rows = []
    for pair in result.pairs:
        facts = explain_pair(result, pair.mentor_id, pair.mentee_id).facts if result.context else {}
        rows.append({"pair": pair, "mentor": names.get(pair.mentor_id), "mentee": names.get(pair.mentee_id),
                     "facts": facts})
    return rows


def _unmatched_rows(result: MatchResult, problem: Problem, k: int = 2) -> list[dict[str, Any]]:
    names = {p.id: p for p in (*problem.mentors, *problem.mentees)}
    rows = []
    for u in result.unmatched:
        alts = alternatives(result, u.person_id, k) if result.context else []
        described = [
            f"{a.partner_id} ({a.score:.3f}"
            + (f", ruled out: {'; '.join(a.blocked_by)}" if a.blocked_by
               else f", paired with {', '.join(a.partner_matched_with)}" if a.partner_matched_with else "")
            + ")"
            for a in alts
        ]
        rows.append({"unmatched": u, "person": names.get(u.person_id), "alternatives": described})
    return rows


def _label(person: Person | None, pid: str) -> str:
    return person.label if person is not None else pid


# --------------------------------------------------------------------------- charts


def draw_charts(result: MatchResult, problem: Problem | None = None) -> list[_Chart]:
    """The report's charts, drawn once; pass them as ``charts=`` to render several formats."""
    return _charts(result, _problem(result, problem))


def _chart_list(charts: bool | Sequence[_Chart], result: MatchResult, problem: Problem) -> list[_Chart]:
    if charts is True:
        return _charts(result, problem)
    return list(charts) if charts else []


def _charts(result: MatchResult, problem: Problem) -> list[_Chart]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        from .io import MissingExtraError

        raise MissingExtraError("matplotlib", "report", "drawing report charts") from err

    def png(fig: Any) -> str:
        # The Agg canvas renders off-screen without touching pyplot's global backend.
        FigureCanvasAgg(fig)
        buffer = _stdio.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    charts = []
    scores = [p.score for p in result.pairs]
    fig = Figure(figsize=(7, 3.2), layout="tight")
    ax = fig.add_subplot()
    top = max([problem.weights.total, *scores]) if scores else problem.weights.total
    ax.hist(scores, bins=20, range=(0, top), color="#3b6ea5", edgecolor="white")
    ax.set_xlabel("combined score of a pair")
    ax.set_ylabel("pairs")
    ax.set_title(f"Score distribution ({len(scores)} pairs)")
    charts.append(_Chart("Score distribution", "Histogram of pair scores", png(fig)))

    for key, title, unit in (("bcu", f"Coverage per {problem.geography.unit_name}", "BCU"),
                             ("borough", "Coverage per borough", "borough"),
                             ("focus", "Coverage per focus area", "focus area")):
        rows = _coverage(problem, result, key)
        fig = Figure(figsize=(7, max(2.0, 0.28 * len(rows) + 1)), layout="tight")
        ax = fig.add_subplot()
        labels = [r[0] for r in rows][::-1]
        ax.barh(labels, [r[1] for r in rows][::-1], color="#c9d6e8", label="people")
        ax.barh(labels, [r[2] for r in rows][::-1], color="#3b6ea5", label="matched")
        ax.set_xlabel("people (mentors and mentees)")
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=8)
        if rows:
            ax.legend(loc="lower right", fontsize=8)
        charts.append(_Chart(title, f"Bar chart: people and matched people per {unit}", png(fig)))
    return charts


# --------------------------------------------------------------------------- HTML

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
    return html.escape(str(value), quote=True)


def _dl(items: Mapping[str, Any]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(_flat(v))}</dd>" for k, v in items.items()) + "</dl>"


def _flat(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _summary(result: MatchResult, problem: Problem) -> dict[str, Any]:
    n_mentors, n_mentees = problem.shape
    unmatched = Counter(u.side for u in result.unmatched)
    cert = {k: v for k, v in result.certificate.items() if k in ("proof", "gap", "bound", "rounding_bound")}
    return {
        "mentors": f"{n_mentors} ({unmatched['mentor']} unmatched)",
        "mentees": f"{n_mentees} ({unmatched['mentee']} unmatched)",
        "pairs": result.n_pairs,
        "objective (total score)": f"{result.objective:.4f}",
        "mean pair score": f"{result.objective / result.n_pairs:.4f}" if result.n_pairs else "-",
        "status": result.status,
        "solver": result.solver,
        "runtime": f"{result.runtime_s:.3f} s",
        **{f"certificate: {k}": v for k, v in cert.items()},
    }


def render_html(
    result: MatchResult,
    *,
    problem: Problem | None = None,
    title: str | None = None,
    sources: Sequence[str] = (),
    charts: bool | Sequence[_Chart] = True,
) -> str:
    """The whole report as one self-contained HTML page.

    Parameters
    ----------
    result : MatchResult
        A result returned by `pairmatch.solve` (explanations read its arrays).
    problem : Problem, optional
        Defaults to the problem the result was solved from.
    title : str, optional
        Defaults to the problem's name.
    sources : sequence of str
        Input files, listed for audit.
    charts : bool or list
        Draw the charts (needs matplotlib, the ``report`` extra), or charts
        already drawn by `draw_charts`.

    Examples
    --------
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> page = render_html(solve(pilot_problem()), charts=False)
    >>> page.startswith("<!DOCTYPE html>"), "M1" in page
    (True, True)
    """
    problem = _problem(result, problem)
    title = title or problem.name or "pairmatch matching report"
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Generated {_e(generated)} by pairmatch {_e(package_versions()["pairmatch"])}.</p>',
    ]
    if problem.description:
        parts.append(f"<p>{_e(problem.description)}</p>")
    parts += ["<h2>Summary</h2>", _dl(_summary(result, problem))]

    components = list(result.pairs[0].components) if result.pairs else []
    parts.append(f"<h2>Pairs ({result.n_pairs})</h2>")
    if result.pairs:
        head = "".join(f"<th>{_e(c)}</th>" for c in ("mentor", "mentee", "score", *components, "why"))
        parts.append(f'<table id="pairs"><thead><tr>{head}</tr></thead><tbody>')
        for row in _pair_rows(result, problem):
            pair = row["pair"]
            cells = [
                f"<td>{_e(_label(row['mentor'], pair.mentor_id))}{' (pinned)' if pair.pinned else ''}</td>",
                f"<td>{_e(_label(row['mentee'], pair.mentee_id))}</td>",
                f'<td class="num">{pair.score:.3f}</td>',
                *(f'<td class="num">{pair.components[c]:.2f}<br><span class="muted">+{pair.contributions[c]:.3f}'
                  "</span></td>" for c in components),
                '<td class="facts">' + "<br>".join(f"{_e(k)}: {_e(v)}" for k, v in row["facts"].items()) + "</td>",
            ]
            parts.append(f'<tr data-mentor="{_e(pair.mentor_id)}" data-mentee="{_e(pair.mentee_id)}">'
                         + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        parts.append('<p class="muted">Each component cell shows the raw value in [0, 1] and, below it, '
                     "its weighted contribution to the score.</p>")
    else:
        parts.append("<p>No pairs.</p>")

    parts.append(f"<h2>Unmatched ({len(result.unmatched)})</h2>")
    if result.unmatched:
        parts.append('<table id="unmatched"><thead><tr><th>side</th><th>person</th><th>reason</th>'
                     "<th>best alternatives</th></tr></thead><tbody>")
        for row in _unmatched_rows(result, problem):
            u = row["unmatched"]
            parts.append(f"<tr><td>{_e(u.side)}</td><td>{_e(_label(row['person'], u.person_id))}</td>"
                         f"<td>{_e(u.reason)}</td><td>{_e('; '.join(row['alternatives']) or '-')}</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Everyone has a partner.</p>")

    images = _chart_list(charts, result, problem)
    if images:
        parts.append("<h2>Charts</h2>")
        for chart in images:
            parts.append(f'<figure><img src="{chart.data_uri}" alt="{_e(chart.alt)}">'
                         f"<figcaption>{_e(chart.title)}</figcaption></figure>")

    parts.append("<h2>Parameters</h2>")
    parts.append(_dl(_parameters(result, problem)))
    if sources:
        parts.append("<h3>Input files</h3><ul>" + "".join(f"<li>{_e(s)}</li>" for s in sources) + "</ul>")
    parts += ["<h2>Versions</h2>", _dl(package_versions()), "</body></html>"]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- Markdown


def _md(value: Any) -> str:
    """A Markdown table cell: escape the characters that would break the table or markup."""
    text = " ".join(str(value).split())
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_markdown(
    result: MatchResult,
    *,
    problem: Problem | None = None,
    title: str | None = None,
    sources: Sequence[str] = (),
    charts: bool | Sequence[_Chart] = True,
) -> str:
    """The report as Markdown (charts embedded as PNG data URIs when ``charts``).

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> text = render_markdown(solve(pilot_problem()), charts=False)
    >>> text.splitlines()[0]
    '# Reverse mentoring pilot (illustrative)'
    """
    problem = _problem(result, problem)
    title = title or problem.name or "pairmatch matching report"
    lines = [f"# {_md(title)}", ""]
    if problem.description:
        lines += [_md(problem.description), ""]
    lines += ["## Summary", ""]
    lines += [f"- **{k}**: {_md(v)}" for k, v in _summary(result, problem).items()]
    components = list(result.pairs[0].components) if result.pairs else []
    lines += ["", f"## Pairs ({result.n_pairs})", ""]
    if result.pairs:
        lines.append("| " + " | ".join(("mentor", "mentee", "score", *components, "why")) + " |")
        lines.append("|" + "---|" * (4 + len(components)))
        for row in _pair_rows(result, problem):
            pair = row["pair"]
            cells = [_md(_label(row["mentor"], pair.mentor_id)) + (" (pinned)" if pair.pinned else ""),
                     _md(_label(row["mentee"], pair.mentee_id)), f"{pair.score:.3f}",
                     *(f"{pair.components[c]:.2f}" for c in components),
                     "<br>".join(f"{_md(k)}: {_md(v)}" for k, v in row["facts"].items())]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"## Unmatched ({len(result.unmatched)})", ""]
    if result.unmatched:
        lines += ["| side | person | reason | best alternatives |", "|---|---|---|---|"]
        for row in _unmatched_rows(result, problem):
            u = row["unmatched"]
            lines.append(f"| {u.side} | {_md(_label(row['person'], u.person_id))} | {_md(u.reason)} | "
                         f"{_md('; '.join(row['alternatives']) or '-')} |")
    else:
        lines.append("Everyone has a partner.")
    images = _chart_list(charts, result, problem)
    if images:
        lines += ["", "## Charts", ""]
        lines += [f"![{chart.alt}]({chart.data_uri})\n" for chart in images]
    lines += ["", "## Parameters", ""]
    lines += [f"- **{k}**: {_md(_flat(v))}" for k, v in _parameters(result, problem).items()]
    if sources:
        lines += ["", "Input files:", *(f"- {_md(s)}" for s in sources)]
    lines += ["", "## Versions", ""]
    lines += [f"- {k}: {_md(v)}" for k, v in package_versions().items()]
    return "\n".join(lines) + "\n"


def report_bytes(result: MatchResult, fmt: str, **kwargs: Any) -> bytes:
    """The report as ``html`` or ``md`` bytes (UTF-8); keyword arguments go to the renderer."""
    fmt = fmt.lower().lstrip(".")
    if fmt in ("html", "htm"):
        return render_html(result, **kwargs).encode("utf-8")
    if fmt in ("md", "markdown"):
        return render_markdown(result, **kwargs).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use .html or .md")


def write_report(result: MatchResult, path: str | os.PathLike[str], **kwargs: Any) -> str:
    """Write the report atomically; ``.html`` or ``.md`` by extension. Returns the path."""
    from .io import write_atomically

    data = report_bytes(result, os.path.splitext(str(path))[1], **kwargs)
    write_atomically({path: data})
    return str(path)

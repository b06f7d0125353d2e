"""Reports of what changed: the diff of two runs and the changes of a re-match, as HTML or Markdown.

HTML is one self-contained file (inline style, no scripts, nothing fetched)
with every piece of text from the input escaped; Markdown escapes the
characters that would change a table or add markup. The normal match report
of a re-match's result is `pairmatch.report.report_bytes`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from ..diffs import ResultDiff
from ..rematching import RematchResult

__all__ = ["changes_bytes", "render_changes_html", "render_changes_markdown"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;
color:#1b1b1b;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;
vertical-align:top}th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.kept{color:#555}.new,.added{background:#eefbea}.moved,.removed,.ended,.left{background:#fdf0ef}
.locked{background:#eef3fd}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def _table(
    head: Sequence[str],
    rows: Sequence[Sequence[Any]],
    classes: Sequence[str] | None = None,
    numeric: Sequence[int] = (),
) -> str:
    if not rows:
        return "<p>None.</p>"
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for k, row in enumerate(rows):
        cls = f' class="{_e(classes[k])}"' if classes else ""
        cells = "".join(
            f'<td class="n">{_e(v)}</td>' if c in numeric else f"<td>{_e(v)}</td>" for c, v in enumerate(row)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _facts(rematch: RematchResult | None, diff: ResultDiff) -> dict[str, str]:
    facts: dict[str, str] = {}
    if rematch is not None:
        facts["move penalty"] = f"{_num(rematch.move_penalty, 4)} score per moved working pair" + (
            " (every working pair kept)" if math.isinf(rematch.move_penalty) else ""
        )
        facts["changes"] = ", ".join(
            f"{rematch.count(k)} {k}" for k in ("kept", "locked", "ended", "left", "moved", "new")
        )
        facts["score"] = f"{rematch.score:.4f} (without the continuity bonus)"
        if rematch.baseline_score is not None and not math.isinf(rematch.move_penalty):
            facts["keeping every working pair"] = f"{rematch.baseline_score:.4f}"
            facts["gain from moving"] = f"{_num(rematch.gain)} for {rematch.moved} moved pair(s)"
        facts["status"] = f"{rematch.result.status_text} ({rematch.result.solver})"
    facts["pairs"] = f"{diff.pairs_before} -> {diff.pairs_after} ({diff.kept} in both)"
    facts["total score"] = f"{diff.objective_before:.4f} -> {diff.objective_after:.4f} ({diff.objective_change:+.4f})"
    return facts


def _coverage_rows(diff: ResultDiff, key: str) -> list[list[Any]]:
    return [
        [r.group, r.people_before, r.matched_before, r.people_after, r.matched_after, f"{r.change:+d}"]
        for r in diff.coverage[key]
    ]


_COVERAGE_TITLES = {"bcu": "Coverage by BCU", "borough": "Coverage by borough", "focus": "Coverage by focus area"}


def render_changes_html(diff: ResultDiff, rematch: RematchResult | None = None, *, title: str = "") -> str:
    """A self-contained HTML page of a diff (and of a re-match's changes when given).

    >>> from pairmatch import solve, pilot_problem, Rules
    >>> from pairmatch.diffs import diff
    >>> p = pilot_problem()
    >>> q = p.model_copy(update={"rules": Rules(forbidden_pairs=[("M1", "O1")])})
    >>> page = render_changes_html(diff(solve(p), solve(q)), title="<what if>")
    >>> "&lt;what if&gt;" in page and "<script" not in page
    True
    """
    title = title or (
        f"Re-match: {diff.before_label} to {diff.after_label}"
        if rematch
        else f"Changes: {diff.before_label} to {diff.after_label}"
    )
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f'<meta name="viewport" content="width=device-width"><title>{_e(title)}</title>',
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<dl>",
    ]
    parts += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _facts(rematch, diff).items()]
    parts.append("</dl>")
    if rematch is not None:
        changes = [c for c in rematch.changes if c.change != "kept"]
        parts.append(f"<h2>What changed and why ({len(changes)} pairs; {rematch.count('kept')} kept)</h2>")
        parts.append(
            _table(
                ["change", "mentor", "mentee", "reason", "score", "gain"],
                [[c.change, c.mentor_id, c.mentee_id, c.reason, _num(c.score, 3), _num(c.gain)] for c in changes],
                [c.change for c in changes],
                numeric=(4, 5),
            )
        )
    parts.append(f"<h2>Pairs added ({len(diff.added)})</h2>")
    parts.append(
        _table(
            ["mentor", "mentee", "score"],
            [[m, e, f"{s:.3f}"] for m, e, s in diff.added],
            ["added"] * len(diff.added),
            numeric=(2,),
        )
    )
    parts.append(f"<h2>Pairs removed ({len(diff.removed)})</h2>")
    parts.append(
        _table(
            ["mentor", "mentee", "score"],
            [[m, e, f"{s:.3f}"] for m, e, s in diff.removed],
            ["removed"] * len(diff.removed),
            numeric=(2,),
        )
    )
    parts.append(f"<h2>People with other partners ({len(diff.changed)})</h2>")
    parts.append(
        _table(
            ["side", "person", "before", "after"],
            [
                [c.side, c.person_id, ", ".join(c.before) or "nobody", ", ".join(c.after) or "nobody"]
                for c in diff.changed
            ],
        )
    )
    for key, heading in _COVERAGE_TITLES.items():
        parts.append(f"<h2>{_e(heading)}</h2>")
        parts.append(
            _table(
                [key, "people before", "matched before", "people after", "matched after", "change"],
                _coverage_rows(diff, key),
                numeric=(1, 2, 3, 4, 5),
            )
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md(value: Any) -> str:
    text = "" if value is None else " ".join(str(value).split())
    for ch in "\\`*_{}[]<>()#+!|":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    if not rows:
        return ["None.", ""]
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
    return [*out, ""]


def render_changes_markdown(diff: ResultDiff, rematch: RematchResult | None = None, *, title: str = "") -> str:
    """The same report as `render_changes_html`, in Markdown.

    >>> from pairmatch import solve, pilot_problem
    >>> from pairmatch.diffs import diff
    >>> r = solve(pilot_problem())
    >>> render_changes_markdown(diff(r, r)).splitlines()[0]
    '# Changes: before to after'
    """
    title = title or (
        f"Re-match: {diff.before_label} to {diff.after_label}"
        if rematch
        else f"Changes: {diff.before_label} to {diff.after_label}"
    )
    lines = [f"# {_md(title)}", ""]
    lines += [f"- **{_md(k)}**: {_md(v)}" for k, v in _facts(rematch, diff).items()]
    lines.append("")
    if rematch is not None:
        changes = [c for c in rematch.changes if c.change != "kept"]
        lines += [f"## What changed and why ({len(changes)} pairs; {rematch.count('kept')} kept)", ""]
        lines += _md_table(
            ["change", "mentor", "mentee", "reason", "score", "gain"],
            [[c.change, c.mentor_id, c.mentee_id, c.reason, _num(c.score, 3), _num(c.gain)] for c in changes],
        )
    lines += [f"## Pairs added ({len(diff.added)})", ""]
    lines += _md_table(["mentor", "mentee", "score"], [[m, e, f"{s:.3f}"] for m, e, s in diff.added])
    lines += [f"## Pairs removed ({len(diff.removed)})", ""]
    lines += _md_table(["mentor", "mentee", "score"], [[m, e, f"{s:.3f}"] for m, e, s in diff.removed])
    lines += [f"## People with other partners ({len(diff.changed)})", ""]
    lines += _md_table(
        ["side", "person", "before", "after"],
        [[c.side, c.person_id, ", ".join(c.before) or "nobody", ", ".join(c.after) or "nobody"] for c in diff.changed],
    )
    for key, heading in _COVERAGE_TITLES.items():
        lines += [f"## {heading}", ""]
        lines += _md_table(
            [key, "people before", "matched before", "people after", "matched after", "change"],
            _coverage_rows(diff, key),
        )
    return "\n".join(lines).rstrip() + "\n"


def changes_bytes(diff: ResultDiff, fmt: str, rematch: RematchResult | None = None, *, title: str = "") -> bytes:
    """The report as ``html`` or ``md`` bytes (UTF-8)."""
    fmt = fmt.lower().lstrip(".")
    if fmt in ("html", "htm"):
        return render_changes_html(diff, rematch, title=title).encode("utf-8")
    if fmt in ("md", "markdown"):
        return render_changes_markdown(diff, rematch, title=title).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use .html or .md")

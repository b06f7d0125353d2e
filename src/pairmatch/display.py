"""How objects show themselves in a notebook: short reprs and escaped, bounded HTML.

The building blocks every class's ``__repr__``, ``_repr_html_`` and
``to_frame`` use, as pure functions of plain values (this module imports
nothing else from pairmatch, so a class on any layer may call it):

- `escape` makes any text safe inside HTML: markup characters become
  entities and control or bidirectional-override characters are shown as
  escapes (``\\x1b``), never passed on;
- `number` writes a float without noise (``0.88``, not ``0.8799999999999999``);
- `table`, `fields`, `heat_table` and `card` build HTML; a table shows at
  most `PREVIEW_ROWS` rows of a longer one and says how many are hidden, and
  reads only the rows it shows, so displaying a result of 32,900 pairs costs
  the same as displaying one of 20;
- `frame` builds a pandas DataFrame from rows with fixed column names;
- `DisplayList` is a list that renders itself as one of those tables.

Examples
--------
>>> escape("<b>Ann</b> & co")
'&lt;b&gt;Ann&lt;/b&gt; &amp; co'
>>> number(0.8799999999999999), number(2.0), number(None)
('0.88', '2', '')
>>> "2 more rows not shown" in table(["id"], [["a"], ["b"], ["c"]], limit=1, total=3)
True
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

import numpy as np

__all__ = [
    "HEAT_MAX",
    "PREVIEW_ROWS",
    "DisplayList",
    "as_mapping",
    "card",
    "escape",
    "fields",
    "frame",
    "heat_table",
    "inline",
    "number",
    "plural",
    "short_repr",
    "table",
]

PREVIEW_ROWS = 20
"""Rows of a long table shown in a notebook (the rest are counted, not drawn)."""
HEAT_MAX = 30
"""A score table with at most this many people on each side is drawn cell by cell."""
_TEXT_MAX = 200  # characters of one cell shown; the rest is cut and counted
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_STYLE = (
    "<style>.pairmatch-display table{border-collapse:collapse;margin:0.3em 0;font-size:0.9em}"
    ".pairmatch-display th,.pairmatch-display td{padding:0.15em 0.6em;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}.pairmatch-display td.num{text-align:right;"
    "font-variant-numeric:tabular-nums}.pairmatch-display .note{color:#666;font-size:0.85em}"
    ".pairmatch-display h4{margin:0.6em 0 0.2em 0}</style>"
)


def _visible(text: str) -> str:
    """Control and bidirectional-override characters as escapes such as ``\\x1b``."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def escape(value: object, limit: int = _TEXT_MAX) -> str:
    """``value`` as text safe inside HTML: cut after ``limit`` characters (saying how long it
    was), control characters shown as escapes, ``<``, ``>``, ``&`` and quotes as entities.

    >>> escape("M1\\x1b[2J<script>")
    'M1\\\\x1b[2J&lt;script&gt;'
    >>> escape("x" * 300, limit=3)
    'xxx… (300 characters)'
    """
    text = "" if value is None else str(value)
    cut = f"{text[:limit]}… ({len(text)} characters)" if len(text) > limit else text
    return html.escape(_visible(cut), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """A number in at most ``digits`` decimals, trailing zeros dropped; text as it is;
    None and NaN as an empty string; infinity as ``inf``.

    >>> number(2.5100000000000002, 4), number(1e-9), number(12345), number(True)
    ('2.51', '0', '12345', 'True')
    """
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plural(count: int, word: str, words: str | None = None) -> str:
    """``"1 pair"``, ``"3 pairs"``, with thousands separators.

    >>> plural(1, "pair"), plural(32900, "mentor"), plural(2, "person", "people")
    ('1 pair', '32,900 mentors', '2 people')
    """
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def short_repr(name: str, *parts: str) -> str:
    """A one-line repr such as ``MatchResult(3 pairs, objective 2.51, optimal)``; the parts
    are shown with control characters escaped.

    >>> short_repr("Pair", "'M1' - 'O1'", "score 0.88")
    "Pair('M1' - 'O1', score 0.88)"
    """
    return _visible(f"{name}({', '.join(p for p in parts if p)})")


def inline(value: Any, digits: int = 4) -> str:
    """A value on one line: mappings as ``key value; key value``, lists by their items
    (at most eight, then how many more), numbers by `number`. Plain text, not escaped.

    >>> inline({"proof": "dual", "gap": 0.0, "bound": {"value": 2.5100000000000002}})
    'proof dual; gap 0; bound value 2.51'
    """
    value = as_mapping(value) if not isinstance(value, (str, bytes, list, tuple)) else value
    if isinstance(value, Mapping):
        return "; ".join(f"{k} {inline(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        shown = ", ".join(inline(v, digits) for v in value[:8])
        return f"[{shown}{f', … {len(value) - 8} more' if len(value) > 8 else ''}]"
    return number(value, digits)


def as_mapping(value: Any) -> Any:
    """A mapping view of ``value`` when it has one (a mapping, a pydantic model, an object
    with ``to_dict``), else ``value`` itself."""
    if isinstance(value, Mapping):
        return value
    for method in ("to_dict", "model_dump"):
        convert = getattr(value, method, None)
        if callable(convert):
            out = convert()
            if isinstance(out, Mapping):
                return out
    return value


def _cell(value: Any, digits: int) -> tuple[str, bool]:
    """``(escaped text, is a number)`` of one cell."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return escape(number(value, digits)), True
    if isinstance(value, (list, tuple)):
        return escape(", ".join(str(v) for v in value)), False
    return escape(value), False


def _note(text: str) -> str:
    return f'<p class="note">{escape(text, limit=1000)}</p>'


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total: int | None = None,
    limit: int = PREVIEW_ROWS,
    caption: str | None = None,
    digits: int = 3,
    what: str = "row",
) -> str:
    """An HTML table of the first ``limit`` of ``rows`` (only those are read), numbers
    right-aligned without float noise, every text escaped. When ``total`` (the number
    of rows there are) exceeds what is shown, a note says how many ``what``\\s are hidden.

    >>> print(table(["id", "score"], [["<M1>", 0.8799999999999999]]).split("<tbody>")[1])
    <tr><td>&lt;M1&gt;</td><td class="num">0.88</td></tr></tbody></table>
    """
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in islice(rows, max(0, limit)):
        cells = [_cell(v, digits) for v in row]
        body.append("<tr>" + "".join(f'<td class="num">{t}</td>' if n else f"<td>{t}</td>" for t, n in cells) + "</tr>")
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if caption:
        out = f"<h4>{escape(caption)}</h4>{out}"
    hidden = (total if total is not None else len(body)) - len(body)
    if hidden > 0:
        out += _note(f"{plural(hidden, 'more ' + what, 'more ' + what + 's')} not shown (showing {len(body):,}).")
    return out


def fields(items: Iterable[tuple[str, Any]], *, digits: int = 4) -> str:
    """A two-column table of ``(name, value)``; values on one line (`inline`), escaped."""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(inline(v, digits), limit=600)}</td></tr>" for k, v in items)
    return f"<table><tbody>{rows}</tbody></table>"


def _shade(value: float, vmax: float) -> str:
    """A blue of the strength of ``value`` in [0, vmax], with text that stays readable."""
    share = 0.0 if not vmax or not math.isfinite(value) else min(1.0, max(0.0, value / vmax))
    light, dark = (247, 251, 255), (8, 81, 156)
    rgb = tuple(round(a + (b - a) * share) for a, b in zip(light, dark, strict=True))
    text = "#fff" if share > 0.55 else "#000"
    return f"background:rgb{rgb};color:{text}"


def heat_table(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Any,
    *,
    vmax: float = 1.0,
    marked: Callable[[int, int], bool] | None = None,
    caption: str | None = None,
) -> str:
    """A labelled table of ``values[i][j]``, each cell shaded by its value (0 to ``vmax``);
    cells where ``marked(i, j)`` are framed (e.g. the matched pairs). Draw it for small
    tables only (see `HEAT_MAX`): every cell is read.

    >>> "rgb(8, 81, 156)" in heat_table(["a"], ["x"], [[1.0]])
    True
    """
    head = "<th></th>" + "".join(f"<th>{escape(c, limit=40)}</th>" for c in col_labels)
    body = []
    for i, label in enumerate(row_labels):
        cells = []
        for j in range(len(col_labels)):
            v = float(values[i][j])
            frame_ = ";outline:2px solid #d95f02;outline-offset:-2px" if marked and marked(i, j) else ""
            cells.append(f'<td class="num" style="{_shade(v, vmax)}{frame_}">{escape(number(v, 2))}</td>')
        body.append(f"<tr><th>{escape(label, limit=40)}</th>{''.join(cells)}</tr>")
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f"<h4>{escape(caption)}</h4>{out}" if caption else out


def card(title: str, *parts: str, lines: Iterable[str] = ()) -> str:
    """The whole display of one object: a bold ``title`` (escaped), plain ``lines``
    (escaped) and the HTML ``parts`` already built with this module's functions."""
    text = "".join(f"<div>{escape(line, limit=1000)}</div>" for line in lines)
    return f'<div class="pairmatch-display">{_STYLE}<strong>{escape(title)}</strong>{text}{"".join(parts)}</div>'


def frame(pandas: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Any:
    """A DataFrame with exactly ``columns`` (also when there are no rows).

    ``pandas`` is the module (the caller imports it, raising the missing-extra error).
    """
    return pandas.DataFrame.from_records(list(rows), columns=list(columns))


class DisplayList(list):
    """A list of records that shows itself as a table in a notebook.

    Subclasses set ``title`` (e.g. ``"Blocking pairs"``), ``what`` (one row,
    e.g. ``"pair"``) and ``columns``, and implement ``row(item)`` returning one
    value per column. ``to_rows`` gives every row; the HTML shows the first
    `PREVIEW_ROWS` and says how many are hidden; the repr is the list's own
    when short and a count otherwise.
    """

    title = "Records"
    what = "record"
    columns: tuple[str, ...] = ()

    def row(self, item: Any) -> Sequence[Any]:
        """One value per entry of ``columns`` for ``item``; subclasses implement it."""
        raise NotImplementedError

    def to_rows(self) -> Iterable[Sequence[Any]]:
        """One sequence of values per item, in ``columns`` order."""
        return (self.row(item) for item in self)

    def _repr_html_(self) -> str:
        if not self:
            return card(self.title, lines=[f"no {self.what}s"])
        return card(
            f"{self.title}: {plural(len(self), self.what)}",
            table(self.columns, self.to_rows(), total=len(self), what=self.what),
        )

    def __repr__(self) -> str:
        if len(self) <= 5:
            whole = super().__repr__()
            if len(whole) <= 300:
                return whole
        first = repr(self[0])
        first = first if len(first) <= 120 else f"{first[:120]}…"
        return short_repr(type(self).__name__, plural(len(self), self.what), f"first: {first}")

"""The report's charts as small SVG documents, written directly (no plotting library).

A report's charts are simple: a histogram of pair scores, bars of people and
matched people per group, and borough coverage on the London tile map. Writing
their SVG here costs milliseconds and needs no import of matplotlib, so a report
is quick to make and needs no extra. ``result.plot`` still draws the same
pictures as matplotlib figures for a notebook.

Every text from the input (group and place names, titles) is escaped for XML,
with control and other non-printing characters shown as escapes; everything
else written into the documents is a number formatted here. Each function
returns one ``<svg>`` document as a string, and its size is linear in what it
shows (bins, groups, tiles).

Examples
--------
>>> svg = svg_bars([("Brent", 3, 2), ("<Harrow>", 1, 1)], title="Coverage per borough")
>>> svg.startswith("<svg "), "&lt;Harrow&gt;" in svg, "<Harrow>" in svg
(True, True, False)
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

from ..geography import Geography
from ..maps import tile_layout
from ..text import printable

__all__ = ["svg_bars", "svg_histogram", "svg_place_coverage", "xml_text"]

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Helvetica, Arial, sans-serif"
_INK = "#1d2733"
_MUTED = "#4a5561"
_GRID = "#e3e8ee"
_AXIS = "#6b7785"
_BLUE = "#3b6ea5"
_PALE = "#c9d6e8"
_CHAR = 0.6  # width of an average character, in font sizes (generous for sans-serif)
_LABEL_MAX = 48  # characters of a group name shown beside its bar

# The tile map's look: sequential colours pale where few were matched, dark where most were
# (ColorBrewer's YlGnBu, the 9 anchors that matplotlib's "YlGnBu" interpolates).
_YLGNBU = (
    (255, 255, 217),
    (237, 248, 177),
    (199, 233, 180),
    (127, 205, 187),
    (65, 182, 196),
    (29, 145, 192),
    (34, 94, 168),
    (37, 52, 148),
    (8, 29, 88),
)
_EMPTY = "#f4f4f4"
_EDGE = "#9aa5b1"
_RIVER = "#a9cbe8"
_HATCH = "#555555"
_GAP = 0.06  # space between neighbouring tiles, in tile units
_CHANNEL = 0.32  # width of the river channel between two rows of tiles, in tile units
_TILE = 84.0  # pixels per tile unit

# Characters XML 1.0 cannot carry at all, not even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text for an SVG document: non-printing characters shown as escapes,
    markup characters and quotes escaped.

    >>> xml_text('<b> & "q" \\x1b')
    '&lt;b&gt; &amp; &quot;q&quot; \\\\x1b'
    """
    text = _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), printable(value))
    return html.escape(text, quote=True)


def _n(x: float) -> str:
    """A coordinate: at most one decimal, no trailing ``.0``."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _fit(text: str, limit: int = _LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _width(text: str, size: float) -> float:
    return _CHAR * size * len(text)


def _text(
    x: float,
    y: float,
    text: object,
    size: float,
    *,
    anchor: str = "start",
    fill: str = _INK,
    extra: str = "",
) -> str:
    """A line of text whose middle is at height ``y``."""
    return (
        f'<text x="{_n(x)}" y="{_n(y + 0.35 * size)}" font-size="{_n(size)}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{xml_text(text)}</text>'
    )


def _document(width: float, height: float, title: str, body: Iterable[str], defs: str = "") -> str:
    return "".join(
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" font-family="{_FONT}">',
            f"<title>{xml_text(title)}</title>",
            f"<defs>{defs}</defs>" if defs else "",
            f'<rect width="{_n(width)}" height="{_n(height)}" fill="white"/>',
            *body,
            "</svg>",
        )
    )


def ticks(top: float, *, integer: bool = False, most: int = 8) -> list[float]:
    """Evenly spaced round values from 0 that reach or pass ``top`` (whole numbers when ``integer``).

    >>> ticks(63, integer=True)
    [0, 10, 20, 30, 40, 50, 60, 70]
    >>> ticks(3, integer=True)
    [0, 1, 2, 3]
    >>> ticks(1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not top > 0 or not math.isfinite(top):
        return [0, 1] if integer else [0, 1.0]
    raw = top / most
    magnitude = 10.0 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        whole = max(1, round(step))
        return list(range(0, whole * (math.ceil(top / whole - 1e-9) + 1), whole))
    return [round(k * step, 10) for k in range(math.ceil(top / step - 1e-9) + 1)]


def _tick_label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def svg_histogram(
    scores: Sequence[float], score_range: float = 1.0, *, bins: int = 20, title: str = "Score distribution"
) -> str:
    """A histogram of pair scores from 0 to ``score_range`` (counts of pairs on whole numbers).

    Scores outside ``[0, score_range]`` are not counted, as in ``result.plot.scores()``.

    >>> svg = svg_histogram([0.5, 0.9, 1.0], bins=4)
    >>> svg.count('class="bin"')
    2
    """
    score_range = score_range if score_range > 0 and math.isfinite(score_range) else 1.0
    counts = [0] * bins
    for score in scores:
        if 0 <= score <= score_range:  # NaN is never counted
            counts[min(int(score / score_range * bins), bins - 1)] += 1
    width, height = 700.0, 320.0
    left, right, top, bottom = 62.0, 20.0, 40.0, 52.0
    plot_w, plot_h = width - left - right, height - top - bottom
    y_ticks = ticks(max(counts), integer=True, most=6)
    y_max = y_ticks[-1]
    body = [_text(width / 2, 20, title, 14, anchor="middle")]
    for value in y_ticks:
        y = top + plot_h * (1 - value / y_max)
        body.append(f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{_GRID}"/>')
        body.append(_text(left - 6, y, _tick_label(value), 11, anchor="end"))
    bin_w = plot_w / bins
    for k, count in enumerate(counts):
        if count:
            h = plot_h * count / y_max
            body.append(
                f'<rect class="bin" x="{_n(left + k * bin_w)}" y="{_n(top + plot_h - h)}" width="{_n(bin_w)}" '
                f'height="{_n(h)}" fill="{_BLUE}" stroke="white"/>'
            )
    for value in ticks(score_range, most=6):
        if value <= score_range * (1 + 1e-9):
            x = left + plot_w * value / score_range
            body.append(
                f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top + plot_h)}" y2="{_n(top + plot_h + 4)}" '
                f'stroke="{_AXIS}"/>'
            )
            body.append(_text(x, top + plot_h + 14, _tick_label(value), 11, anchor="middle"))
    body.append(
        f'<line x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(top + plot_h)}" y2="{_n(top + plot_h)}" '
        f'stroke="{_AXIS}"/>'
    )
    if not any(counts):
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "no pairs", 12, anchor="middle", fill=_MUTED))
    body.append(_text(left + plot_w / 2, height - 12, "combined score of a pair", 12, anchor="middle"))
    body.append(
        f'<text transform="translate(16 {_n(top + plot_h / 2)}) rotate(-90)" font-size="12" '
        f'text-anchor="middle" fill="{_INK}">pairs</text>'
    )
    return _document(width, height, title, body)


def svg_bars(
    rows: Sequence[tuple[str, int, int]],
    *,
    title: str,
    axis_label: str = "people (mentors and mentees)",
) -> str:
    """People and matched people per group as horizontal bars, in the order of ``rows``
    (``(group, people, matched)``), each bar labelled ``matched of people``."""
    names = [_fit(printable(r[0])) for r in rows]
    label_w = min(max((_width(n, 11) for n in names), default=0.0), _width("x" * _LABEL_MAX, 11)) + 14
    left, right, top = max(80.0, label_w), 78.0, 56.0
    plot_w, row_h = 520.0, 26.0
    width = left + plot_w + right
    height = top + max(len(rows), 1) * row_h + 48
    x_ticks = ticks(max((max(r[1], r[2]) for r in rows), default=0), integer=True, most=8)
    x_max = x_ticks[-1]
    plot_h = max(len(rows), 1) * row_h
    body = [
        _text(12, 20, title, 14),
        f'<rect x="{_n(width - 190)}" y="33" width="12" height="12" fill="{_PALE}"/>',
        _text(width - 174, 39, "people", 11),
        f'<rect x="{_n(width - 110)}" y="33" width="12" height="12" fill="{_BLUE}"/>',
        _text(width - 94, 39, "matched", 11),
    ]
    for value in x_ticks:
        x = left + plot_w * value / x_max
        body.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top)}" y2="{_n(top + plot_h)}" stroke="{_GRID}"/>')
        body.append(_text(x, top + plot_h + 12, _tick_label(value), 11, anchor="middle"))
    for k, ((_, people, matched), name) in enumerate(zip(rows, names, strict=True)):
        y = top + k * row_h
        body.append(_text(left - 8, y + row_h / 2, name, 11, anchor="end"))
        for value, colour, cls in ((people, _PALE, "people"), (matched, _BLUE, "matched")):
            if value > 0:
                body.append(
                    f'<rect class="{cls}" x="{_n(left)}" y="{_n(y + 4)}" width="{_n(plot_w * value / x_max)}" '
                    f'height="{_n(row_h - 8)}" fill="{colour}"/>'
                )
        body.append(_text(left + plot_w * people / x_max + 6, y + row_h / 2, f"{matched:,} of {people:,}", 10))
    if not rows:
        body.append(_text(left + plot_w / 2, top + row_h / 2, "no one", 12, anchor="middle", fill=_MUTED))
    body.append(f'<line x1="{_n(left)}" x2="{_n(left)}" y1="{_n(top)}" y2="{_n(top + plot_h)}" stroke="{_AXIS}"/>')
    body.append(_text(left + plot_w / 2, height - 14, axis_label, 12, anchor="middle"))
    return _document(width, height, title, body)


def share_colour(share: float) -> tuple[int, int, int]:
    """The tile colour for a share matched in [0, 1] (pale to dark blue).

    >>> share_colour(0.0), share_colour(1.0)
    ((255, 255, 217), (8, 29, 88))
    """
    position = min(max(share, 0.0), 1.0) * (len(_YLGNBU) - 1)
    k = min(int(position), len(_YLGNBU) - 2)
    t = position - k
    a, b = _YLGNBU[k], _YLGNBU[k + 1]
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _dark(rgb: tuple[int, int, int]) -> bool:
    """True when white text reads better than dark text on this colour (WCAG contrast)."""
    r, g, b = ((c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05)


def svg_place_coverage(
    rows: Iterable[tuple[str, int, int]],
    geography: Geography,
    *,
    title: str | None = None,
    note: str | None = None,
) -> str | None:
    """``(place, people, matched)`` rows on the tile map of ``geography`` (London), each tile
    coloured by the share of its people matched and labelled with the place's abbreviation, the
    matched and the unmatched count; places in no policing unit are hatched. None when the
    geography has no tile layout (draw `svg_bars` instead)."""
    layout = tile_layout(geography)
    if layout is None:
        return None
    counts = {place: (int(people), int(matched)) for place, people, matched in rows if place in layout.tiles}
    places = [p for p in geography.places if p in layout.tiles]
    no_unit = [p for p in places if geography.unit_of and geography.unit_of.get(p) is None]
    river = layout.river
    title = title or f"Coverage by {layout.place_name}"

    def top(row: int) -> float:  # rows south of the river move down to open its channel
        return row + (_CHANNEL if river is not None and row > river.after_row else 0.0)

    # The legend: empty tiles, then each hatched place and why it is in no unit.
    unit = geography.unit_name or "unit"
    legend: list[tuple[str, list[str]]] = [("empty", [f"no one names this {layout.place_name}"])]
    for place in no_unit:
        lines = [f"{layout.tiles[place].abbr}: {place}, in no {unit}"]
        note_text = geography.note(place)
        if note_text:  # London: "policed by the City of London Police, not the Met, ..."
            lines.append("(" + note_text.split(",")[0] + ")")
        legend.append(("hatch", lines))
    legend_h = sum(14 * len(lines) + 4 for _, lines in legend)

    cols = [t.col for t in layout.tiles.values()]
    tops = [top(t.row) for t in layout.tiles.values()]
    x0, y0 = 12 - min(cols) * _TILE, 40 + legend_h + 8 - min(tops) * _TILE
    map_w = (max(cols) + 1 - min(cols)) * _TILE
    map_h = (max(tops) + 1 - min(tops)) * _TILE
    width = 12 + map_w + 110
    footer = f"A person counts in every {layout.place_name} they name. Tiles: London Squared (After the Flood)."
    if note:
        footer = f"{note}. {footer}"
    height = 40 + legend_h + 8 + map_h + 34
    width = max(width, _width(footer, 10) + 24)

    defs = (
        '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{_HATCH}" stroke-width="1.2"/></pattern>'
        '<linearGradient id="share" x1="0" y1="1" x2="0" y2="0">'
        + "".join(
            f'<stop offset="{_n(100 * k / (len(_YLGNBU) - 1))}%" stop-color="{_hex(c)}"/>'
            for k, c in enumerate(_YLGNBU)
        )
        + "</linearGradient>"
    )
    body = [_text(12, 20, title, 16)]
    y = 40.0
    for kind, lines in legend:
        fill = _EMPTY if kind == "empty" else "url(#hatch)"
        dash = ' stroke-dasharray="3 2"' if kind == "hatch" else ""
        stroke = _EDGE if kind == "empty" else _HATCH
        body.append(f'<rect x="12" y="{_n(y + 1)}" width="22" height="10" fill="{fill}" stroke="{stroke}"{dash}/>')
        for k, line in enumerate(lines):
            body.append(_text(42, y + 6 + 14 * k, line, 10))
        y += 14 * len(lines) + 4

    if river is not None:
        ry = y0 + (river.after_row + 1 + _CHANNEL / 2) * _TILE
        body.append(
            f'<line x1="{_n(x0 + river.from_col * _TILE)}" x2="{_n(x0 + river.to_col * _TILE)}" y1="{_n(ry)}" '
            f'y2="{_n(ry)}" stroke="{_RIVER}" stroke-width="7" stroke-linecap="round"/>'
        )
        body.append(
            _text(
                x0 + (river.from_col + 0.05) * _TILE,
                ry + 12,
                river.name,
                11,
                fill="#2f6ea5",
                extra=' font-style="italic"',
            )
        )
    size = (1.0 - _GAP) * _TILE
    for place in places:
        tile = layout.tiles[place]
        people, matched = counts.get(place, (0, 0))
        tx, ty = x0 + (tile.col + _GAP / 2) * _TILE, y0 + (top(tile.row) + _GAP / 2) * _TILE
        colour = share_colour(matched / people) if people else None
        face = _hex(colour) if colour is not None else _EMPTY
        body.append(
            f'<rect class="tile" x="{_n(tx)}" y="{_n(ty)}" width="{_n(size)}" height="{_n(size)}" fill="{face}" '
            f'stroke="{_EDGE}" stroke-width="0.8"/>'
        )
        if place in no_unit:
            body.append(
                f'<rect x="{_n(tx)}" y="{_n(ty)}" width="{_n(size)}" height="{_n(size)}" fill="url(#hatch)" '
                f'fill-opacity="0.6" stroke="{_HATCH}" stroke-dasharray="4 3" stroke-width="1.2"/>'
            )
        ink = "white" if colour is not None and _dark(colour) else _INK
        cx, cy = x0 + (tile.col + 0.5) * _TILE, y0 + top(tile.row) * _TILE
        body.append(_text(cx, cy + 0.27 * _TILE, tile.abbr, 13, anchor="middle", fill=ink, extra=' font-weight="bold"'))
        if people:
            left = people - matched
            body.append(_text(cx, cy + 0.54 * _TILE, f"{matched:,} of {people:,}", 11, anchor="middle", fill=ink))
            body.append(
                _text(
                    cx,
                    cy + 0.77 * _TILE,
                    f"{left:,} unmatched" if left else "all matched",
                    9.5,
                    anchor="middle",
                    fill=ink,
                    extra=' font-weight="bold"' if left else "",
                )
            )
        else:
            body.append(_text(cx, cy + 0.6 * _TILE, "no one", 11, anchor="middle", fill=_AXIS))

    # The colour bar: share of people matched, 0% at the bottom.
    bar_x, bar_h = 12 + map_w + 18, map_h * 0.5
    bar_y = y0 + min(tops) * _TILE + (map_h - bar_h) / 2
    body.append(
        f'<rect x="{_n(bar_x)}" y="{_n(bar_y)}" width="18" height="{_n(bar_h)}" fill="url(#share)" stroke="{_INK}" '
        'stroke-width="0.8"/>'
    )
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        ty = bar_y + bar_h * (1 - share)
        body.append(f'<line x1="{_n(bar_x + 18)}" x2="{_n(bar_x + 22)}" y1="{_n(ty)}" y2="{_n(ty)}" stroke="{_INK}"/>')
        body.append(_text(bar_x + 25, ty, f"{share:.0%}", 11))
    body.append(
        f'<text transform="translate({_n(bar_x + 72)} {_n(bar_y + bar_h / 2)}) rotate(-90)" font-size="12" '
        f'text-anchor="middle" fill="{_INK}">share of people matched</text>'
    )
    body.append(_text(12, height - 14, footer, 10, fill=_MUTED))
    return _document(width, height, title, body, defs)

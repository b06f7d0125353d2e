"""Coverage on a London tile map: who was matched, borough by borough.

Each of the 32 London boroughs and the City of London is drawn as an equal
square, placed like the London Squared tile map (see
``datasets/london_tiles.json`` for the source and its licence), so small
central boroughs are as visible as large outer ones. A tile is coloured by
the share of its people who were matched and labelled with the borough's
abbreviation, the matched count and the unmatched count. Places in no
policing unit (the City of London, policed by the City of London Police,
is in no Met BCU) are hatched.

A person counts in every borough they name, as in the report's coverage
tables, and is matched when they have at least one partner. Drawing needs
matplotlib (the ``report`` extra); the layout and the counts do not.

For a geography with no tile layout (another force's places) the drawing
functions return ``None``: draw a bar chart instead.

Examples
--------
>>> import pairmatch as pm
>>> from pairmatch.maps import coverage_by_place, tile_layout
>>> result = pm.solve(pm.pilot_problem())
>>> [(c.place, c.people, c.matched) for c in coverage_by_place(result) if c.people]
[('Brent', 2, 2), ('Hackney', 1, 1), ('Newham', 1, 1), ('Redbridge', 1, 1), ('Tower Hamlets', 1, 1)]
>>> tile_layout(pm.london()).tiles["City of London"].abbr
'CTY'
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from .datasets import load_json, london
from .diffs import coverage
from .exceptions import require
from .geography import Geography
from .models import Problem
from .result import MatchResult
from .text import chart_label

__all__ = [
    "PlaceCoverage",
    "River",
    "Tile",
    "TileLayout",
    "coverage_by_place",
    "draw_coverage_map",
    "draw_place_coverage",
    "london_tiles",
    "new_figure",
    "tile_layout",
]

Side = Literal["both", "mentor", "mentee"]

# Sequential colours: pale where few were matched, dark where most were.
_CMAP = "YlGnBu"
_EMPTY = "#f4f4f4"
_EDGE = "#9aa5b1"
_RIVER = "#a9cbe8"
_HATCH = "#555555"
_GAP = 0.06  # space between neighbouring tiles, in tile units
_CHANNEL = 0.32  # width of the river channel between two rows of tiles


@dataclass(frozen=True)
class Tile:
    """One place's square: ``col`` counts from the west, ``row`` from the north."""

    place: str
    abbr: str
    col: int
    row: int


@dataclass(frozen=True)
class River:
    """A river between row ``after_row`` and the next, from ``from_col`` to ``to_col``."""

    name: str
    after_row: int
    from_col: float
    to_col: float


@dataclass(frozen=True)
class TileLayout:
    """Square tiles for the places of a geography, with an optional river line.

    Attributes
    ----------
    name, description, source, licence : str
        What the layout is and where it comes from.
    place_name : str
        What a place is called in titles (``"borough"``).
    tiles : Mapping[str, Tile]
        The tile of each place, by the geography's spelling of its name.
    river : River or None
        A river drawn in a channel between two rows of tiles.
    """

    name: str
    description: str
    source: str
    licence: str
    place_name: str
    tiles: Mapping[str, Tile]
    river: River | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TileLayout:
        """A layout from its JSON form (see ``datasets/london_tiles.json``)."""
        tiles = {t["place"]: Tile(t["place"], t["abbr"], int(t["col"]), int(t["row"])) for t in data["tiles"]}
        cells = [(t.col, t.row) for t in tiles.values()]
        if len(set(cells)) != len(cells) or len(tiles) != len(data["tiles"]):
            raise ValueError(f"{data.get('name', 'tile layout')}: two tiles share a place or a square")
        river = data.get("river")
        return cls(
            name=data.get("name", ""),
            description=data.get("description", ""),
            source=data.get("source", ""),
            licence=data.get("licence", ""),
            place_name=data.get("place_name", "place"),
            tiles=tiles,
            river=None
            if not river
            else River(
                river.get("name", ""), int(river["after_row"]), float(river["from_col"]), float(river["to_col"])
            ),
        )

    def covers(self, geography: Geography) -> bool:
        """True when every place of ``geography``'s territory has a tile (a whole-area role has none)."""
        return all(place in self.tiles for place in geography.territory)

    def neighbours(self, place: str) -> set[str]:
        """Places whose tiles touch this one's (by a side or a corner)."""
        tile = self.tiles[place]
        return {
            other.place
            for other in self.tiles.values()
            if other is not tile and max(abs(other.col - tile.col), abs(other.row - tile.row)) == 1
        }


@cache
def london_tiles() -> TileLayout:
    """The London square tile map: the 32 boroughs and the City of London.

    >>> layout = london_tiles()
    >>> len(layout.tiles), layout.tiles["Newham"].abbr
    (33, 'NWM')
    """
    return TileLayout.from_dict(load_json("london_tiles.json"))


def tile_layout(geography: Geography) -> TileLayout | None:
    """The tile layout for ``geography``'s places, or None when there is none.

    >>> import pairmatch as pm
    >>> tile_layout(pm.london()) is london_tiles()
    True
    >>> tile_layout(pm.Geography.from_dict({"places": ["Salford", "Trafford"]})) is None
    True
    """
    layout = london_tiles()
    return layout if geography.territory and layout.covers(geography) else None


@cache
def _figure_class() -> type:
    from matplotlib.figure import Figure

    class InlineFigure(Figure):
        """A figure that shows itself as a PNG in a notebook, whether or not pyplot was imported."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
            return buffer.getvalue()

    return InlineFigure


def new_figure(purpose: str, **kwargs: Any) -> Any:
    """A matplotlib ``Figure`` drawn off-screen (the Agg canvas: pyplot's global state is never
    touched, ``savefig`` works) that a notebook shows inline; needs the ``report`` extra,
    named with ``purpose`` in the missing-extra error.

    >>> fig = new_figure("a test", figsize=(2, 1))
    >>> fig._repr_png_()[:4]
    b'\\x89PNG'
    """
    require("matplotlib", "report", purpose)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(**kwargs)
    FigureCanvasAgg(fig)
    return fig


@dataclass(frozen=True)
class PlaceCoverage:
    """People who name a place, and how many of them were matched."""

    place: str
    people: int
    matched: int

    @property
    def unmatched(self) -> int:
        """People who name the place and were not matched."""
        return self.people - self.matched

    @property
    def share(self) -> float | None:
        """Share matched, or None when no one names the place."""
        return self.matched / self.people if self.people else None


def _problem(result: MatchResult, problem: Problem | None) -> Problem:
    return problem if problem is not None else result.solved_context("a map needs", ", or problem=...").problem


def coverage_by_place(
    result: MatchResult, problem: Problem | None = None, *, side: Side = "both"
) -> list[PlaceCoverage]:
    """People and matched people per place of the problem's geography, in its order.

    Parameters
    ----------
    result : MatchResult
    problem : Problem, optional
        The problem ``result`` solves (default: the one it carries).
    side : {"both", "mentor", "mentee"}
        Count mentors and mentees, or one side only.

    Returns
    -------
    list of PlaceCoverage
        One per place, places no one names included (``people == 0``).
    """
    if side not in ("both", "mentor", "mentee"):
        raise ValueError(f"side must be 'both', 'mentor' or 'mentee', not {side!r}")
    problem = _problem(result, problem)
    matched = {pid for pair in result.pairs for pid in (pair.mentor_id, pair.mentee_id)}
    people = (*(problem.mentors if side != "mentee" else ()), *(problem.mentees if side != "mentor" else ()))
    counts = coverage(problem, matched, "borough", people=people)
    return [PlaceCoverage(place, *counts.get(place, (0, 0))) for place in problem.geography.places]


def draw_coverage_map(
    result: MatchResult,
    *,
    problem: Problem | None = None,
    side: Side = "both",
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Matched share and unmatched people per borough, on the London tile map.

    Parameters
    ----------
    result : MatchResult
    problem : Problem, optional
        The problem ``result`` solves (default: the one it carries).
    side : {"both", "mentor", "mentee"}
        Whose coverage to draw.
    ax : matplotlib Axes, optional
        Draw into these axes (and add the colour bar beside them); by default
        a new ``Figure`` is made, without touching pyplot's global state.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure or None
        The figure drawn on, or None when the problem's geography has no tile
        layout (then draw a bar chart of `coverage_by_place` instead).
    """
    problem = _problem(result, problem)
    if tile_layout(problem.geography) is None:
        return None
    rows = [(c.place, c.people, c.matched) for c in coverage_by_place(result, problem, side=side)]
    who = {"both": "mentors and mentees", "mentor": "mentors", "mentee": "mentees"}[side]
    people = (*(problem.mentors if side != "mentee" else ()), *(problem.mentees if side != "mentor" else ()))
    nowhere = sum(1 for p in people if not p.boroughs)
    matched = {pid for pair in result.pairs for pid in (pair.mentor_id, pair.mentee_id)}
    note = f"{sum(p.id in matched for p in people):,} of {len(people):,} {who} matched"
    if nowhere:
        note += f"; {nowhere:,} name no borough and are not on the map"
    return draw_place_coverage(
        rows, problem.geography, ax=ax, note=note, title=title or f"Coverage by borough: {who} matched"
    )


def draw_place_coverage(
    rows: Iterable[tuple[str, int, int]],
    geography: Geography | None = None,
    *,
    ax: Any = None,
    title: str | None = None,
    note: str | None = None,
) -> Any:
    """Draw ``(place, people, matched)`` rows on the tile map of ``geography``.

    The lower-level form of `draw_coverage_map`, for callers that already
    counted (a report's coverage table). Places without a row are drawn
    empty; rows for places without a tile are ignored.

    Parameters
    ----------
    rows : iterable of (place, people, matched)
    geography : Geography, optional
        The places the rows name. Without it, the rows are taken to name
        London's places (`pairmatch.london`, BCUs included) when every one of
        them is a London place, and nothing is drawn otherwise.

    Returns
    -------
    matplotlib.figure.Figure or None
        None when there is no tile layout for the places.

    Examples
    --------
    >>> fig = draw_place_coverage([("Newham", 4, 3), ("Brent", 2, 2)])
    >>> sorted(t.get_text() for t in fig.axes[0].texts if " of " in t.get_text())
    ['2 of 2', '3 of 4']
    >>> draw_place_coverage([("Salford", 1, 1)]) is None
    True
    """
    rows = list(rows)
    if geography is None:
        geography = london()
        if not all(place in geography.places for place, _, _ in rows):
            return None
    layout = tile_layout(geography)
    if layout is None:
        return None
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch, Rectangle

    counts = {place: (int(people), int(matched)) for place, people, matched in rows if place in layout.tiles}
    own = ax is None
    if own:
        fig = new_figure("drawing the coverage map", figsize=(8.6, 7.6))
        ax = fig.add_axes((0.01, 0.05, 0.86, 0.88))
        ax.set_anchor("W")
    fig = ax.get_figure()
    cmap, norm = colormaps[_CMAP], Normalize(0.0, 1.0)
    places = [p for p in geography.places if p in layout.tiles]
    no_unit = [p for p in places if geography.unit_of and geography.unit_of.get(p) is None]
    river = layout.river

    def top(row: int) -> float:  # rows south of the river move down to open its channel
        return row + (_CHANNEL if river is not None and row > river.after_row else 0.0)

    cols = [t.col for t in layout.tiles.values()]
    tops = [top(t.row) for t in layout.tiles.values()]
    ax.set_xlim(min(cols) - 0.05, max(cols) + 1.05)
    ax.set_ylim(max(tops) + 1.05, min(tops) - 0.05)  # row 0 at the top: north up
    ax.set_aspect("equal")
    ax.set_axis_off()
    title = chart_label(title or f"Coverage by {layout.place_name}")
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    if own:
        fig.text(0.01, 0.975, title, fontsize=13, ha="left", va="top")
        bar = fig.colorbar(mappable, cax=fig.add_axes((0.9, 0.25, 0.022, 0.5)))
    else:
        ax.set_title(title, fontsize=12)
        bar = fig.colorbar(mappable, ax=ax, shrink=0.55, pad=0.01)
    bar.set_label("share of people matched")
    bar.set_ticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])

    # Labels scale with the tiles, so they fit whether the map fills a figure or shares one.
    box = ax.get_position()
    width, height = fig.get_size_inches()
    x_span, y_span = ax.get_xlim(), ax.get_ylim()
    tile_pt = 72 * min(box.width * width / abs(x_span[1] - x_span[0]), box.height * height / abs(y_span[1] - y_span[0]))
    big, medium, small = (min(cap, share * tile_pt) for cap, share in ((10, 0.15), (8, 0.12), (6.8, 0.098)))
    size = 1.0 - _GAP
    for place in places:
        tile = layout.tiles[place]
        people, matched = counts.get(place, (0, 0))
        x, y = tile.col + _GAP / 2, top(tile.row) + _GAP / 2
        face = cmap(norm(matched / people)) if people else _EMPTY
        ax.add_patch(Rectangle((x, y), size, size, facecolor=face, edgecolor=_EDGE, linewidth=0.8))
        if place in no_unit:
            ax.add_patch(
                Rectangle(
                    (x, y),
                    size,
                    size,
                    facecolor="none",
                    edgecolor=_HATCH,
                    hatch="//",
                    linewidth=1.2,
                    linestyle="--",
                    alpha=0.6,
                )
            )
        ink = "white" if people and _dark(face) else "#1d2733"
        cx, cy = tile.col + 0.5, top(tile.row)
        ax.text(
            cx, cy + 0.27, chart_label(tile.abbr), ha="center", va="center", fontsize=big, fontweight="bold", color=ink
        )
        if people:
            ax.text(cx, cy + 0.54, f"{matched:,} of {people:,}", ha="center", va="center", fontsize=medium, color=ink)
            left = people - matched
            ax.text(
                cx,
                cy + 0.77,
                f"{left:,} unmatched" if left else "all matched",
                ha="center",
                va="center",
                fontsize=small,
                color=ink,
                fontweight="bold" if left else "normal",
            )
        else:
            ax.text(cx, cy + 0.6, "no one", ha="center", va="center", fontsize=medium, color="#6b7785")
    if river is not None:
        y = river.after_row + 1 + _CHANNEL / 2
        ax.plot([river.from_col, river.to_col], [y, y], color=_RIVER, linewidth=5.0, solid_capstyle="round", zorder=0.5)
        ax.text(
            river.from_col + 0.05,
            y + 0.07,
            chart_label(river.name),
            color="#2f6ea5",
            fontsize=medium,
            fontstyle="italic",
            ha="left",
            va="top",
        )
    handles = [Patch(facecolor=_EMPTY, edgecolor=_EDGE, label=chart_label(f"no one names this {layout.place_name}"))]
    unit = geography.unit_name or "unit"
    for place in no_unit:
        what = f"{layout.tiles[place].abbr}: {place}, in no {unit}"
        note_text = geography.note(place)
        if note_text:  # London: "policed by the City of London Police, not the Met, ..."
            what += "\n(" + note_text.split(",")[0] + ")"
        handles.append(Patch(facecolor="none", edgecolor=_HATCH, hatch="//", linestyle="--", label=chart_label(what)))
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, frameon=False, borderaxespad=0.2)
    footer = f"A person counts in every {layout.place_name} they name. Tiles: London Squared (After the Flood)."
    if note:
        footer = f"{note}. {footer}"
    footer = chart_label(footer)
    if own:
        fig.text(0.01, 0.02, footer, fontsize=7.5, color="#4a5561", ha="left", va="bottom")
    else:
        ax.text(0.0, -0.01, footer, transform=ax.transAxes, fontsize=7, color="#4a5561", ha="left", va="top")
    return fig


def _dark(rgba: Any) -> bool:
    """True when white text reads better than black on this colour (WCAG contrast)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05)

"""The London tile map: the layout against the geography, the counts, and the drawing."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import numpy as np
import pytest

import pairmatch as pm
from pairmatch.maps import (
    PlaceCoverage,
    TileLayout,
    coverage_by_place,
    draw_coverage_map,
    draw_place_coverage,
    london_tiles,
    tile_layout,
)

LONDON = pm.london()
LAYOUT = london_tiles()


def touching(a: str, b: str) -> bool:
    ta, tb = LAYOUT.tiles[a], LAYOUT.tiles[b]
    return max(abs(ta.col - tb.col), abs(ta.row - tb.row)) == 1


def sharing_a_side(a: str, b: str) -> bool:
    ta, tb = LAYOUT.tiles[a], LAYOUT.tiles[b]
    return abs(ta.col - tb.col) + abs(ta.row - tb.row) == 1


def test_every_place_has_exactly_one_tile_and_every_tile_is_a_place():
    data = json.loads(resources.files("pairmatch.datasets").joinpath("london_tiles.json").read_text("utf-8"))
    named = [t["place"] for t in data["tiles"]]
    assert len(named) == len(set(named)) == 33
    assert set(named) == set(LONDON.territory)
    cells = [(t.col, t.row) for t in LAYOUT.tiles.values()]
    assert len(cells) == len(set(cells))
    abbrs = [t.abbr for t in LAYOUT.tiles.values()]
    assert len(abbrs) == len(set(abbrs))
    assert all(a.isupper() and len(a) == 3 for a in abbrs)


def test_the_layout_names_its_source_and_licence():
    assert "London Squared" in LAYOUT.source
    assert "After the Flood" in LAYOUT.source
    assert "Copyright 2019 After the Flood Ltd." in LAYOUT.licence


def test_most_land_neighbours_are_tile_neighbours():
    land = LONDON.land_borders
    touching_tiles = [pair for pair in land if touching(*pair)]
    # 64 of the 68 land borders: a square grid cannot keep every border (Bromley
    # has seven neighbours, for instance).
    assert len(touching_tiles) >= 0.9 * len(land)
    river = LONDON.river_borders
    assert sum(touching(*pair) for pair in river) >= 0.9 * len(river)


def test_tiles_side_by_side_are_almost_always_neighbours():
    borders = {frozenset(pair) for pair in (*LONDON.land_borders, *LONDON.river_borders)}
    side_by_side = [(a, b) for a in LAYOUT.tiles for b in LAYOUT.tiles if a < b and sharing_a_side(a, b)]
    real = [pair for pair in side_by_side if frozenset(pair) in borders]
    assert len(real) >= 0.9 * len(side_by_side)


def test_the_thames_runs_between_river_borders():
    river = LAYOUT.river
    assert river is not None
    assert river.name == "Thames"
    for a, b in LONDON.river_borders:
        rows = sorted((LAYOUT.tiles[a].row, LAYOUT.tiles[b].row))
        if a not in ("Kingston upon Thames",) and b not in ("Kingston upon Thames",):
            # North-bank tiles sit on or above the river's row, south-bank ones below it.
            assert rows[0] <= river.after_row < rows[1], (a, b)


def test_a_layout_refuses_two_tiles_on_one_square():
    with pytest.raises(ValueError, match="share"):
        TileLayout.from_dict(
            {
                "tiles": [
                    {"place": "A", "abbr": "A", "col": 0, "row": 0},
                    {"place": "B", "abbr": "B", "col": 0, "row": 0},
                ]
            }
        )


def test_layout_only_for_geographies_it_covers():
    assert tile_layout(LONDON) is LAYOUT
    other = pm.Geography.from_dict({"places": ["Salford", "Manchester"], "borders": [["Salford", "Manchester"]]})
    assert tile_layout(other) is None


def test_coverage_counts_people_in_every_place_they_name():
    problem = pm.pilot_problem()
    result = pm.solve(problem)
    rows = {c.place: c for c in coverage_by_place(result)}
    assert list(rows) == list(LONDON.places)
    expected = {}
    for person in (*problem.mentors, *problem.mentees):
        for place in person.boroughs:
            expected[place] = expected.get(place, 0) + 1
    assert {p: c.people for p, c in rows.items() if c.people} == expected
    assert all(c.matched == c.people for c in rows.values())  # the pilot matches everyone
    mentors = {c.place: c.people for c in coverage_by_place(result, side="mentor") if c.people}
    assert mentors == {"Tower Hamlets": 1, "Newham": 1, "Brent": 1}


def test_coverage_counts_unmatched_people():
    problem = pm.pilot_problem()
    mentor = problem.mentors[0]
    rules = pm.Rules(forbidden_pairs=[(mentor.id, e.id) for e in problem.mentees])
    result = pm.solve(problem.model_copy(update={"rules": rules}))
    by_place = {c.place: c for c in coverage_by_place(result, side="mentor")}
    (home,) = mentor.boroughs
    assert by_place[home].unmatched == 1
    assert by_place[home].share == 0.0
    assert PlaceCoverage("Newham", 0, 0).share is None


def test_coverage_needs_the_problem_when_the_result_carries_none():
    result = pm.solve(pm.pilot_problem())
    bare = dataclasses.replace(result, context=None)
    with pytest.raises(pm.PairmatchError, match="problem="):
        coverage_by_place(bare)
    assert coverage_by_place(bare, pm.pilot_problem()) == coverage_by_place(result)
    with pytest.raises(ValueError, match="side"):
        coverage_by_place(result, side="officers")


def test_no_map_for_a_geography_without_tiles():
    geo = pm.Geography.from_dict({"places": ["Salford", "Trafford"], "borders": [["Salford", "Trafford"]]})
    problem = pm.Problem(
        mentors=[pm.Mentor(id="A", boroughs=["Salford"])],
        mentees=[pm.Mentee(id="X", boroughs=["Trafford"])],
        geography=geo,
    )
    result = pm.solve(problem)
    assert draw_coverage_map(result) is None
    assert draw_place_coverage([("Salford", 1, 1)], geo) is None
    assert [c.people for c in coverage_by_place(result)] == [1, 1]


def test_the_map_renders_to_a_png_of_the_expected_size(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    problem = pm.synthetic_problem(120, 100, seed=4)
    result = pm.solve(problem)
    fig = draw_coverage_map(result)
    path = tmp_path / "map.png"
    fig.savefig(path, dpi=100)
    assert path.stat().st_size > 20_000
    image = imread(path)
    assert image.shape[:2] == (760, 860)
    assert image[..., :3].std() > 0.1  # not a blank canvas
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {t.abbr for t in LAYOUT.tiles.values()} <= texts
    rows = {c.place: c for c in coverage_by_place(result)}
    newham = rows["Newham"]
    assert f"{newham.matched} of {newham.people}" in texts
    assert any(t.endswith("unmatched") for t in texts)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("CTY: City of London, in no BCU") for label in labels)
    assert fig.axes[1].get_ylabel() == "share of people matched"  # the colour bar


def test_tiles_are_coloured_by_the_share_matched():
    pytest.importorskip("matplotlib")
    from matplotlib import colormaps

    result = pm.solve(pm.synthetic_problem(60, 40, seed=2))
    fig = draw_place_coverage([("Newham", 4, 1), ("Brent", 2, 2)], LONDON)
    faces = [tuple(p.get_facecolor()) for p in fig.axes[0].patches]
    cmap = colormaps["YlGnBu"]
    for share in (0.25, 1.0):
        assert sum(np.allclose(face, cmap(share)) for face in faces) == 1
    assert draw_coverage_map(result, side="mentee") is not None


def test_counts_without_a_geography_are_drawn_on_london_when_they_name_london_places():
    pytest.importorskip("matplotlib")
    fig = draw_place_coverage([("Newham", 4, 1), ("City of London", 1, 0)])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("CTY: City of London, in no BCU") for label in labels)
    assert "3 unmatched" in {t.get_text() for t in fig.axes[0].texts}
    assert draw_place_coverage([("Newham", 4, 1), ("(no BCU)", 1, 0)]) is None


def test_the_map_draws_into_given_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6))
    left, right = fig.subplots(1, 2)
    result = pm.solve(pm.pilot_problem())
    assert draw_coverage_map(result, ax=left, side="mentor") is fig
    assert draw_coverage_map(result, ax=right, side="mentee", title="Officers") is fig
    assert right.get_title() == "Officers"

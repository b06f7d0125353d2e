"""Package data: London boroughs, borders and BCUs; the default taxonomy; the pilot example; samples."""

from __future__ import annotations

import json
from importlib import resources

import networkx as nx
import numpy as np
import pytest

import pairmatch
from pairmatch.datasets import default_taxonomy, london
from pairmatch.examples import pilot_problem

# The Met's 12 Basic Command Units as listed in the design brief, under the Met's own names.
BCUS = {
    "Central West": {"Westminster", "Kensington and Chelsea", "Hammersmith and Fulham"},
    "Central North": {"Camden", "Islington"},
    "Central East": {"Hackney", "Tower Hamlets"},
    "Central South": {"Lambeth", "Southwark"},
    "North West": {"Barnet", "Brent", "Harrow"},
    "North Area": {"Enfield", "Haringey"},
    "North East": {"Newham", "Waltham Forest"},
    "East Area": {"Barking and Dagenham", "Havering", "Redbridge"},
    "South East": {"Bexley", "Greenwich", "Lewisham"},
    "South Area": {"Bromley", "Croydon", "Sutton"},
    "South West": {"Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth"},
    "West Area": {"Ealing", "Hillingdon", "Hounslow"},
}
BOROUGHS = set().union(*BCUS.values())
PLACES = BOROUGHS | {"City of London"}


def raw_london() -> dict:
    return json.loads(resources.files("pairmatch.datasets").joinpath("london.json").read_text("utf-8"))


def test_thirty_two_boroughs_and_the_city():
    assert len(BOROUGHS) == 32
    geo = london()
    assert len(geo.places) == 34  # and the London-wide entry, a place-like row of its own
    assert set(geo.places) == PLACES | {"London-wide"}
    assert geo.whole_area == "London-wide"
    assert "City of London" in geo
    assert set(raw_london()["places"]) == PLACES


@pytest.mark.parametrize("key", ["borders", "river_borders"])
def test_border_lists_are_clean(key):
    # Every border names two known, different places and appears once in either orientation,
    # so a misspelt name cannot silently add a 34th node.
    borders = raw_london()[key]
    keys = [frozenset(pair) for pair in borders]
    assert all(len(pair) == 2 and pair[0] != pair[1] for pair in borders)
    assert all(set(pair) <= PLACES for pair in borders)
    assert len(keys) == len(set(keys))


def test_adjacency_is_symmetric():
    geo = london()
    adjacency = nx.to_numpy_array(geo.graph, nodelist=sorted(PLACES))
    assert (adjacency == adjacency.T).all()
    assert np.trace(adjacency) == 0
    assert (geo.distance == geo.distance.T).all()
    assert (geo.similarity == geo.similarity.T).all()
    for a in geo.graph:
        for b in geo.graph[a]:
            assert (
                geo.relation(a, b)
                == geo.relation(b, a)
                in (
                    "adjacent",
                    "across the river",
                    "across the river, no direct crossing",
                )
            )


def test_adjacency_is_connected():
    geo = london()
    assert nx.is_connected(geo.graph)
    assert (geo.distance >= 0).all()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Newham", "Tower Hamlets"),
        ("Hackney", "Tower Hamlets"),
        ("Newham", "Redbridge"),
        ("Camden", "Westminster"),
        ("Brent", "Harrow"),
        ("Croydon", "Sutton"),
        ("Lambeth", "Southwark"),
        ("City of London", "Islington"),
    ],
)
def test_known_land_borders(a, b):
    geo = london()
    assert geo.graph.has_edge(a, b)
    assert frozenset((a, b)) in geo.land_borders


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Brent", "Newham"),
        ("Tower Hamlets", "Redbridge"),
        ("Hillingdon", "Havering"),
        ("Westminster", "Southwark"),
        ("Islington", "Tower Hamlets"),
    ],
)
def test_known_non_borders(a, b):
    assert not london().graph.has_edge(a, b)


@pytest.mark.parametrize(("a", "b"), [("Westminster", "Lambeth"), ("Tower Hamlets", "Greenwich")])
def test_facing_across_the_thames_is_a_river_border_not_a_land_border(a, b):
    geo = london()
    assert geo.graph.has_edge(a, b)
    assert frozenset((a, b)) in geo.river_borders
    assert frozenset((a, b)) not in geo.land_borders


def test_every_borough_in_exactly_one_of_the_twelve_bcus():
    geo = london()
    units: dict[str, set[str]] = {}
    for place, unit in geo.unit_of.items():
        units.setdefault(unit, set()).add(place)
    assert units == BCUS
    assert len(units) == 12
    assert set(geo.unit_of) == BOROUGHS
    assert geo.unit_of.get("City of London") is None
    raw = raw_london()["units"]
    listed = [place for members in raw.values() for place in members]
    assert len(listed) == len(set(listed)) == 32


REQUIRED_TOPICS = [
    "knife crime",
    "domestic abuse",
    "social inequality",
    "stop and search",
    "violence against women and girls",
    "hate crime",
    "youth engagement",
    "mental health",
    "online safety",
]


def test_taxonomy_connected_and_has_the_core_topics():
    tax = default_taxonomy()
    assert nx.is_connected(tax.graph)
    for topic in REQUIRED_TOPICS:
        assert topic in tax.topics


def test_taxonomy_similarity_is_symmetric_with_unit_diagonal():
    tax = default_taxonomy()
    assert (tax.similarity == tax.similarity.T).all()
    assert (np.diag(tax.similarity) == 1).all()
    assert set(np.unique(tax.similarity)) <= {0.0, 0.125, 0.25, 0.5, 1.0}


def test_taxonomy_file_gives_every_link_a_reason():
    raw = json.loads(resources.files("pairmatch.datasets").joinpath("taxonomy.json").read_text("utf-8"))
    assert all(set(edge) <= {"a", "b", "reason", "source"} for edge in raw["edges"])
    assert all(edge["reason"].strip() for edge in raw["edges"])
    assert len(raw["edges"]) == len(default_taxonomy().links)


def test_pilot_example_is_labelled_illustrative():
    problem = pilot_problem()
    assert "illustrative" in problem.name.lower()
    assert "illustrative" in problem.description.lower()
    assert "never published" in problem.description
    assert "fictional" in problem.description


def test_pilot_example_shape():
    problem = pilot_problem()
    assert problem.shape == (3, 3)
    assert [m.boroughs for m in problem.mentors] == [("Tower Hamlets",), ("Newham",), ("Brent",)]
    assert [m.focus_areas for m in problem.mentors] == [("knife crime",), ("domestic abuse",), ("social inequality",)]
    assert [e.attributes["rank"] for e in problem.mentees] == [
        "Deputy Assistant Commissioner",
        "Commander",
        "Assistant Commissioner",
    ]
    assert all(m.attributes["meetings"] == "monthly, virtual" for m in problem.mentors)
    # Generic labels only: no invented attributes on real people's names.
    assert all(p.name.startswith(("Mentor ", "Officer ")) for p in (*problem.mentors, *problem.mentees))
    assert pilot_problem() == problem


def test_pilot_example_validates_and_keeps_its_result():
    problem = pilot_problem()
    result = pairmatch.solve(problem)
    assert pairmatch.violations(result, problem) == []
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("M1", "O1"), ("M2", "O2"), ("M3", "O3")]
    assert result.objective == pytest.approx(2.51, abs=1e-12)


@pytest.mark.parametrize("programme", ["pilot", "synthetic-200"])
def test_shipped_samples_validate(programme):
    from pairmatch.io import load_problem, sample_path

    problem, _config = load_problem(
        sample_path(programme, "mentors.csv"),
        sample_path(programme, "mentees.csv"),
        sample_path(programme, "config.toml"),
    )
    for person in (*problem.mentors, *problem.mentees):
        assert set(person.boroughs) <= set(problem.geography.places)
        assert all(topic in problem.taxonomy for topic in person.focus_areas)
    result = pairmatch.solve(problem)
    assert pairmatch.violations(result, problem) == []
    # Re-derived with the river borders, the City of London and the reasoned taxonomy, and
    # with an hour for the 16 officers of synthetic-200 who shared none with any mentor.
    expected = {"pilot": (3, 2.51), "synthetic-200": (90, 73.4675)}[programme]
    assert (len(result.pairs), round(result.objective, 6)) == expected


@pytest.mark.parametrize(("programme", "kind"), [("pilot", "csv"), ("synthetic-200", "csv"), ("synthetic-200", "xlsx")])
def test_shipped_samples_pass_their_own_strict_validation(programme, kind, tmp_path):
    from pairmatch.cli import main

    if kind == "xlsx":
        pytest.importorskip("openpyxl")
    assert main(["samples", str(tmp_path), "--programme", programme]) == 0
    files = [str(tmp_path / f"{side}.{kind}") for side in ("mentors", "mentees")]
    assert main(["validate", *files, "-c", str(tmp_path / "config.toml"), "--strict"]) == 0


def test_datasets_are_reexported():
    assert pairmatch.london() is london()
    assert pairmatch.default_taxonomy() is default_taxonomy()

"""Geography: London's land and river borders, the City of London, everyday names, files."""

from __future__ import annotations

import itertools
import json
import re
from importlib import resources
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import pairmatch
from pairmatch import Geography, Mentee, Mentor, Problem, Rules, Weights
from pairmatch.datasets import london
from pairmatch.geography import BoroughRelation, normalize_place

# Pairs of places whose boundaries meet in the Thames, west to east. The first two also
# share a land border (Richmond upon Thames lies on both banks).
RIVER_BORDERS = [
    ("Kingston upon Thames", "Richmond upon Thames"),
    ("Hounslow", "Richmond upon Thames"),
    ("Hammersmith and Fulham", "Richmond upon Thames"),  # Hammersmith / Barnes
    ("Hammersmith and Fulham", "Wandsworth"),  # Fulham / Putney
    ("Kensington and Chelsea", "Wandsworth"),  # Chelsea / Battersea
    ("Westminster", "Wandsworth"),  # Pimlico / Nine Elms
    ("Westminster", "Lambeth"),  # Westminster / South Bank
    ("City of London", "Lambeth"),  # Temple / Coin Street, a short stretch
    ("City of London", "Southwark"),  # the City / Bankside
    ("Tower Hamlets", "Southwark"),  # Wapping / Rotherhithe
    ("Tower Hamlets", "Lewisham"),  # Millwall / Deptford
    ("Tower Hamlets", "Greenwich"),  # Isle of Dogs / Greenwich
    ("Newham", "Greenwich"),  # North Woolwich / Woolwich
    ("Barking and Dagenham", "Greenwich"),  # Creekmouth / Thamesmead
    ("Barking and Dagenham", "Bexley"),  # Dagenham Dock / Belvedere
    ("Havering", "Bexley"),  # Rainham / Erith
]
ALSO_LAND = {frozenset(RIVER_BORDERS[0]), frozenset(RIVER_BORDERS[1])}

# Thames-side pairs that do not face each other: another borough lies between.
NOT_ACROSS = [
    ("Westminster", "Southwark"),
    ("Ealing", "Richmond upon Thames"),
    ("Hounslow", "Wandsworth"),
    ("Kensington and Chelsea", "Lambeth"),
    ("Newham", "Bexley"),
    ("Havering", "Greenwich"),
    ("Tower Hamlets", "Lambeth"),
    ("Newham", "Lewisham"),
]

FAR_APART = [
    ("Hillingdon", "Havering"),
    ("Enfield", "Croydon"),
    ("Bexley", "Hillingdon"),
    ("Havering", "Sutton"),
    ("Harrow", "Bromley"),
    ("Barnet", "Kingston upon Thames"),
    ("Enfield", "Bexley"),
]

CITY_LAND = {"Westminster", "Camden", "Islington", "Hackney", "Tower Hamlets"}

# Borough score, steps and relation with the river borders and the City of London.
KNOWN = [
    ("Westminster", "Lambeth", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("Tower Hamlets", "Southwark", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("Tower Hamlets", "Greenwich", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("Newham", "Greenwich", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("Havering", "Bexley", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("Westminster", "Tower Hamlets", 0.2, 2, BoroughRelation.NEAR),  # through the City
    ("Kingston upon Thames", "Richmond upon Thames", 0.6, 1, BoroughRelation.ADJACENT),
    ("Lambeth", "Southwark", 0.6, 1, BoroughRelation.ADJACENT),
    ("Camden", "Islington", 0.6, 1, BoroughRelation.ADJACENT),
    ("Hackney", "Tower Hamlets", 0.6, 1, BoroughRelation.ADJACENT),
    ("Merton", "Richmond upon Thames", 0.5, 2, BoroughRelation.SAME_UNIT),
    ("Lambeth", "Tower Hamlets", 0.2, 2, BoroughRelation.NEAR),  # via Southwark or the City
    ("Camden", "Southwark", 0.2, 2, BoroughRelation.NEAR),  # via the City
    ("Brent", "Tower Hamlets", 0.0, 3, BoroughRelation.FAR),
    ("City of London", "City of London", 1.0, 0, BoroughRelation.SAME),
    ("City of London", "Southwark", 0.5, 1, BoroughRelation.ACROSS_RIVER),
    ("City of London", "Newham", 0.2, 2, BoroughRelation.NEAR),
]


@pytest.fixture(scope="module")
def geo() -> Geography:
    return london()


# --------------------------------------------------------------------------- borders


@pytest.mark.parametrize(("a", "b"), RIVER_BORDERS, ids=lambda p: str(p))
def test_river_borders(geo, a, b):
    assert frozenset((a, b)) in geo.river_borders
    assert geo.steps(a, b) == geo.steps(b, a) == 1
    expected = BoroughRelation.ADJACENT if frozenset((a, b)) in ALSO_LAND else BoroughRelation.ACROSS_RIVER
    assert geo.relation(a, b) == geo.relation(b, a) == expected
    assert geo.neighbours(a)[b] == expected


def test_river_border_list_is_exactly_the_thames_pairs(geo):
    assert geo.river_borders == {frozenset(p) for p in RIVER_BORDERS}
    assert geo.river_borders & geo.land_borders == ALSO_LAND
    across = {
        frozenset((a, b))
        for a, b in itertools.combinations(geo.places, 2)
        if geo.relation(a, b) == BoroughRelation.ACROSS_RIVER
    }
    assert across == {frozenset(p) for p in RIVER_BORDERS} - ALSO_LAND


def test_docs_list_the_river_borders_and_aliases(geo):
    page = (Path(__file__).resolve().parents[2] / "docs" / "geography-and-topics.md").read_text("utf-8")
    section = page.split("## River borders")[1].split("\n## ")[0]
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \| [^|]+ \|$", section, re.MULTILINE)
    assert {frozenset((a.strip(), b.strip())) for a, b in rows[1:]} == geo.river_borders
    names = page.split("## Everyday names")[1].split("\n## ")[0]
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", names, re.MULTILINE)
    assert {a.strip(): p.strip() for a, p in rows[1:]} == geo.aliases


@pytest.mark.parametrize(("a", "b"), NOT_ACROSS)
def test_thames_pairs_that_do_not_face_each_other(geo, a, b):
    assert not geo.graph.has_edge(a, b)
    assert geo.steps(a, b) >= 2


def test_city_of_london_is_a_place_in_no_bcu(geo):
    assert "City of London" in geo.places
    assert "City of London" not in geo.unit_of
    assert geo.neighbours("City of London") == {
        **{p: BoroughRelation.ADJACENT for p in CITY_LAND},
        "Southwark": BoroughRelation.ACROSS_RIVER,
        "Lambeth": BoroughRelation.ACROSS_RIVER,
    }
    assert "City of London Police" in geo.note("City of London")
    assert "no Met BCU" in geo.note("City of London")
    assert geo.note("Newham") is None
    assert geo.note("Atlantis") is None


def test_paths_run_through_the_city(geo):
    assert geo.steps("Westminster", "Tower Hamlets") == 2
    assert nx.shortest_path(geo.graph, "Westminster", "Tower Hamlets") == [
        "Westminster",
        "City of London",
        "Tower Hamlets",
    ]


@pytest.mark.parametrize(("a", "b", "score", "steps", "relation"), KNOWN)
def test_known_scores_steps_and_relations(geo, a, b, score, steps, relation):
    assert geo.score(a, b) == geo.score(b, a) == score
    assert geo.steps(a, b) == geo.steps(b, a) == steps
    assert geo.relation(a, b) == geo.relation(b, a) == relation


@pytest.mark.parametrize(("a", "b"), FAR_APART)
def test_far_apart_stays_far(geo, a, b):
    assert geo.steps(a, b) > 2
    assert geo.relation(a, b) == BoroughRelation.FAR
    assert geo.score(a, b) == 0.0


def test_bcus_are_the_twelve_met_units_and_the_city_is_in_none(geo):
    units: dict[str, set[str]] = {}
    for place, unit in geo.unit_of.items():
        units.setdefault(unit, set()).add(place)
    assert len(units) == 12
    assert set(geo.unit_of) == set(geo.places) - {"City of London"}
    assert units["Central West"] == {"Westminster", "Kensington and Chelsea", "Hammersmith and Fulham"}
    assert units["South West"] == {"Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth"}


def test_symmetric_connected_and_ordered(geo):
    n = len(geo.places)
    assert n == 33
    assert nx.is_connected(geo.graph)
    assert (geo.distance == geo.distance.T).all()
    assert (geo.distance >= 0).all()
    assert (np.diag(geo.distance) == 0).all()
    assert (geo.similarity == geo.similarity.T).all()
    assert (np.diag(geo.similarity) == 1).all()
    assert geo.distance.dtype == np.int16
    values = [geo.scores[r] for r in BoroughRelation.ORDER]
    assert values == sorted(values, reverse=True)
    assert all(0 <= v <= 1 for v in values)
    # Every matrix entry is the score of the relation the API reports.
    for a, b in itertools.combinations(geo.places, 2):
        assert geo.similarity[geo.index[a], geo.index[b]] == geo.scores[geo.relation(a, b)]


def test_pairs_more_than_two_borders_apart(geo):
    far = [p for p in itertools.combinations(geo.places, 2) if geo.steps(*p) > 2]
    assert len(list(itertools.combinations(geo.places, 2))) == 528
    # 354 of the 496 borough pairs were more than two land borders apart without the river and the City.
    assert len(far) == 313


def test_max_borough_steps_no_longer_rules_out_the_river():
    problem = Problem(
        mentors=[Mentor(id="A", focus_areas=["knife crime"], boroughs=["Westminster"])],
        mentees=[Mentee(id="X", focus_areas=["knife crime"], boroughs=["Lambeth"])],
        weights=Weights(focus=0.5, borough=0.5, availability=0),
        rules=Rules(max_borough_steps=1),
    )
    result = pairmatch.solve(problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("A", "X")]
    assert result.pairs[0].components["borough"] == 0.5


def test_relation_scores_are_parameters():
    geo = Geography([("A", "B")], river_borders=[("B", "C")], across_river=0.3, same_unit=0.3)
    assert geo.score("B", "C") == 0.3
    assert geo.scores == {
        "same borough": 1.0,
        "adjacent": 0.6,
        "across the river": 0.3,
        "same BCU": 0.3,
        "two boroughs apart": 0.2,
        "far apart": 0.0,
    }
    with pytest.raises(ValueError, match="across_river"):
        Geography([("A", "B")], across_river=0.7)  # stronger than a land border
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        Geography([("A", "B")], far=-0.1)


def test_a_land_border_beats_the_river_and_the_unit():
    geo = Geography([("A", "B")], {"U": ["A", "B", "C"]}, river_borders=[("A", "B"), ("B", "C")])
    assert geo.relation("A", "B") == BoroughRelation.ADJACENT
    assert geo.relation("B", "C") == BoroughRelation.ACROSS_RIVER
    assert geo.relation("A", "C") == BoroughRelation.SAME_UNIT


# --------------------------------------------------------------------------- names

ALIASES = {
    "Barking": "Barking and Dagenham",
    "Dagenham": "Barking and Dagenham",
    "Barking & Dagenham": "Barking and Dagenham",
    "LB Barking and Dagenham": "Barking and Dagenham",
    "Kingston": "Kingston upon Thames",
    "Kingston-upon-Thames": "Kingston upon Thames",
    "RB Kingston": "Kingston upon Thames",
    "Royal Borough of Kingston upon Thames": "Kingston upon Thames",
    "Richmond": "Richmond upon Thames",
    "Richmond-upon-Thames": "Richmond upon Thames",
    "London Borough of Richmond upon Thames": "Richmond upon Thames",
    "City of Westminster": "Westminster",
    "Westminster City Council": "Westminster",
    "Hammersmith": "Hammersmith and Fulham",
    "Fulham": "Hammersmith and Fulham",
    "Hammersmith & Fulham": "Hammersmith and Fulham",
    "LBHF": "Hammersmith and Fulham",
    "Kensington": "Kensington and Chelsea",
    "Chelsea": "Kensington and Chelsea",
    "Royal Borough of Kensington & Chelsea": "Kensington and Chelsea",
    "RBKC": "Kensington and Chelsea",
    "LB Newham": "Newham",
    "London Borough of Newham": "Newham",
    "Newham Council": "Newham",
    "Royal Borough of Greenwich": "Greenwich",
    "RB Greenwich": "Greenwich",
    "The City": "City of London",
    "the city": "City of London",
    "Square Mile": "City of London",
    "City of London": "City of London",
    "City": "City of London",
    "Tower Hamlets": "Tower Hamlets",
    "Tower-Hamlets": "Tower Hamlets",
    "TowerHamlets": "Tower Hamlets",
    "tower  hamlets": "Tower Hamlets",
    "London Borough of Tower Hamlets": "Tower Hamlets",
    "Waltham-Forest": "Waltham Forest",
    "Atlantis": None,
    "Barkingside": None,
}


@pytest.mark.parametrize(("name", "place"), ALIASES.items())
def test_everyday_names_resolve(geo, name, place):
    assert geo.canonical(name) == place
    assert (name in geo) == (place is not None)


def test_every_alias_in_the_table_resolves(geo):
    raw = json.loads(resources.files("pairmatch.datasets").joinpath("london.json").read_text("utf-8"))
    assert len(raw["aliases"]) >= 25
    for alias, place in raw["aliases"].items():
        assert geo.canonical(alias) == place, alias
        assert geo.canonical(alias.upper()) == place, alias
        assert geo.suggest(alias) == place, alias
        assert place in geo.places


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Barking", "Barking and Dagenham"),
        ("Kingston", "Kingston upon Thames"),
        ("Richmond", "Richmond upon Thames"),
        ("City of London", "City of London"),
        ("Newhm", "Newham"),
        ("Hackny", "Hackney"),
        ("Kingstn", "Kingston upon Thames"),
        ("Barkin", "Barking and Dagenham"),
        ("Richm", "Richmond upon Thames"),
        ("Tower Hamlet", "Tower Hamlets"),
        ("Waltham", "Waltham Forest"),
        ("Kensingtn", "Kensington and Chelsea"),
        ("Lambet", "Lambeth"),
    ],
)
def test_suggestions(geo, typed, meant):
    assert geo.suggest(typed) == meant


def test_suggestions_prefer_words_over_characters_without_aliases():
    # A geography with official names only: a word of a name beats a similar-looking name.
    geo = Geography(
        [
            ("Barking and Dagenham", "Havering"),
            ("Islington", "Kingston upon Thames"),
            ("Richmond upon Thames", "Kingston upon Thames"),
        ]
    )
    assert geo.canonical("Barking") is None
    assert geo.suggest("Barking") == "Barking and Dagenham"
    assert geo.suggest("Kingston") == "Kingston upon Thames"
    assert geo.suggest("Richmond") == "Richmond upon Thames"
    assert geo.suggest("Zzzz") is None


def test_unknown_place_messages_suggest_a_name(geo):
    with pytest.raises(KeyError, match="did you mean 'Newham'"):
        geo.relation("Newhm", "Brent")
    with pytest.raises(ValueError, match="did you mean 'Newham'"):
        Problem(mentors=[Mentor(id="A", boroughs=["Newhm"])], mentees=[Mentee(id="X")])


def test_people_canonicalise_everyday_names():
    mentor = Mentor(id="A", boroughs=["Kingston", "The City", "LB Newham"])
    problem = Problem(mentors=[mentor], mentees=[Mentee(id="X", boroughs=["Square Mile"])])
    assert problem.mentors[0].boroughs == ("Kingston upon Thames", "City of London", "Newham")
    assert problem.mentees[0].boroughs == ("City of London",)


def test_normalize_place():
    assert normalize_place("Barking & Dagenham") == "barking and dagenham"
    assert normalize_place("Richmond-upon-Thames") == "richmond upon thames"
    assert normalize_place("King\u2019s  Cross") == "kings cross"


# --------------------------------------------------------------------------- words and files


def test_describe_states_the_assumptions(geo):
    words = geo.describe()
    assert {
        "places",
        "adjacent",
        "across the river",
        "BCU",
        "relation scores",
        "everyday names",
        "source",
        "as of",
    } <= set(words)
    assert all(isinstance(v, str) and v for v in words.values())
    assert "2018-2019" in words["BCU"]
    assert "2018-2019" in words["as of"]
    assert "City of London Police" in words["places"]
    assert "16 river borders" in words["across the river"]
    assert (
        "strongest first: same borough 1, adjacent 0.6, across the river 0.5, same BCU 0.5, "
        "two boroughs apart 0.2, far apart 0;" in words["relation scores"]
    )


def test_round_trip(geo, tmp_path):
    data = geo.to_dict()
    again = Geography.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert again.places == geo.places
    assert (again.distance == geo.distance).all()
    assert (again.similarity == geo.similarity).all()
    assert again.unit_of == geo.unit_of
    assert again.aliases == geo.aliases
    path = tmp_path / "london.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Geography.from_file(path).to_dict() == data


def test_another_force_brings_its_own():
    data = {
        "name": "Greater Manchester (example)",
        "unit_name": "district",
        "places": ["Manchester", "Salford", "Trafford", "Stockport"],
        "units": {"City": ["Manchester", "Salford"], "South": ["Trafford", "Stockport"]},
        "borders": [["Manchester", "Trafford"], ["Manchester", "Stockport"]],
        "river_borders": [["Manchester", "Salford"], ["Salford", "Trafford"]],
        "aliases": {"Manc": "Manchester"},
        "prefixes": ["city of", "metropolitan borough of"],
        "scores": {"across_river": 0.55},
    }
    geo = Geography.from_dict(data)
    assert geo.unit_name == "district"
    assert geo.canonical("Metropolitan Borough of Stockport") == "Stockport"
    assert geo.canonical("City of Manchester") == geo.canonical("manc") == "Manchester"
    assert geo.relation("Salford", "Manchester") == BoroughRelation.ACROSS_RIVER
    assert geo.score("Salford", "Manchester") == 0.55
    assert geo.steps("Salford", "Stockport") == 2
    assert geo.describe()["places"] == "4 places, 2 districts; each in one district"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"borders": [["Newham", "Newhm"]]}, r"borders\[0\]\[1\]: 'Newhm' is not listed .* did you mean 'Newham'"),
        ({"borders": [["Newham", "Newham"]]}, r"borders\[0\]: a border needs two different places"),
        ({"borders": [["Newham", "Brent"], ["Brent", "Newham"]]}, r"borders\[1\]: .* repeats borders\[0\]"),
        ({"borders": [["Newham"]]}, r"borders\[0\]\[1\]: Field required"),
        ({"river_borders": "Newham-Greenwich"}, r"river_borders: Input should be a valid list"),
        ({"units": {"East": ["Newham"], "North East": ["Newham"]}}, r"units\.North East\[0\]: 'Newham' is already in"),
        ({"units": {"East": ["Atlantis"]}}, r"units\.East\[0\]: 'Atlantis' is not in 'places'"),
        ({"aliases": {"Kingston": "Kingston-on-Sea"}}, r"aliases\.Kingston: 'Kingston-on-Sea' is not listed"),
        ({"aliases": {"NEWHAM": "Brent"}}, r"aliases\.NEWHAM: alias 'NEWHAM' for 'Brent' already means 'Newham'"),
        ({"notes": {"Atlantis": "sunk"}}, r"notes\.Atlantis"),
        ({"scores": {"across_river": 0.9}}, r"scores: scores must not increase .*across_river \(0.9\)"),
        ({"scores": {"river": 0.5}}, r"scores\.river: unknown relation \(known: same, adjacent, across_river"),
        ({"scores": {"near": "high"}}, r"scores\.near: Input should be a valid number"),
        ({"scores": {"near": 1.5}}, r"scores\.near: expected a number in \[0, 1\], got 1.5"),
        ({"bcus": {}}, r"bcus: unknown key \(known: name, description"),
        ({"unit_name": 12}, r"unit_name: Input should be a valid string"),
    ],
)
def test_bad_geography_documents_say_where(change, message):
    data = {
        "places": ["Newham", "Brent", "Greenwich"],
        "borders": [["Newham", "Brent"]],
        "units": {"East": ["Newham"]},
        **change,
    }
    with pytest.raises(ValueError, match=message):
        Geography.from_dict(data, source="force.json")
    with pytest.raises(ValueError, match=r"^force\.json: "):
        Geography.from_dict(data, source="force.json")


def test_bad_geography_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"borders": [["A", "B"],]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json: not valid JSON \(line 1"):
        Geography.from_file(path)
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: expected a JSON object"):
        Geography.from_file(path)


def test_constructor_arguments_still_work():
    geo = Geography([("A", "B"), ("B", "C")], {"U": ["A", "B"]}, places=["D"], unit_name="sector")
    assert geo.places == ("A", "B", "C", "D")
    assert geo.distance[geo.index["A"], geo.index["D"]] == -1
    assert geo.relation("A", "D") == BoroughRelation.FAR
    assert geo.unit_name == "sector"
    assert geo.unit_of == {"A": "U", "B": "U"}

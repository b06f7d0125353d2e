"""Everyday London place names, BCU names and codes, London-wide roles and river crossings.

Each name is checked against its expected outcome: resolved to one borough,
an error listing the boroughs it spans, or no match (never a guess).
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from pairmatch.datasets import london
from pairmatch.geography import BoroughRelation, Geography

# Everyday names (towns, districts, neighbourhoods, stations, postcodes) -> the one borough meant.
RESOLVED = {
    # The names the first users wrote and were sent to the wrong borough, or nowhere.
    "Heathrow": "Hillingdon",
    "Brixton": "Lambeth",
    "Peckham": "Southwark",
    "Wembley": "Brent",
    "Uxbridge": "Hillingdon",
    "Brentford": "Hounslow",
    "Southall": "Ealing",
    "Upminster": "Havering",
    "East Ham": "Newham",
    "Surbiton": "Kingston upon Thames",
    "Morden": "Merton",
    "Orpington": "Bromley",
    "Stratford": "Newham",
    "Romford": "Havering",
    "Tottenham": "Haringey",
    "Ilford": "Redbridge",
    "Woolwich": "Greenwich",
    # Town centres and districts, any case and punctuation.
    "croydon": "Croydon",
    "BROMLEY": "Bromley",
    "Walthamstow": "Waltham Forest",
    "Leyton": "Waltham Forest",
    "Leytonstone": "Waltham Forest",
    "Chingford": "Waltham Forest",
    "Hackney Wick": "Hackney",
    "Dalston": "Hackney",
    "Shoreditch": "Hackney",
    "Hoxton": "Hackney",
    "Stoke Newington": "Hackney",
    "Bethnal Green": "Tower Hamlets",
    "Whitechapel": "Tower Hamlets",
    "Canary Wharf": "Tower Hamlets",
    "Isle of Dogs": "Tower Hamlets",
    "Poplar": "Tower Hamlets",
    "Bow": "Tower Hamlets",
    "Mile End": "Tower Hamlets",
    "Wapping": "Tower Hamlets",
    "Limehouse": "Tower Hamlets",
    "Canning Town": "Newham",
    "Forest Gate": "Newham",
    "Beckton": "Newham",
    "West Ham": "Newham",
    "Upton Park": "Newham",
    "Silvertown": "Newham",
    "Manor Park": "Newham",
    "Barkingside": "Redbridge",
    "Wanstead": "Redbridge",
    "Woodford": "Redbridge",
    "Gants Hill": "Redbridge",
    "Seven Kings": "Redbridge",
    "Hornchurch": "Havering",
    "Rainham": "Havering",
    "Harold Hill": "Havering",
    "Collier Row": "Havering",
    "Becontree": "Barking and Dagenham",
    "Eltham": "Greenwich",
    "Plumstead": "Greenwich",
    "Charlton": "Greenwich",
    "Kidbrooke": "Greenwich",
    "Bexleyheath": "Bexley",
    "Sidcup": "Bexley",
    "Erith": "Bexley",
    "Welling": "Bexley",
    "Crayford": "Bexley",
    "Catford": "Lewisham",
    "Brockley": "Lewisham",
    "Forest Hill": "Lewisham",
    "New Cross": "Lewisham",
    "Lee": "Lewisham",
    "Hither Green": "Lewisham",
    "Beckenham": "Bromley",
    "Penge": "Bromley",
    "Chislehurst": "Bromley",
    "Biggin Hill": "Bromley",
    "West Wickham": "Bromley",
    "Purley": "Croydon",
    "Thornton Heath": "Croydon",
    "Coulsdon": "Croydon",
    "New Addington": "Croydon",
    "South Norwood": "Croydon",
    "Cheam": "Sutton",
    "Carshalton": "Sutton",
    "Wallington": "Sutton",
    "New Malden": "Kingston upon Thames",
    "Chessington": "Kingston upon Thames",
    "Tolworth": "Kingston upon Thames",
    "Wimbledon": "Merton",
    "Mitcham": "Merton",
    "Colliers Wood": "Merton",
    "Raynes Park": "Merton",
    "Twickenham": "Richmond upon Thames",
    "Teddington": "Richmond upon Thames",
    "Kew": "Richmond upon Thames",
    "Barnes": "Richmond upon Thames",
    "Hampton": "Richmond upon Thames",
    "Putney": "Wandsworth",
    "Tooting": "Wandsworth",
    "Balham": "Wandsworth",
    "Battersea": "Wandsworth",
    "Earlsfield": "Wandsworth",
    "Roehampton": "Wandsworth",
    "Stockwell": "Lambeth",
    "Vauxhall": "Lambeth",
    "Streatham": "Lambeth",
    "Waterloo": "Lambeth",
    "West Norwood": "Lambeth",
    "Camberwell": "Southwark",
    "Bermondsey": "Southwark",
    "Rotherhithe": "Southwark",
    "Walworth": "Southwark",
    "Elephant and Castle": "Southwark",
    "Elephant & Castle": "Southwark",
    "East Dulwich": "Southwark",
    "Soho": "Westminster",
    "Mayfair": "Westminster",
    "Marylebone": "Westminster",
    "Paddington": "Westminster",
    "Pimlico": "Westminster",
    "Victoria": "Westminster",
    "Covent Garden": "Westminster",
    "St John's Wood": "Westminster",
    "St Johns Wood": "Westminster",
    "Notting Hill": "Kensington and Chelsea",
    "South Kensington": "Kensington and Chelsea",
    "Earl's Court": "Kensington and Chelsea",
    "Earls Court": "Kensington and Chelsea",
    "Shepherd's Bush": "Hammersmith and Fulham",
    "Shepherds Bush": "Hammersmith and Fulham",
    "White City": "Hammersmith and Fulham",
    "Camden Town": "Camden",
    "Hampstead": "Camden",
    "Kentish Town": "Camden",
    "Holborn": "Camden",
    "Bloomsbury": "Camden",
    "Euston": "Camden",
    "Islington": "Islington",
    "Angel": "Islington",
    "Holloway": "Islington",
    "Highbury": "Islington",
    "Archway": "Islington",
    "Clerkenwell": "Islington",
    "Wood Green": "Haringey",
    "Hornsey": "Haringey",
    "Crouch End": "Haringey",
    "Muswell Hill": "Haringey",
    "Edmonton": "Enfield",
    "Southgate": "Enfield",
    "Palmers Green": "Enfield",
    "Enfield Town": "Enfield",
    "Finchley": "Barnet",
    "Hendon": "Barnet",
    "Golders Green": "Barnet",
    "Mill Hill": "Barnet",
    "Colindale": "Barnet",
    "High Barnet": "Barnet",
    "Willesden": "Brent",
    "Harlesden": "Brent",
    "Neasden": "Brent",
    "Kingsbury": "Brent",
    "Pinner": "Harrow",
    "Stanmore": "Harrow",
    "Wealdstone": "Harrow",
    "Harrow on the Hill": "Harrow",
    "Acton Green": "Ealing",
    "Greenford": "Ealing",
    "Hanwell": "Ealing",
    "Northolt": "Ealing",
    "Hayes Town".replace(" Town", " End") if False else "West Drayton": "Hillingdon",
    "Ruislip": "Hillingdon",
    "Northwood": "Hillingdon",
    "Feltham": "Hounslow",
    "Chiswick": "Hounslow",
    "Isleworth": "Hounslow",
    "Aldgate": "City of London",
    "Barbican": "City of London",
    # Outward postcodes the source puts in one borough, written any way, alone or in a full postcode.
    "SE4": "Lewisham",
    "se6": "Lewisham",
    "N17": "Haringey",
    "N17 0AB": "Haringey",
    "W12": "Hammersmith and Fulham",
    "WC2N": "Westminster",
    # Roles across London.
    "London-wide": "London-wide",
    "Met-wide": "London-wide",
    "all boroughs": "London-wide",
    "London": "London-wide",
    "pan-London": "London-wide",
}

# Names a source puts in several boroughs: an error listing them, never a silent pick.
SPANNING = {
    "Crystal Palace": ("Bromley", "Croydon", "Lambeth", "Lewisham", "Southwark"),
    "Cricklewood": ("Barnet", "Brent", "Camden"),
    "Highgate": ("Camden", "Haringey", "Islington"),
    "Kilburn": ("Brent", "Camden"),
    "King's Cross": ("Camden", "Islington"),
    "Finsbury Park": ("Hackney", "Haringey", "Islington"),
    "Clapham": ("Lambeth", "Wandsworth"),
    "Herne Hill": ("Lambeth", "Southwark"),
    "Blackheath": ("Greenwich", "Lewisham"),
    "Deptford": ("Greenwich", "Lewisham"),
    "Thamesmead": ("Bexley", "Greenwich"),
    "Abbey Wood": ("Bexley", "Greenwich"),
    "Knightsbridge": ("Kensington and Chelsea", "Westminster"),
    "Fitzrovia": ("Camden", "Westminster"),
    "Edgware": ("Barnet", "Harrow"),
    "Acton": ("Ealing", "Hammersmith and Fulham"),
    "Hayes": ("Bromley", "Hillingdon"),  # two different places of one name
    "Plaistow": ("Bromley", "Newham"),
    "Belmont": ("Harrow", "Sutton"),
    "SE1": ("City of London", "Lambeth", "Southwark"),
    "N1": ("Camden", "Hackney", "Islington"),
}

# Misspellings -> the known name suggested (with its borough), or nothing.
SUGGESTED = {
    "Peckam": ("Peckham", "Southwark"),
    "Brixtn": ("Brixton", "Lambeth"),
    "Wembly": ("Wembley", "Brent"),
    "Walthamstowe": ("Walthamstow", "Waltham Forest"),
    "Hounslo": ("Hounslow", "Hounslow"),
    "Newhm": ("Newham", "Newham"),
    "Stratfrod": ("Stratford", "Newham"),
    "Tottenam": ("Tottenham", "Haringey"),
    "Romferd": ("Romford", "Havering"),
    "Lewisam": ("Lewisham", "Lewisham"),
}
NO_MATCH = ["Nowhere", "Narnia", "Atlantis", "Manchester", "Gotham", "xyz", "Zzzz", "E99", "Paris", "Kent"]


@pytest.fixture(scope="module")
def geo() -> Geography:
    return london()


def test_at_least_150_everyday_names_are_checked():
    assert len(RESOLVED) + len(SPANNING) + len(SUGGESTED) + len(NO_MATCH) >= 150


@pytest.mark.parametrize(("name", "place"), RESOLVED.items())
def test_everyday_names_resolve_to_their_borough(geo, name, place):
    match = geo.resolve(name)
    assert match.places == (place,), match
    assert geo.canonical(name) == place
    if match.kind in ("locality", "postcode"):
        assert match.note == f"{name.strip()} -> {place}"
        assert match.label == f"{name.strip()} ({place})"


@pytest.mark.parametrize(("name", "places"), SPANNING.items())
def test_names_spanning_boroughs_list_them(geo, name, places):
    match = geo.resolve(name)
    assert match.ambiguous
    assert match.places == places
    assert geo.canonical(name) is None
    assert geo.suggest(name) is None  # no single borough is offered for a name that spans several


@pytest.mark.parametrize(("typed", "meant"), SUGGESTED.items())
def test_misspellings_suggest_the_name_and_its_borough(geo, typed, meant):
    assert geo.canonical(typed) is None
    hint = geo.suggestion(typed)
    assert hint is not None
    assert (hint.name, hint.place) == meant


@pytest.mark.parametrize("typed", NO_MATCH)
def test_no_match_rather_than_a_guess(geo, typed):
    assert geo.canonical(typed) is None
    assert geo.suggestion(typed) is None
    assert geo.suggest(typed) is None


def test_towns_are_never_sent_to_a_borough_that_only_looks_alike(geo):
    # Each of these once got a confident wrong borough from letters alone.
    wrong = {
        "Heathrow": "Harrow",
        "Brixton": "Merton",
        "Peckham": "Newham",
        "Wembley": "Bexley",
        "Uxbridge": "Redbridge",
        "Brentford": "Brent",
        "Southall": "Southwark",
        "Upminster": "Westminster",
        "East Ham": "Lewisham",
        "Surbiton": "Sutton",
        "Morden": "Camden",
        "Orpington": "Kingston upon Thames",
    }
    for town, lookalike in wrong.items():
        assert geo.suggest(town) == RESOLVED[town] != lookalike


def test_every_gazetteer_entry_names_known_boroughs_and_the_file_cites_its_sources(geo):
    raw = json.loads(resources.files("pairmatch.datasets").joinpath("london_places.json").read_text("utf-8"))
    assert sum(len(g.get("places", {})) for g in raw) >= 300
    for gazetteer in raw:
        assert gazetteer["source"]
        assert "CC BY-SA" in gazetteer["licence"]
        assert "2026" in gazetteer["retrieved"]
        for key in ("places", "postcodes"):
            for name, boroughs in gazetteer.get(key, {}).items():
                assert boroughs, name
                assert set(boroughs) <= set(geo.territory), name
                assert geo.resolve(name).places == tuple(boroughs), name


# --------------------------------------------------------------------------- units

UNITS = {
    "North Area": "North Area",
    "north area": "North Area",
    "NORTH AREA BCU": "North Area",
    "North Area Basic Command Unit": "North Area",
    "North": "North Area",
    "NA": "North Area",
    "na": "North Area",
    "East": "East Area",
    "EA": "East Area",
    "South": "South Area",
    "SN": "South Area",
    "West": "West Area",
    "AW": "West Area",
    "Central West": "Central West",
    "central west": "Central West",
    "CW": "Central West",
    "Central North": "Central North",
    "CN": "Central North",
    "CE": "Central East",
    "AS": "Central South",
    "Central South BCU": "Central South",
    "NW": "North West",
    "NE": "North East",
    "SE": "South East",
    "SW": "South West",
    "South West BCU": "South West",
    "Nowhere": None,
    "Central": None,
}


@pytest.mark.parametrize(("name", "unit"), UNITS.items())
def test_units_by_official_name_short_form_or_code_in_any_case(geo, name, unit):
    assert geo.unit(name) == unit


def test_units_are_shown_in_their_official_form(geo):
    assert sorted(set(geo.unit_of.values())) == [
        "Central East",
        "Central North",
        "Central South",
        "Central West",
        "East Area",
        "North Area",
        "North East",
        "North West",
        "South Area",
        "South East",
        "South West",
        "West Area",
    ]
    assert geo.suggest_unit("Nort Area") == "North Area"
    assert geo.suggest_unit("Nowhere") is None


# --------------------------------------------------------------------------- London-wide and crossings


def test_a_london_wide_role_scores_its_own_value_with_every_place(geo):
    assert geo.whole_area == "London-wide"
    assert "London-wide" in geo.places
    assert "London-wide" not in geo.territory
    for place in geo.places:
        assert geo.score("London-wide", place) == geo.score(place, "Met-wide") == 0.3
        assert geo.relation("London-wide", place) == BoroughRelation.WHOLE_AREA
        assert geo.steps("all boroughs", place) == 0
    assert 0 < geo.scores[BoroughRelation.WHOLE_AREA] < 1
    assert geo.canonical("City of London") == "City of London"
    assert geo.canonical("London") == "London-wide"


def test_river_borders_with_and_without_a_crossing(geo):
    assert geo.score("Westminster", "Lambeth") == 0.5
    assert geo.crossing_names("Westminster", "Lambeth") == (
        "Westminster Bridge",
        "Lambeth Bridge",
        "Vauxhall Bridge",
        "Waterloo Bridge",
        "Hungerford Bridge",
    )
    for a, b in [
        ("Havering", "Bexley"),
        ("Barking and Dagenham", "Bexley"),
        ("Barking and Dagenham", "Greenwich"),
        ("Lewisham", "Tower Hamlets"),
    ]:
        assert geo.relation(a, b) == BoroughRelation.RIVER_NO_CROSSING
        assert geo.score(a, b) == 0.2 <= geo.score("Havering", "Newham")
    assert (
        geo.pair_text("Tower Hamlets", "Greenwich") == "across the river (Blackwall Tunnel and Greenwich foot tunnel)"
    )


def test_the_crossing_score_is_a_parameter():
    geo = Geography.from_dict(
        {
            "places": ["A", "B", "C"],
            "river_borders": [["A", "B"], ["B", "C"]],
            "crossings": [{"a": "A", "b": "B", "crossings": ["Old Bridge"]}, {"a": "C", "b": "B"}],
            "scores": {"across_river_no_crossing": 0.3},
        }
    )
    assert geo.score("A", "B") == 0.5
    assert geo.pair_text("A", "B") == "across the river (Old Bridge)"
    assert geo.score("B", "C") == 0.3
    assert geo.relation("B", "C") == BoroughRelation.RIVER_NO_CROSSING


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"crossings": [{"a": "A", "b": "C"}]}, r"crossings\[0\]: 'A' - 'C' is not in 'river_borders'"),
        ({"unit_aliases": {"N": "Nowhere"}}, r"unit_aliases\.N: 'Nowhere' is not a unit"),
        (
            {"gazetteer": [{"source": "s", "licence": "l", "retrieved": "r", "places": {"Town": ["Atlantis"]}}]},
            r"gazetteer\[0\]\.places\.Town: 'Atlantis' is not listed",
        ),
        (
            {"gazetteer": [{"source": "s", "licence": "l", "retrieved": "r", "places": {"a": ["B"]}}]},
            r"gazetteer\[0\]\.places\.a: 'a' already means 'A'",
        ),
        ({"whole_area": {"name": "Everywhere", "aliases": ["b"]}}, r"whole_area\.aliases\[0\]: 'b' already means"),
        ({"scores": {"whole_area": 0.3}}, r"scores\.whole_area: a score for a whole-area role needs"),
        ({"whole_area": {"name": "Everywhere"}, "scores": {"whole_area": 1}}, r"between 0 and 1 \(exclusive\)"),
    ],
)
def test_bad_name_tables_say_where(change, message):
    data = {"places": ["A", "B", "C"], "river_borders": [["A", "B"]], "units": {"U": ["A", "B", "C"]}, **change}
    with pytest.raises(ValueError, match=message):
        Geography.from_dict(data, source="force.json")


def test_the_london_document_round_trips_with_its_names_and_crossings(geo):
    again = Geography.from_dict(json.loads(json.dumps(geo.to_dict())))
    assert again.to_dict() == geo.to_dict()
    assert again.resolve("Stratford").place == "Newham"
    assert again.unit("NA") == "North Area"
    assert again.crossings == geo.crossings
    assert again.whole_area == "London-wide"
    assert (again.similarity == geo.similarity).all()

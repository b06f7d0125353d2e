"""Input validation: every bad input is rejected with a message naming who, which field and what value."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from pairmatch import Mentee, Mentor, Problem, Rules, SolveParams, Weights
from pairmatch.availability import format_slots, normalize_windows, parse_window, window_slots

from strategies import window_lists


def person(pid: str, **fields) -> dict:
    return {"id": pid, **fields}


def problem_data(side: str, bad: dict) -> dict:
    """A one-mentor, one-mentee problem as a coordinator's file would give it, with one bad person."""
    data = {"mentors": [person("M-ok")], "mentees": [person("E-ok")]}
    data[side].append(bad)
    return data


def validation_message(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(data)
    return str(info.value)


def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} missing from error message:\n{message}"


# --- ids ---------------------------------------------------------------------------------------


def test_duplicate_id_within_a_side():
    message = validation_message({"mentors": [person("Ayo"), person("Ayo")], "mentees": [person("E1")]})
    assert_names(message, "'Ayo'", "id", "2 times")


def test_duplicate_id_across_sides():
    message = validation_message({"mentors": [person("P7")], "mentees": [person("P7")]})
    assert_names(message, "'P7'", "id", "unique")


def test_empty_id_rejected():
    with pytest.raises(ValidationError):
        Mentor(id="")


# --- unknown names with suggestions ------------------------------------------------------------


@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_unknown_borough_suggests_the_closest(side):
    message = validation_message(problem_data(side, person("Zara", boroughs=["Newhm"])))
    assert_names(message, "'Zara'", "boroughs", "'Newhm'", "did you mean 'Newham'")


@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_unknown_focus_area_suggests_the_closest(side):
    message = validation_message(problem_data(side, person("Kai", focus_areas=["knif crime"])))
    assert_names(message, "'Kai'", "focus_areas", "'knif crime'", "did you mean 'knife crime'")


def test_unknown_borough_far_from_any_name_has_no_suggestion():
    message = validation_message(problem_data("mentors", person("Q", boroughs=["Atlantis"])))
    assert_names(message, "'Q'", "boroughs", "'Atlantis'")
    assert "did you mean" not in message


def test_borough_and_topic_spellings_are_canonicalised():
    # A person keeps what was written (tidied); the problem resolves it against its own vocabularies.
    mentor = Mentor(
        id="A",
        boroughs=["barking & dagenham", "TOWER  hamlets"],
        focus_areas=["Violence Against Women & Girls", "knife crime", "Knife Crime"],
    )
    assert mentor.boroughs == ("barking & dagenham", "TOWER hamlets")
    assert mentor.focus_areas == ("violence against women and girls", "knife crime")
    problem = Problem(mentors=[mentor], mentees=[])
    assert problem.mentors[0].boroughs == ("Barking and Dagenham", "Tower Hamlets")


def test_unknown_ids_in_rules_rejected():
    message = validation_message(
        {"mentors": [person("A")], "mentees": [person("X")], "rules": {"forbidden_pairs": [["A", "Nobody"]]}}
    )
    assert_names(message, "forbidden_pairs", "'Nobody'")


# --- availability ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [
        "Mon 25:00-26:00",  # not a time of day
        "Funday 10:00-11:00",  # not a day
        "Mon 10:15-11:00",  # off the half-hour grid
        "Mon 12:00-11:00",  # ends before it starts
        "Mon 10:00-10:00",  # empty
        "Monday at ten",  # not a window at all
    ],
)
@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_malformed_availability_names_person_field_and_value(side, window):
    message = validation_message(problem_data(side, person("Rhea", availability=["Sat 10:00-12:00", window])))
    assert_names(message, "Rhea", "availability", window)


@pytest.mark.parametrize(
    ("window", "reason"),
    [
        ("Mon 25:00-26:00", "not a time of day"),
        ("Funday 10:00-11:00", "unknown day"),
        ("Mon 10:15-11:00", "30-minute grid"),
        ("Mon 12:00-11:00", "ends before it starts"),
    ],
)
def test_malformed_availability_says_what_is_wrong(window, reason):
    with pytest.raises(ValueError, match=reason):
        parse_window(window)


# --- capacities --------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_min_partners_above_max_partners(side):
    message = validation_message(problem_data(side, person("Noor", min_partners=3, max_partners=2)))
    assert_names(message, "Noor", "min_partners", "3", "max_partners", "2")


@pytest.mark.parametrize("field", ["min_partners", "max_partners"])
@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_negative_capacity(side, field):
    message = validation_message(problem_data(side, person("Ola", **{field: -1})))
    assert_names(message, "Ola", field, "-1")


@pytest.mark.parametrize("side", ["mentors", "mentees"])
def test_unknown_field_rejected(side):
    message = validation_message(problem_data(side, person("Tam", favourite_colour="teal")))
    assert_names(message, "Tam", "favourite_colour", "teal")


def test_unknown_field_rejected_on_every_model():
    for model, kwargs in [(Mentor, {"id": "A"}), (Mentee, {"id": "A"}), (Rules, {}), (Weights, {}), (SolveParams, {})]:
        with pytest.raises(ValidationError, match="extra"):
            model(**kwargs, unexpected=1)
    with pytest.raises(ValidationError, match="extra"):
        Problem(mentors=[], mentees=[], unexpected=1)


@pytest.mark.parametrize("weights", [{"focus": -0.1}, {"borough": float("nan")}, {"availability": float("inf")}])
def test_invalid_weights(weights):
    with pytest.raises(ValidationError):
        Weights(**weights)


def test_a_problem_needs_some_positive_weight():
    zero = Weights(focus=0, borough=0, availability=0)  # fine on its own: custom scores may carry the weight
    with pytest.raises(ValidationError, match="at least one weight"):
        Problem(mentors=[], mentees=[], weights=zero)


def test_meeting_minutes_must_be_on_the_grid():
    with pytest.raises(ValidationError, match="meeting_minutes"):
        Problem(mentors=[], mentees=[], meeting_minutes=45)


# --- immutability ------------------------------------------------------------------------------


def test_models_are_frozen():
    mentor = Mentor(id="A", focus_areas=["knife crime"])
    problem = Problem(mentors=[mentor], mentees=[Mentee(id="X")])
    with pytest.raises(ValidationError, match="frozen"):
        mentor.id = "B"
    with pytest.raises(ValidationError, match="frozen"):
        problem.mentors = ()
    with pytest.raises(ValidationError, match="frozen"):
        problem.weights.focus = 1.0
    with pytest.raises(ValidationError, match="frozen"):
        SolveParams().seed = 3
    # Collections are tuples, so they cannot be changed in place either.
    assert isinstance(problem.mentors, tuple)
    assert isinstance(mentor.focus_areas, tuple)
    assert problem.mentors[0].id == "A"


# --- availability parsing and formatting -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("Mon 00:00-00:30", (0, 1)),
        ("Mon 18:00-20:00", (36, 40)),
        ("Tue 09:00-10:30", (66, 69)),
        ("Sun 22:00-24:00", (332, 336)),
        ("sat 10-12", (5 * 48 + 20, 5 * 48 + 24)),
        ("Thursday 7:30-8:00", (3 * 48 + 15, 3 * 48 + 16)),
    ],
)
def test_parse_window(text, slots):
    assert parse_window(text) == slots


def test_format_slots_merges_and_splits_at_midnight():
    assert format_slots([36, 37, 38, 39, 335]) == ("Mon 18:00-20:00", "Sun 23:30-24:00")
    # Slots 47 and 48 are consecutive but on different days.
    assert format_slots([47, 48]) == ("Mon 23:30-24:00", "Tue 00:00-00:30")
    assert format_slots([]) == ()


def test_normalize_merges_overlapping_and_touching_windows():
    assert normalize_windows("Mon 18:00-19:00; Mon 18:30-20:00; Mon 20:00-20:30") == ("Mon 18:00-20:30",)
    assert Mentor(id="A", availability="Wed 10-11;Mon 9-10").availability == ("Mon 09:00-10:00", "Wed 10:00-11:00")


@settings(max_examples=200, deadline=None)
@given(windows=window_lists(max_size=6))
def test_formatting_round_trips(windows):
    slots = window_slots(windows)
    canonical = format_slots(slots)
    # Same slots, and formatting the canonical form again changes nothing.
    assert window_slots(canonical) == slots
    assert format_slots(window_slots(canonical)) == canonical
    assert normalize_windows(windows) == canonical
    assert sum(parse_window(w)[1] - parse_window(w)[0] for w in canonical) == len(slots)
    # Canonical windows are disjoint and in week order.
    ranges = [parse_window(w) for w in canonical]
    assert ranges == sorted(ranges)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges))


# --- invisible characters and one form per id ----------------------------------------------------

HIDDEN = ["\u200b", "\u200f", "\u202e", "\ufeff", "\u2060", "\u00ad"]


@pytest.mark.parametrize("ch", HIDDEN, ids=lambda ch: f"U+{ord(ch):04X}")
@pytest.mark.parametrize(
    "fields",
    [
        lambda ch: {"id": f"M1{ch}"},
        lambda ch: {"id": "M1", "name": f"Ann{ch}"},
        lambda ch: {"id": "M1", "focus_areas": [f"knife crime{ch}"]},
        lambda ch: {"id": "M1", "boroughs": [f"Newham{ch}"]},
        lambda ch: {"id": "M1", "attributes": {f"rank{ch}": "PC"}},
        lambda ch: {"id": "M1", "attributes": {"rank": f"PC{ch}"}},
    ],
    ids=["id", "name", "focus", "borough", "attribute-name", "attribute-value"],
)
def test_invisible_characters_are_refused_in_every_identifier_and_name(fields, ch):
    with pytest.raises(ValidationError) as info:
        Mentor(**fields(ch))
    message = str(info.value)
    assert f"U+{ord(ch):04X} {unicodedata.name(ch)}" in message
    assert ch not in message.split("[type=")[0]


def test_a_copy_of_an_id_with_a_hidden_character_is_not_a_second_person():
    with pytest.raises(ValidationError, match="ZERO WIDTH SPACE"):
        Problem(mentors=[Mentor(id="M1"), Mentor(id="M1\u200b")], mentees=[Mentee(id="O1")])


def test_ids_are_compared_in_one_unicode_form():
    composed, decomposed = "Jos\u00e9", "Jose\u0301"
    with pytest.raises(ValidationError, match="used 2 times"):
        Problem(mentors=[Mentor(id=composed)], mentees=[Mentee(id=decomposed)])
    problem = Problem(
        mentors=[Mentor(id=composed, attributes={"r\u00f4le": "a"})],
        mentees=[Mentee(id="O1"), Mentee(id="O2")],
        rules=Rules(forbidden_pairs=[(decomposed, "O1")], forbid_same=["ro\u0302le"]),
    )
    assert problem.rules.forbidden_pairs == ((composed, "O1"),)
    assert Mentor(id="M1", name="Ren\u00e9e\u00a0Smith").name == "Ren\u00e9e Smith"


@pytest.mark.parametrize("field", ["forbidden_pairs", "required_pairs"])
def test_rules_refuse_hidden_characters_in_the_ids_they_name(field):
    with pytest.raises(ValidationError, match="RIGHT-TO-LEFT MARK"):
        Rules(**{field: [("M1\u200f", "O1")]})


def test_quota_groups_and_custom_score_ids_refuse_hidden_characters():
    from pairmatch import CustomScore, Quota

    with pytest.raises(ValidationError, match="ZERO WIDTH SPACE"):
        Quota(side="mentor", key="rank", value="PC\u200b", max_pairs=1)
    with pytest.raises(ValidationError, match="ZERO WIDTH SPACE"):
        CustomScore(name="survey", entries=[("M1\u200b", "O1", 0.5)])

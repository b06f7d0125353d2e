"""The geography document, `GeographySpec`: the only definition of a geography's JSON.

Places and their borders, the policing units and every name people use for
them: official names, aliases, the units' short forms and codes, a cited
gazetteer of towns and neighbourhoods and outward postcodes, and an optional
whole-area entry for roles that cover every place ("London-wide").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from .vocabulary_documents import (
    CLOSED,
    LocatedErrors,
    Name,
    Score,
    closest,
    normalize_place,
    validate_every_problem,
)

__all__ = ["RELATION_SCORES", "CrossingSpec", "GazetteerSpec", "GeographySpec", "WholeAreaSpec"]

RELATION_SCORES = {
    "same": 1.0,
    "adjacent": 0.6,
    "across_river": 0.5,
    "same_unit": 0.5,
    "across_river_no_crossing": 0.2,
    "near": 0.2,
    "far": 0.0,
}
"""Each relation's score parameter and default, strongest first (scores never increase along it)."""

WHOLE_AREA_SCORE = 0.3
"""Default score of a whole-area role ("London-wide") with any place: between far (0) and same (1)."""


class GazetteerSpec(BaseModel):
    """Everyday names of localities (towns, districts, neighbourhoods) and outward postcodes,
    each with the place or places it lies in, and where that comes from.

    A name in one place resolves to it; a name spanning places is an error
    listing them, so nobody is silently put in the wrong one.
    """

    model_config = CLOSED
    source: Name = Field(description="where the names and their places come from")
    licence: Name = Field(description="the licence of the source")
    retrieved: Name = Field(description="when the source was read")
    places: dict[Name, list[Name]] = Field({}, description="locality -> the place(s) it lies in")
    postcodes: dict[Name, list[Name]] = Field({}, description="outward postcode (E15) -> the place(s) it covers")


class CrossingSpec(BaseModel):
    """The direct crossings (bridges, tunnels, ferries) of one river border; none listed: no direct crossing."""

    model_config = CLOSED
    a: Name
    b: Name
    crossings: list[Name] = []


class WholeAreaSpec(BaseModel):
    """A value for roles that cover every place ("London-wide"), with the other ways people write it.

    It is a place-like entry of its own: it scores ``scores.whole_area``
    with every place (and with itself), and is within any step limit.
    """

    model_config = CLOSED
    name: Name
    aliases: list[Name] = []
    description: Name | None = None


class GeographySpec(BaseModel):
    """Places, their borders and policing units (see the geography and topics page of the docs).

    Every place named in ``units``, ``borders``, ``river_borders``,
    ``aliases``, ``notes``, ``crossings`` and the gazetteer must be listed in
    ``places`` or in a unit, so a misspelling cannot add a place; a document
    with neither lists its places by its borders.
    """

    model_config = CLOSED
    name: str | None = None
    description: str | None = None
    as_of: str | None = None
    unit_name: Name = "unit"
    places: list[Name] = []
    units: dict[Name, list[Name]] = {}
    borders: list[tuple[Name, Name]] = []
    river_borders: list[tuple[Name, Name]] = []
    aliases: dict[Name, Name] = {}
    prefixes: list[Name] = []
    suffixes: list[Name] = []
    notes: dict[Name, Name] = {}
    scores: dict[str, Score] = {}
    assumptions: dict[str, str] = {}
    unit_aliases: dict[Name, Name] = Field({}, description="short forms and codes of units -> the unit's name")
    unit_suffixes: list[Name] = Field([], description='words that may follow a unit\'s name ("BCU")')
    crossings: list[CrossingSpec] = Field([], description="the direct crossings of each river border")
    gazetteer: list[GazetteerSpec] = Field([], description="localities and postcodes, each list with its source")
    whole_area: WholeAreaSpec | None = Field(None, description='a value for roles covering every place ("London-wide")')

    @property
    def declared(self) -> list[str]:
        """Every place: ``places``, then unit members not listed there, else the places borders name."""
        found = dict.fromkeys(self.places)
        for members in self.units.values():
            found.update(dict.fromkeys(members))
        if not found:
            found = dict.fromkeys(p for key in (self.borders, self.river_borders) for pair in key for p in pair)
        return list(found)

    @property
    def relation_scores(self) -> dict[str, float]:
        """The score of each relation parameter, defaults filled in, strongest first."""
        return {key: float(self.scores.get(key, default)) for key, default in RELATION_SCORES.items()}

    @property
    def whole_area_score(self) -> float:
        """Score of a whole-area role with any place: ``scores.whole_area``, else `WHOLE_AREA_SCORE`."""
        return float(self.scores.get("whole_area", WHOLE_AREA_SCORE))

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: Any) -> Any:
        return validate_every_problem(cls, data, handler, ("places", "units"))

    def check(self) -> None:
        """Raise ``ValidationError`` for every problem between keys (called by validation)."""
        errors = LocatedErrors(type(self).__name__)
        declared = set(self.declared)
        self._check_units(errors)
        for key in ("borders", "river_borders"):
            self._check_borders(key, declared, errors)
        names = self._check_aliases(declared, errors)
        for place in self.notes:
            if place not in declared:
                errors.add(("notes", place), "unknown_place", _not_listed(place), place, closest(place, declared))
        self._check_units_named(errors)
        self._check_crossings(declared, errors)
        self._check_gazetteer(declared, names, errors)
        self._check_whole_area(names, errors)
        self._check_scores(errors)
        if not declared:
            errors.add(("places",), "empty", "a geography needs at least one place ('places' or 'borders')", None)
        errors.raise_any()

    def _check_units(self, errors: LocatedErrors) -> None:
        member_of: dict[str, str] = {}
        listed = set(self.places)
        for unit, members in self.units.items():
            for k, place in enumerate(members):
                if place in member_of:
                    message = f"{place!r} is already in unit {member_of[place]!r}; a place belongs to one unit"
                    errors.add(("units", unit, k), "two_units", message, place)
                elif listed and place not in listed:
                    message = f"{place!r} is not in 'places'"
                    errors.add(("units", unit, k), "unknown_place", message, place, closest(place, listed))
                member_of.setdefault(place, unit)

    def _check_aliases(self, declared: set[str], errors: LocatedErrors) -> dict[str, str]:
        """Aliases that point at a listed place and mean one place; returns every name's meaning."""
        meaning = {normalize_place(p): p for p in declared}
        for alias, place in self.aliases.items():
            key, known = normalize_place(alias), meaning.get(normalize_place(alias))
            if place not in declared:
                errors.add(("aliases", alias), "unknown_place", _not_listed(place), place, closest(place, declared))
            elif not key:
                errors.add(("aliases", alias), "empty_alias", f"alias {alias!r} has no letters or digits", alias)
            elif known is not None and known != place:
                message = f"alias {alias!r} for {place!r} already means {known!r}"
                errors.add(("aliases", alias), "alias_taken", message, alias)
            else:
                meaning[key] = place
        return meaning

    def _check_units_named(self, errors: LocatedErrors) -> None:
        units = set(self.units)
        names = {normalize_place(u): u for u in units}
        for alias, unit in self.unit_aliases.items():
            known = names.get(normalize_place(alias))
            if unit not in units:
                message = f"{unit!r} is not a unit (units: {', '.join(sorted(units)) or 'none'})"
                errors.add(("unit_aliases", alias), "unknown_unit", message, unit, closest(unit, units))
            elif known is not None and known != unit:
                message = f"{alias!r} for {unit!r} already means {known!r}"
                errors.add(("unit_aliases", alias), "alias_taken", message, alias)
            else:
                names[normalize_place(alias)] = unit

    def _check_borders(self, key: str, declared: set[str], errors: LocatedErrors) -> None:
        seen: dict[frozenset[str], int] = {}
        for k, pair in enumerate(getattr(self, key)):
            if pair[0] == pair[1]:
                errors.add((key, k), "self_border", f"a border needs two different places, got {list(pair)!r}", None)
                continue
            for side, place in enumerate(pair):
                if place not in declared:
                    errors.add((key, k, side), "unknown_place", _not_listed(place), place, closest(place, declared))
            if frozenset(pair) in seen:
                errors.add((key, k), "repeated_border", f"{list(pair)!r} repeats {key}[{seen[frozenset(pair)]}]", None)
            seen.setdefault(frozenset(pair), k)

    def _check_crossings(self, declared: set[str], errors: LocatedErrors) -> None:
        river = {frozenset(pair) for pair in self.river_borders}
        seen: set[frozenset[str]] = set()
        for k, crossing in enumerate(self.crossings):
            pair = frozenset((crossing.a, crossing.b))
            if pair not in river:
                message = f"{crossing.a!r} - {crossing.b!r} is not in 'river_borders'"
                errors.add(("crossings", k), "not_a_river_border", message, None)
            elif pair in seen:
                errors.add(
                    ("crossings", k), "repeated_crossing", f"{crossing.a!r} - {crossing.b!r} is listed twice", None
                )
            seen.add(pair)

    def _check_gazetteer(self, declared: set[str], meaning: dict[str, str], errors: LocatedErrors) -> None:
        first: dict[str, tuple[int, str]] = {}
        for k, gazetteer in enumerate(self.gazetteer):
            for key in ("places", "postcodes"):
                for name, places in getattr(gazetteer, key).items():
                    where = ("gazetteer", k, key, name)
                    for place in places:
                        if place not in declared:
                            message = _not_listed(place)
                            errors.add(where, "unknown_place", message, place, closest(place, declared))
                    norm = normalize_place(name)
                    if not places:
                        errors.add(where, "no_place", "lists no place", None)
                    elif norm in meaning and places != [meaning[norm]]:
                        message = f"{name!r} already means {meaning[norm]!r} (a place or an alias)"
                        errors.add(where, "name_taken", message, name)
                    elif norm in first:
                        errors.add(where, "repeated_name", f"{name!r} is already in gazetteer[{first[norm][0]}]", name)
                    first.setdefault(norm, (k, name))

    def _check_whole_area(self, meaning: dict[str, str], errors: LocatedErrors) -> None:
        if self.whole_area is None:
            if "whole_area" in self.scores:
                message = "a score for a whole-area role needs 'whole_area' (its name)"
                errors.add(("scores", "whole_area"), "no_whole_area", message, None)
            return
        for k, name in enumerate((self.whole_area.name, *self.whole_area.aliases)):
            where = ("whole_area", "name") if k == 0 else ("whole_area", "aliases", k - 1)
            if normalize_place(name) in meaning:
                message = f"{name!r} already means {meaning[normalize_place(name)]!r}"
                errors.add(where, "name_taken", message, name)

    def _check_scores(self, errors: LocatedErrors) -> None:
        known = (*RELATION_SCORES, "whole_area")
        for key, value in self.scores.items():
            if key not in known:
                message = f"unknown relation (known: {', '.join(known)})"
                errors.add(("scores", key), "unknown_relation", message, None, closest(key, known))
            elif key == "whole_area" and not 0 < value < 1:
                message = f"a whole-area role scores between 0 and 1 (exclusive), got {value!r}"
                errors.add(("scores", key), "not_a_score", message, value)
            elif not 0 <= value <= 1:
                errors.add(("scores", key), "not_a_score", f"expected a number in [0, 1], got {value!r}", value)
        merged = self.relation_scores
        values = list(merged.values())
        if values != sorted(values, reverse=True):
            order = " >= ".join(f"{k} ({v:g})" for k, v in merged.items())
            message = f"scores must not increase from the strongest relation down: {order}"
            errors.add(("scores",), "score_order", message, None)


def _not_listed(place: str) -> str:
    return f"{place!r} is not listed in 'places' or a unit"

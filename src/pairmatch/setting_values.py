"""Values named by settings (a quota's group, a rule's attribute), checked against the problem.

No setting may match nothing silently: a quota on "North Area" must mean the
BCU its people are in, and one on "Nowhere" is an error that names the
setting and the nearest real value. `resolve_group` does that for every key
a quota groups people by (``borough``, ``bcu``, ``focus`` or an attribute),
and `check_attribute_name` for rules that name an attribute. Both return the
value in its canonical spelling, so the solver and the verifier compare
like with like.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .geography import Geography
from .taxonomy import Taxonomy

__all__ = ["BUILT_IN_KEYS", "PersonLike", "check_attribute_name", "check_setting_values", "group_of", "resolve_group"]

BUILT_IN_KEYS = ("focus", "borough", "bcu")
"""Quota keys that are not attributes: a person's first focus area, first borough, and that borough's unit."""


class PersonLike(Protocol):
    """What a setting's value is checked against: a person's places, topics and attributes."""

    @property
    def focus_areas(self) -> tuple[str, ...]:
        """The person's topics."""
        ...

    @property
    def boroughs(self) -> tuple[str, ...]:
        """The person's places."""
        ...

    @property
    def attributes(self) -> dict[str, Any]:
        """The person's own attributes, by name."""
        ...


def group_of(person: PersonLike, key: str, geography: Geography) -> str | None:
    """The group a person is in for a quota ``key`` (None if it is undefined for them).

    >>> from pairmatch.datasets import london
    >>> from pairmatch.models import Mentor
    >>> group_of(Mentor(id="A", boroughs=["Newham"]), "bcu", london())
    'North East'
    """
    if key == "focus":
        return person.focus_areas[0] if person.focus_areas else None
    if key in ("borough", "bcu"):
        if not person.boroughs:
            return None
        # People not yet resolved (a request as sent) may write a town: read it as its place.
        place = geography.canonical(person.boroughs[0]) or person.boroughs[0]
        return place if key == "borough" else geography.unit_of.get(place)
    value = person.attributes.get(key)
    return None if value is None else str(value)


def check_setting_values(
    rules: Any,
    mentors: Sequence[PersonLike],
    mentees: Sequence[PersonLike],
    *,
    geography: Geography,
    taxonomy: Taxonomy,
) -> tuple[list[str | None], list[tuple[tuple[str | int, ...], str]]]:
    """The canonical value of each quota (None without one, or when it fails) and every problem at its setting.

    ``rules`` is a `pairmatch.models.Rules`: each quota's key must be a
    built-in key or an attribute of someone on its side, its value must name
    a group of that side, and each ``forbid_same`` entry an attribute of
    someone. Each problem is ``(location, message)``, e.g.
    ``(("rules", "quotas", 0, "value"), "rules.quotas[0].value: 'Nowhere' is not a BCU ...")``.
    """
    values: list[str | None] = []
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for k, quota in enumerate(rules.quotas):
        people = mentors if quota.side == "mentor" else mentees
        where: tuple[str | int, ...] = ("rules", "quotas", k)
        value = None
        if quota.key not in BUILT_IN_KEYS:
            message = check_attribute_name(_label((*where, "key")), quota.key, people)
            if message is not None:
                problems.append(((*where, "key"), message.replace("of anyone", f"of any {quota.side}")))
                values.append(None)
                continue
        if quota.value is not None:
            setting = _label((*where, "value"))
            value, message = resolve_group(
                setting, quota.key, quota.value, people, quota.side, geography=geography, taxonomy=taxonomy
            )
            if message is not None:
                problems.append(((*where, "value"), message))
        values.append(value)
    for k, name in enumerate(rules.forbid_same):
        message = check_attribute_name(_label(("rules", "forbid_same", k)), name, (*mentors, *mentees), BUILT_IN_KEYS)
        if message is not None:
            problems.append((("rules", "forbid_same", k), message))
    return values, problems


def _label(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def resolve_group(
    setting: str,
    key: str,
    value: str,
    people: Sequence[PersonLike],
    side: str,
    *,
    geography: Geography,
    taxonomy: Taxonomy,
) -> tuple[str | None, str | None]:
    """``(canonical value, None)``, or ``(None, message)`` when ``value`` names no group of ``people``.

    The value is first read in the vocabulary of its key (a place name, a
    unit's official name, short form or code in any case, a topic or its
    alias, an attribute value in any case), then it must be the group of at
    least one person on the side, or the setting would constrain nobody.

    >>> from pairmatch.datasets import default_taxonomy, london
    >>> from pairmatch.models import Mentor
    >>> people = [Mentor(id="A", boroughs=["Enfield"]), Mentor(id="B", boroughs=["Brent"])]
    >>> vocab = {"geography": london(), "taxonomy": default_taxonomy()}
    >>> resolve_group("rules.quotas[0].value", "bcu", "north area bcu", people, "mentor", **vocab)
    ('North Area', None)
    >>> print(resolve_group("rules.quotas[0].value", "bcu", "Nowhere", people, "mentor", **vocab)[1])
    rules.quotas[0].value: 'Nowhere' is not a BCU (the BCUs of the mentors: 'North Area', 'North West')
    """
    groups = sorted({g for p in people if (g := group_of(p, key, geography)) is not None})
    canonical, nearest, what = _in_vocabulary(key, value, groups, geography, taxonomy)
    if canonical is None:
        hint = f" - did you mean {nearest!r}?" if nearest else _listed(groups, key, geography, side)
        return None, f"{setting}: {value!r} is not {what}{hint}"
    if canonical not in groups:
        close = _nearest(canonical, groups)
        shown = f"{value!r}" + (f" ({canonical})" if canonical != value else "")
        hint = f" - the nearest is {close!r}" if close else _listed(groups, key, geography, side)
        return None, f"{setting}: {shown} is the {_first(key)} of no {side}, so it would match nothing{hint}"
    return canonical, None


def check_attribute_name(
    setting: str, name: str, people: Iterable[PersonLike], extra: Iterable[str] = ()
) -> str | None:
    """A message when no person has the attribute ``name`` (and it is not one of ``extra``), else None."""
    known = sorted({k for p in people for k in p.attributes} | set(extra))
    if name in known:
        return None
    close = _nearest(name, known)
    hint = f" - did you mean {close!r}?" if close else (f" (known: {', '.join(known)})" if known else "")
    return f"{setting}: {name!r} is not an attribute of anyone, so it would match nothing{hint}"


def _in_vocabulary(
    key: str, value: str, groups: list[str], geography: Geography, taxonomy: Taxonomy
) -> tuple[str | None, str | None, str]:
    """``(canonical, nearest, what it should be)`` for a value in the vocabulary of ``key``."""
    if key == "bcu":
        return geography.unit(value), geography.suggest_unit(value), f"a {geography.unit_name}"
    if key == "borough":
        match = geography.resolve(value)
        if match.ambiguous:
            return None, None, f"one place: it lies in {', '.join(match.places)}"
        return match.place, geography.suggest(value), "a known place"
    if key == "focus":
        topic = taxonomy.canonical(value)
        return topic, taxonomy.suggest(value), "a known focus area"
    if value in groups:
        return value, None, "a value of this attribute"
    folded = [g for g in groups if g.casefold() == value.casefold()]
    if len(folded) == 1:
        return folded[0], None, "a value of this attribute"
    return None, _nearest(value, groups), f"a value of attribute {key!r}"


def _first(key: str) -> str:
    return {"focus": "first focus area", "borough": "first borough", "bcu": "unit"}.get(key, f"{key!r}")


def _nearest(value: str, options: Sequence[str]) -> str | None:
    lowered = {o.casefold(): o for o in options}
    close = difflib.get_close_matches(value.casefold(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def _listed(groups: list[str], key: str, geography: Geography, side: str) -> str:
    plural = {"bcu": f"{geography.unit_name}s", "borough": "first boroughs", "focus": "first focus areas"}
    what = plural.get(key, f"values of {key!r}")
    if not groups:
        return f" (no {side} has any)"
    shown = ", ".join(repr(g) for g in groups[:12]) + (f" and {len(groups) - 12} more" if len(groups) > 12 else "")
    return f" (the {what} of the {side}s: {shown})"

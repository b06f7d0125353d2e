"""Conditions on people and pairs, written as data: eligibility, must-match and conditional rules.

Coordinators write these in TOML or JSON; nothing is ever evaluated as code.

`Condition`
    A test of one attribute of one person: ``equals``, ``not_equals``,
    ``one_of``, ``not_one_of``, ``at_least``, ``at_most``, ``present``.
    Several tests in one condition must all hold (``at_least = 18`` with
    ``at_most = 25`` is a range).
`Requirement`
    A condition every person on one ``side`` must meet to take part
    (``Rules.require``): a person who fails it has no candidate pair.
`When`, `Then`, `PairRule`
    A rule conditional on the pair (``Rules.conditional``): whenever
    ``when`` holds for a pair, ``then`` must hold too, else the pair is not
    a candidate. ``when`` reads the pair's focus areas and either person's
    attributes; ``then`` asks for conditions on either person, attributes
    that must be equal or differ, and links such as "the mentor's
    ``needs_officer_sex`` equals the mentee's ``sex``".

Values compare as people write them: text without regard to case or
surrounding spaces, numbers by value (``18`` equals ``18.0``), ``true`` and
``false`` only with themselves. A person without the attribute never meets a
test on it, except ``present = false``.

The per-pair methods here (`Condition.holds`, `When.holds`, `Then.holds`)
are the reference definitions; the solver evaluates the same rules
vectorised over per-person codes (`pairmatch.scoring.pairtests`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "PLACE_KEYS",
    "AttributeLink",
    "Condition",
    "PairRule",
    "Requirement",
    "Then",
    "When",
    "value_key",
    "value_words",
]

Scalar = bool | int | float | str
Side = Literal["mentor", "mentee"]
# Names in ``same`` / ``different`` that compare the people's boroughs or policing units.
PLACE_KEYS = ("borough", "bcu")


class _Person(Protocol):
    """What conditions read from a person (`pairmatch.models.Person`)."""

    @property
    def id(self) -> str: ...

    @property
    def focus_areas(self) -> tuple[str, ...]: ...

    @property
    def boroughs(self) -> tuple[str, ...]: ...

    @property
    def attributes(self) -> dict[str, Any]: ...


def value_key(value: Any) -> tuple[str, Any] | None:
    """The value as rules compare it (None for a missing value).

    Text is compared case-folded with spaces collapsed; numbers by value;
    booleans only with booleans.

    >>> value_key(" Female ") == value_key("female"), value_key(18) == value_key(18.0), value_key(True) == value_key(1)
    (True, True, False)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return ("text", " ".join(str(value).split()).casefold())


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else f"{value:g}"


class Condition(BaseModel):
    """A test of one attribute of one person.

    Give one or more tests; all must hold. Text compares without regard to
    case; a person without the attribute fails every test but
    ``present = false``.

    Examples
    --------
    >>> Condition(attribute="age", at_least=18).holds(19), Condition(attribute="age", at_least=18).holds(None)
    (True, False)
    >>> Condition(attribute="vetting", equals="cleared").describe()
    "vetting = 'cleared'"
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    attribute: str = Field(min_length=1)
    equals: Scalar | None = None
    not_equals: Scalar | None = None
    one_of: tuple[Scalar, ...] | None = None
    not_one_of: tuple[Scalar, ...] | None = None
    at_least: float | None = Field(None, allow_inf_nan=False)
    at_most: float | None = Field(None, allow_inf_nan=False)
    present: bool | None = None

    @field_validator("one_of", "not_one_of")
    @classmethod
    def _listed(cls, value: tuple[Scalar, ...] | None) -> tuple[Scalar, ...] | None:
        if value is not None and not value:
            raise ValueError("list at least one value")
        return value

    @model_validator(mode="after")
    def _some_test(self) -> Condition:
        tests = self.tests
        if not tests:
            raise ValueError(
                f"condition on {self.attribute!r}: give a test (equals, not_equals, one_of, not_one_of, "
                "at_least, at_most or present)"
            )
        if self.present is False and len(tests) > 1:
            raise ValueError(f"condition on {self.attribute!r}: present = false cannot be combined with other tests")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(
                f"condition on {self.attribute!r}: at_least ({self.at_least:g}) is above at_most ({self.at_most:g})"
            )
        return self

    @property
    def tests(self) -> tuple[str, ...]:
        """Names of the tests given."""
        names = ("equals", "not_equals", "one_of", "not_one_of", "at_least", "at_most", "present")
        return tuple(name for name in names if getattr(self, name) is not None)

    @property
    def numeric(self) -> bool:
        """True when the condition compares numbers (``at_least`` / ``at_most``)."""
        return self.at_least is not None or self.at_most is not None

    def values(self) -> tuple[tuple[str, Scalar], ...]:
        """``(test, value)`` for every value the condition names (for checks that a value occurs)."""
        out: list[tuple[str, Scalar]] = []
        for name in ("equals", "not_equals"):
            value = getattr(self, name)
            if value is not None:
                out.append((name, value))
        for name in ("one_of", "not_one_of"):
            out += [(name, v) for v in getattr(self, name) or ()]
        return tuple(out)

    def holds(self, value: Any) -> bool:
        """Whether a person whose attribute has ``value`` (None: missing) meets the condition."""
        if value is None:
            return self.present is False
        if self.present is False:
            return False
        key = value_key(value)
        if self.equals is not None and key != value_key(self.equals):
            return False
        if self.not_equals is not None and key == value_key(self.not_equals):
            return False
        if self.one_of is not None and key not in {value_key(v) for v in self.one_of}:
            return False
        if self.not_one_of is not None and key in {value_key(v) for v in self.not_one_of}:
            return False
        if self.numeric and not _number(value):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)

    def holds_for(self, person: _Person) -> bool:
        """`holds` for the person's own value of the attribute."""
        return self.holds(person.attributes.get(self.attribute))

    def describe(self) -> str:
        """The condition in words, e.g. ``age at least 18``."""
        name = self.attribute
        parts = []
        if self.present is not None:
            parts.append(f"{name} given" if self.present else f"no {name}")
        if self.equals is not None:
            parts.append(f"{name} = {_shown(self.equals)}")
        if self.not_equals is not None:
            parts.append(f"{name} not {_shown(self.not_equals)}")
        if self.one_of is not None:
            parts.append(f"{name} one of {', '.join(map(_shown, self.one_of))}")
        if self.not_one_of is not None:
            parts.append(f"{name} none of {', '.join(map(_shown, self.not_one_of))}")
        if self.at_least is not None:
            parts.append(f"{name} at least {self.at_least:g}")
        if self.at_most is not None:
            parts.append(f"{name} at most {self.at_most:g}")
        return " and ".join(parts)


class Requirement(Condition):
    """A condition everyone on ``side`` must meet to be matched (eligibility).

    Examples
    --------
    >>> Requirement(side="mentor", attribute="age", at_least=18).describe()
    'mentor age at least 18'
    """

    side: Side

    def describe(self) -> str:
        """The requirement in words, side first, e.g. ``mentor age at least 18``."""
        return f"{self.side} {super().describe()}"


class AttributeLink(BaseModel):
    """The mentor's attribute ``mentor`` must equal the mentee's attribute ``mentee``.

    A person's stated need: ``AttributeLink(mentor="needs_officer_sex", mentee="sex")``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mentor: str = Field(min_length=1)
    mentee: str = Field(min_length=1)

    def describe(self) -> str:
        """The link in words: ``same sex``, or ``mentee sex = mentor needs_officer_sex``."""
        if self.mentor == self.mentee:
            return f"same {self.mentor}"
        return f"mentee {self.mentee} = mentor {self.mentor}"


FocusOf = Literal["shared", "either", "mentor", "mentee"]


class When(BaseModel):
    """When a conditional rule applies to a pair. Every part given must hold; an empty
    ``When`` applies to every pair.

    Attributes
    ----------
    focus : tuple of str
        Topics (taxonomy spellings or aliases); the rule applies when the
        pair's focus includes one of them, as ``focus_of`` says.
    focus_of : {"shared", "either", "mentor", "mentee"}
        ``shared``: a topic both people list; ``either``: a topic either
        lists; ``mentor`` / ``mentee``: a topic that person lists.
    mentor, mentee : tuple of Condition
        Conditions the mentor / mentee meets.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    focus: tuple[str, ...] = ()
    focus_of: FocusOf = "shared"
    mentor: tuple[Condition, ...] = ()
    mentee: tuple[Condition, ...] = ()

    @property
    def always(self) -> bool:
        """True when no part is given, so the rule applies to every pair."""
        return not (self.focus or self.mentor or self.mentee)

    def focus_holds(self, mentor: _Person, mentee: _Person) -> bool:
        """Whether the pair's focus areas include one of ``focus``, as ``focus_of`` says
        (true when ``focus`` is empty)."""
        if not self.focus:
            return True
        topics = set(self.focus)
        ours, theirs = topics & set(mentor.focus_areas), topics & set(mentee.focus_areas)
        if self.focus_of == "shared":
            return bool(ours & theirs)
        if self.focus_of == "either":
            return bool(ours or theirs)
        return bool(ours if self.focus_of == "mentor" else theirs)

    def holds(self, mentor: _Person, mentee: _Person) -> bool:
        """Whether the rule applies to this pair."""
        return (
            self.focus_holds(mentor, mentee)
            and all(c.holds_for(mentor) for c in self.mentor)
            and all(c.holds_for(mentee) for c in self.mentee)
        )

    def describe(self) -> str:
        """The condition in words, e.g. ``both list domestic abuse and mentor age at least 18``;
        ``always`` when empty."""
        parts = []
        if self.focus:
            where = {"shared": "both list", "either": "either lists", "mentor": "the mentor lists"}.get(
                self.focus_of, "the mentee lists"
            )
            parts.append(f"{where} {' or '.join(self.focus)}")
        parts += [f"mentor {c.describe()}" for c in self.mentor]
        parts += [f"mentee {c.describe()}" for c in self.mentee]
        return " and ".join(parts) or "always"


class Then(BaseModel):
    """What a pair must satisfy (a rule) or earns a score for (a preference). Every part
    given must hold.

    Attributes
    ----------
    same : tuple of str
        Attributes whose values must be equal (``"borough"``: a shared
        borough; ``"bcu"``: boroughs in the same policing unit). A missing
        value equals nothing.
    different : tuple of str
        Attributes whose values must differ (as ``Rules.forbid_same``).
    equal : tuple of AttributeLink
        A mentor attribute that must equal a mentee attribute (a stated need).
    mentor, mentee : tuple of Condition
        Conditions the mentor / mentee must meet.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    same: tuple[str, ...] = ()
    different: tuple[str, ...] = ()
    equal: tuple[AttributeLink, ...] = ()
    mentor: tuple[Condition, ...] = ()
    mentee: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Then:
        if not (self.same or self.different or self.equal or self.mentor or self.mentee):
            raise ValueError("'then' needs at least one of same, different, equal, mentor or mentee")
        return self

    def links(self) -> tuple[AttributeLink, ...]:
        """``same`` (attributes, not places) and ``equal`` as links between the two sides."""
        return (*(AttributeLink(mentor=n, mentee=n) for n in self.same if n not in PLACE_KEYS), *self.equal)

    def failures(self, mentor: _Person, mentee: _Person, unit_of: Mapping[str, str]) -> list[str]:
        """Every part the pair fails, in words (empty when ``then`` holds)."""
        out = []
        for name in self.same:
            if name in PLACE_KEYS and not _share_place(name, mentor, mentee, unit_of):
                out.append(f"no shared {name}")
        for link in self.links():
            a, b = mentor.attributes.get(link.mentor), mentee.attributes.get(link.mentee)
            if a is None or b is None or value_key(a) != value_key(b):
                out.append(f"{link.describe()} ({_pair_values(link, a, b)})")
        for name in self.different:
            if name in PLACE_KEYS:
                if _share_place(name, mentor, mentee, unit_of):
                    out.append(f"shared {name}")
                continue
            a, b = mentor.attributes.get(name), mentee.attributes.get(name)
            if a is not None and value_key(a) == value_key(b):
                out.append(f"same {name} ({_shown(a)})")
        for side, person, conditions in (("mentor", mentor, self.mentor), ("mentee", mentee, self.mentee)):
            for c in conditions:
                if not c.holds_for(person):
                    out.append(f"{side} {person.id} needs {c.describe()} (has {value_words(person, c.attribute)})")
        return out

    def holds(self, mentor: _Person, mentee: _Person, unit_of: Mapping[str, str]) -> bool:
        """Whether the pair satisfies every part (no `failures`)."""
        return not self.failures(mentor, mentee, unit_of)

    def describe(self) -> str:
        """The requirement in words, e.g. ``same borough and mentee sex = 'female'``."""
        parts = [f"same {n}" for n in self.same]
        parts += [f"different {n}" for n in self.different]
        parts += [link.describe() for link in self.equal]
        parts += [f"mentor {c.describe()}" for c in self.mentor]
        parts += [f"mentee {c.describe()}" for c in self.mentee]
        return " and ".join(parts)


def _share_place(name: str, mentor: _Person, mentee: _Person, unit_of: Mapping[str, str]) -> bool:
    if name == "borough":
        return bool(set(mentor.boroughs) & set(mentee.boroughs))
    ours = {unit_of[b] for b in mentor.boroughs if b in unit_of}
    return any(unit_of.get(b) in ours for b in mentee.boroughs)


def value_words(person: _Person, name: str) -> str:
    """A person's value of attribute ``name`` in words: ``age 17``, ``vetting 'pending'``, ``no age``."""
    value = person.attributes.get(name)
    return f"no {name}" if value is None else f"{name} {_shown(value)}"


def _pair_values(link: AttributeLink, a: Any, b: Any) -> str:
    left = "mentor has none" if a is None else f"mentor {_shown(a)}"
    right = "mentee has none" if b is None else f"mentee {_shown(b)}"
    return f"{left}, {right}"


class PairRule(BaseModel):
    """A hard rule conditional on the pair: whenever ``when`` holds, ``then`` must hold.

    Examples
    --------
    Pairs on violence against women and girls or domestic abuse need a
    female officer (the mentee, in reverse mentoring):

    >>> rule = PairRule(
    ...     name="female officer",
    ...     when=When(focus=("violence against women and girls", "domestic abuse"), focus_of="either"),
    ...     then=Then(mentee=(Condition(attribute="sex", equals="female"),)),
    ... )
    >>> print(rule.describe())
    female officer: if either lists violence against women and girls or domestic abuse, then mentee sex = 'female'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    when: When = When()
    then: Then

    @property
    def label(self) -> str:
        """The rule's name, or its description."""
        return self.name or self.describe()

    def describe(self) -> str:
        """The rule in words: ``name: if <when>, then <then>``, or ``every pair: <then>`` when it always applies."""
        if self.when.always:
            body = f"every pair: {self.then.describe()}"
        else:
            body = f"if {self.when.describe()}, then {self.then.describe()}"
        return f"{self.name}: {body}" if self.name else body

    def failures(self, mentor: _Person, mentee: _Person, unit_of: Mapping[str, str]) -> list[str]:
        """What the pair fails of ``then`` when the rule applies (empty: the pair obeys it)."""
        if not self.when.holds(mentor, mentee):
            return []
        return self.then.failures(mentor, mentee, unit_of)


# --- checks against the people of a problem ---------------------------------------------------


def _people_of(side: str, mentors: Sequence[_Person], mentees: Sequence[_Person]) -> Sequence[_Person]:
    return mentors if side == "mentor" else mentees


def _nearest(value: Any, known: Iterable[Any]) -> str:
    texts = {str(v): v for v in known}
    close = difflib.get_close_matches(str(value), list(texts), n=1, cutoff=0.5)
    if close:
        return f" - did you mean {_shown(texts[close[0]])}?"
    shown = sorted(texts)[:8]
    return f" (values found: {', '.join(map(repr, shown))}{', ...' if len(texts) > 8 else ''})" if shown else ""


def condition_problems(
    condition: Condition, side: str, people: Sequence[_Person], where: str, errors: list[str]
) -> None:
    """Add to ``errors`` every way ``condition`` matches nothing among ``people`` (one side):
    an attribute nobody has, a value nobody has, a number compared with text."""
    name = condition.attribute
    values = [p.attributes[name] for p in people if name in p.attributes]
    if not values:
        if condition.present is not False:
            known = sorted({k for p in people for k in p.attributes})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" - did you mean {close[0]!r}?" if close else (f" (known: {', '.join(known)})" if known else "")
            errors.append(f"{where}.attribute: {name!r} is not an attribute of any {side}{hint}")
        return
    keys = {value_key(v) for v in values}
    for test, value in condition.values():
        if value_key(value) not in keys:
            errors.append(
                f"{where}.{test}: no {side} has {name} = {_shown(value)}, so the rule would match nothing"
                + _nearest(value, values)
            )
    if condition.numeric:
        for person in people:
            found = person.attributes.get(name)
            if found is not None and not _number(found):
                errors.append(
                    f"{where}: {side} {person.id!r} has {name} = {_shown(found)}, which is not a number "
                    f"to compare with {condition.describe()}"
                )
                break


def attribute_problems(
    name: str, mentors: Sequence[_Person], mentees: Sequence[_Person], where: str, errors: list[str]
) -> None:
    """An attribute compared across the pair must be held by someone on both sides."""
    for side, people in (("mentor", mentors), ("mentee", mentees)):
        if not any(name in p.attributes for p in people):
            known = sorted({k for p in people for k in p.attributes})
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" - did you mean {close[0]!r}?" if close else (f" (known: {', '.join(known)})" if known else "")
            errors.append(f"{where}: {name!r} is not an attribute of any {side}{hint}")


def pair_test_problems(
    when: When,
    then: Then | None,
    mentors: Sequence[_Person],
    mentees: Sequence[_Person],
    known_topic: Callable[[str], str | None],
    where: str,
    errors: list[str],
) -> When:
    """Check the ``when`` / ``then`` of a rule or preference against the people; returns
    ``when`` with its topics in the taxonomy's spelling (``known_topic`` gives it, or None)."""
    topics = _topic_problems(when, mentors, mentees, known_topic, where, errors)
    for side in ("mentor", "mentee"):
        people = _people_of(side, mentors, mentees)
        for k, condition in enumerate(getattr(when, side)):
            condition_problems(condition, side, people, f"{where}.when.{side}[{k}]", errors)
        for k, condition in enumerate(getattr(then, side) if then is not None else ()):
            condition_problems(condition, side, people, f"{where}.then.{side}[{k}]", errors)
    if then is not None:
        for field in ("same", "different"):
            for k, name in enumerate(getattr(then, field)):
                if name not in PLACE_KEYS:
                    attribute_problems(name, mentors, mentees, f"{where}.then.{field}[{k}]", errors)
        for k, link in enumerate(then.equal):
            for side, name in (("mentor", link.mentor), ("mentee", link.mentee)):
                if not any(name in p.attributes for p in _people_of(side, mentors, mentees)):
                    errors.append(f"{where}.then.equal[{k}].{side}: {name!r} is not an attribute of any {side}")
    if topics is None or topics == when.focus:
        return when
    return when.model_copy(update={"focus": topics})


def _topic_problems(
    when: When,
    mentors: Sequence[_Person],
    mentees: Sequence[_Person],
    known_topic: Callable[[str], str | None],
    where: str,
    errors: list[str],
) -> tuple[str, ...] | None:
    """The ``when.focus`` topics in the taxonomy's spelling (None if one is unknown). Each must
    be a topic of the taxonomy (which catches typos); the rule matches nothing, an error, when
    none of them is listed where ``focus_of`` looks (a standing rule may name topics this cohort
    does not use)."""
    topics = []
    for k, topic in enumerate(when.focus):
        canonical = known_topic(topic)
        if canonical is None:
            errors.append(f"{where}.when.focus[{k}]: {topic!r} is not a topic of the taxonomy")
            continue
        topics.append(canonical)
    if len(topics) != len(when.focus):
        return None
    sides = ("mentor", "mentee") if when.focus_of in ("shared", "either") else (when.focus_of,)
    listed = {s: {t for p in _people_of(s, mentors, mentees) for t in p.focus_areas} for s in sides}
    found = [t for t in topics if all(t in listed[s] for s in sides)] if when.focus_of == "shared" else None
    if found is None:
        found = [t for t in topics if any(t in listed[s] for s in sides)]
    if topics and not found:
        who = "both a mentor and a mentee list" if when.focus_of == "shared" else f"a {' or '.join(sides)} lists"
        errors.append(
            f"{where}.when.focus: the rule would match nothing: no topic of it ({', '.join(topics)}) is one {who}"
        )
    return tuple(dict.fromkeys(topics))

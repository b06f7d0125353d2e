"""Vocabulary documents: the taxonomy's model, and what every document model shares.

`Geography.from_dict`, `Taxonomy.from_dict`, the file checks of `pairmatch.io`
and the JSON contract all validate with `GeographySpec`
(`pairmatch.geography_document`) and `TaxonomySpec`,
so a document means the same everywhere and every problem in it is a
validation error located at its key (``borders[3]``, ``units.North``).
`document_problems` turns those errors into readable problems with a
"did you mean" suggestion where one is close.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .text import clean_text

__all__ = [
    "CLOSED",
    "DocumentError",
    "DocumentProblem",
    "EdgeSpec",
    "LocatedErrors",
    "Name",
    "Score",
    "TaxonomySpec",
    "closest",
    "document_problems",
    "key_label",
    "normalize_place",
    "normalize_topic",
    "validate_every_problem",
]

_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_SEPARATORS = re.compile(r"[\W_]+")


def normalize_place(name: str) -> str:
    """Matching key for a place name.

    Lower case, ``&`` as ``and``, apostrophes dropped, hyphens and other
    punctuation as spaces, single spaces.

    >>> normalize_place("Barking & Dagenham")
    'barking and dagenham'
    >>> normalize_place(" Richmond-upon-Thames ")
    'richmond upon thames'
    """
    text = _APOSTROPHES.sub("", str(name).replace("&", " and ").lower())
    return " ".join(_SEPARATORS.sub(" ", text).split())


def normalize_topic(name: str) -> str:
    """Canonical spelling of a topic: lower case, single spaces, ``&`` as ``and``.

    >>> normalize_topic("  Violence Against Women & Girls ")
    'violence against women and girls'
    """
    return " ".join(str(name).replace("&", " and ").lower().split())


# ---------------------------------------------------------------------------- problems


def key_label(loc: Iterable[Any]) -> str:
    """A validation error's location as a key: ``("borders", 3, 0)`` -> ``borders[3][0]``.

    >>> key_label(("units", "North", 2)), key_label(("rules", "quotas", 0, "key"))
    ('units.North[2]', 'rules.quotas[0].key')
    """
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


@dataclass(frozen=True)
class DocumentProblem:
    """One problem in a document: where (``loc`` and its `key_label`), what, and a suggestion."""

    loc: tuple[str | int, ...]
    message: str
    value: Any = None
    suggestion: str | None = None

    @property
    def key(self) -> str:
        """Where the problem is, as `key_label` writes ``loc`` (e.g. ``borders[2]``)."""
        return key_label(self.loc)

    def text(self) -> str:
        """``key: message - did you mean 'suggestion'?``"""
        hint = f" - did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"{self.key}: {self.message}{hint}" if self.loc else f"{self.message}{hint}"


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by following ``loc`` from ``model`` (empty if none is there)."""
    annotation: Any = model
    for step in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(step))
            if field is None:
                return []
            annotation = field.annotation
        else:
            args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
            # A list or tuple is indexed by position, a mapping by key: either way its value type.
            annotation = args[-1] if args else None
    annotation = _unwrap(annotation)
    return list(annotation.model_fields) if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


def _unwrap(annotation: Any) -> Any:
    """The model inside ``X | None`` (or ``Annotated[X, ...]``), else ``annotation``."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        others = [a for a in typing.get_args(annotation) if a is not type(None)]
        return models[0] if models else (others[0] if len(others) == 1 else annotation)
    return annotation


def document_problems(err: ValidationError, model: Any) -> list[DocumentProblem]:
    """The problems of a failed validation of ``model``, in readable words.

    An unknown key names the keys allowed there and the closest one; a
    custom error carries its own suggestion (``ctx["suggestion"]``).

    >>> from pydantic import ValidationError
    >>> try:
    ...     TaxonomySpec.model_validate({"edges": [], "decai": 0.5})
    ... except ValidationError as err:
    ...     print(document_problems(err, TaxonomySpec)[0].text())
    decai: unknown key (known: name, description, as_of, decay, max_distance, topics, edges, aliases) \
- did you mean 'decay'?
    """
    out = []
    for e in err.errors():
        loc = tuple(e["loc"])
        ctx = e.get("ctx") or {}
        message = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "value_error" and "error" in ctx:
            message = str(ctx["error"])
        value = e.get("input")
        suggestion = ctx.get("suggestion")
        if e["type"] == "extra_forbidden" and loc:
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            message = "unknown key" + (f" (known: {', '.join(known)})" if known else "")
            value, suggestion = None, close[0] if close else None
        out.append(DocumentProblem(loc, message, value, suggestion))
    return out


class DocumentError(ValueError):
    """A vocabulary document that does not validate; ``problems`` lists every one.

    The message starts with the document's name (a file path, or "geography")
    and lists each problem with its key.
    """

    def __init__(self, source: str, problems: list[DocumentProblem]) -> None:
        self.source, self.problems = source, tuple(problems)
        super().__init__(f"{source}: " + "; ".join(p.text() for p in problems))

    @classmethod
    def of(cls, source: str, err: ValidationError, model: Any) -> DocumentError:
        """The error of the document ``source`` from pydantic's ``err``, with every problem located."""
        return cls(source, document_problems(err, model))


# ---------------------------------------------------------------------------- shared pieces

CLOSED = ConfigDict(extra="forbid", frozen=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return clean_text(value)


Name = Annotated[str, AfterValidator(_not_blank)]
Score = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class LocatedErrors:
    """Located errors gathered by a document's cross-checks, raised together as one ``ValidationError``."""

    def __init__(self, title: str) -> None:
        self.title, self.details = title, []  # type: ignore[var-annotated]

    def add(self, loc: tuple[str | int, ...], kind: str, message: str, value: Any, suggestion: str | None = None):
        """Record a problem at ``loc`` of error type ``kind`` with the ``value`` found, and
        a ``suggestion`` if there is one."""
        ctx = {"suggestion": suggestion} if suggestion else None
        self.details.append(InitErrorDetails(type=PydanticCustomError(kind, message, ctx), loc=loc, input=value))

    def raise_any(self) -> None:
        """Raise every problem recorded as one ``ValidationError``, if there is any."""
        if self.details:
            raise ValidationError.from_exception_data(self.title, self.details)


def validate_every_problem(model: Any, data: Any, handler: Any, needed: tuple[str, ...]) -> Any:
    """``handler(data)`` and the document's cross-checks (``check``), every problem at once.

    pydantic stops at failing keys, so a document with an unknown key would
    hide its misspelt border until the key is fixed. When keys fail, the
    cross-checks still run on the keys that passed (unless a key they read,
    ``needed``, is among the failing ones) and both kinds are reported.
    """
    try:
        document = handler(data)
    except ValidationError as err:
        found = err.errors()
        failed = {e["loc"][0] for e in found if e["loc"]}
        if not isinstance(data, Mapping) or not failed or failed & set(needed):
            raise
        try:
            handler({k: v for k, v in data.items() if k not in failed}).check()
        except ValidationError as more:
            found += more.errors()
        details = [
            InitErrorDetails(
                type=PydanticCustomError(e["type"], e["msg"].replace("{", "{{").replace("}", "}}"), e.get("ctx")),
                loc=tuple(e["loc"]),
                input=e.get("input"),
            )
            for e in found
        ]
        raise ValidationError.from_exception_data(model.__name__, details) from None
    document.check()
    return document


def closest(value: str, options: Iterable[str]) -> str | None:
    """The option closest to ``value`` (a likely meant spelling), or None when none is close."""
    close = difflib.get_close_matches(str(value), sorted(options), n=1)
    return close[0] if close else None


# ---------------------------------------------------------------------------- taxonomy


class EdgeSpec(BaseModel):
    """A link between two related topics, with the reason it exists and its source.

    ``["a", "b"]`` is accepted for a link without a reason.
    """

    model_config = CLOSED
    a: Name
    b: Name
    reason: Name | None = None
    source: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)) and len(data) == 2:
            return {"a": data[0], "b": data[1]}
        return data

    @model_validator(mode="after")
    def _two_topics(self) -> EdgeSpec:
        if normalize_topic(self.a) == normalize_topic(self.b):
            raise ValueError(f"a link from {normalize_topic(self.a)!r} to itself")
        return self

    @property
    def pair(self) -> tuple[str, str]:
        """The two topics in their canonical spelling, in alphabetical order."""
        a, b = sorted((normalize_topic(self.a), normalize_topic(self.b)))
        return a, b


class TaxonomySpec(BaseModel):
    """A focus-area taxonomy: linked topics and how relatedness decays along links.

    See the geography and topics page of the docs. ``aliases`` maps everyday
    terms and acronyms ("VAWG", "S&S") to the topic they mean.
    """

    model_config = CLOSED
    name: str | None = None
    description: str | None = None
    as_of: str | None = None
    decay: Score = Field(0.5, gt=0, lt=1)
    max_distance: int = Field(3, ge=0, strict=True)
    topics: list[Name] = []
    edges: list[EdgeSpec] = []
    aliases: dict[Name, Name] = Field({}, description='everyday terms and acronyms -> the topic meant ("VAWG")')

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: Any) -> Any:
        return validate_every_problem(cls, data, handler, ("topics", "edges"))

    def check(self) -> None:
        """Raise ``ValidationError`` for every problem between keys (called by validation)."""
        errors = LocatedErrors(type(self).__name__)
        seen: dict[tuple[str, str], int] = {}
        for k, edge in enumerate(self.edges):
            if edge.pair in seen:
                errors.add(
                    ("edges", k),
                    "repeated_link",
                    f"the link {edge.pair[0]!r} - {edge.pair[1]!r} repeats edges[{seen[edge.pair]}]",
                    None,
                )
            seen.setdefault(edge.pair, k)
        known = {normalize_topic(t) for t in self.topics} | {t for pair in seen for t in pair}
        taken: dict[str, str] = {}
        for alias, topic in self.aliases.items():
            key = normalize_place(alias)
            if normalize_topic(topic) not in known:
                message = f"{topic!r} is not a topic of this taxonomy"
                errors.add(("aliases", alias), "unknown_topic", message, topic, closest(normalize_topic(topic), known))
            elif normalize_topic(alias) in known:
                errors.add(("aliases", alias), "alias_is_topic", f"{alias!r} is a topic itself", alias)
            elif key in taken and taken[key] != normalize_topic(topic):
                message = f"{alias!r} already means {taken[key]!r}"
                errors.add(("aliases", alias), "alias_taken", message, alias)
            taken.setdefault(key, normalize_topic(topic))
        if not known:
            errors.add(("edges",), "empty", "a taxonomy needs at least one topic ('edges' or 'topics')", None)
        errors.raise_any()


# ---------------------------------------------------------------------------- geography

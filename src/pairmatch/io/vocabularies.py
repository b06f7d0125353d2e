"""A programme's own geography and focus taxonomy, from JSON files named in the settings.

Geography file::

    {"places": ["Birmingham", "Coventry", "Wolverhampton"],
     "borders": [["Birmingham", "Coventry"], ["Birmingham", "Wolverhampton"]],
     "units": {"Birmingham LPA": ["Birmingham"], "Black Country": ["Wolverhampton"]},
     "unit_name": "policing area"}

Taxonomy file::

    {"edges": [["knife crime", "violent crime"], {"a": "violent crime", "b": "community safety"}],
     "topics": ["road safety"], "decay": 0.5, "max_distance": 3}

Only ``places`` (or ``borders``) and ``edges`` (or ``topics``) are required.
The vocabulary classes read the files (``from_file``); when a file is
rejected, it is checked key by key here so that every problem is named.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..geography import FILE_KEYS as GEOGRAPHY_FILE_KEYS
from ..geography import Geography
from ..taxonomy import EDGE_KEYS, Taxonomy
from ..taxonomy import FILE_KEYS as TAXONOMY_FILE_KEYS
from ..text import excerpt, quoted
from .issues import InputIssue, IssueLog

__all__ = [
    "GEOGRAPHY_KEYS",
    "TAXONOMY_KEYS",
    "geography_from_file",
    "load_geography",
    "load_taxonomy",
    "taxonomy_from_file",
]

# The keys the vocabulary classes read, so that no valid key is reported as unknown here.
GEOGRAPHY_KEYS = GEOGRAPHY_FILE_KEYS
TAXONOMY_KEYS = TAXONOMY_FILE_KEYS


class _Checker:
    """Key-by-key checks of one vocabulary file, reporting to a log."""

    def __init__(self, file: str, log: IssueLog) -> None:
        self.file, self.log, self.ok = file, log, True

    def bad(self, key: str | None, value: Any, message: str, suggestion: str | None = None) -> None:
        self.ok = False
        shown = None if value is None or isinstance(value, (dict, list)) else excerpt(value)
        self.log.add(InputIssue(self.file, None, key, shown, message, suggestion, "line", "key"))

    def keys(self, data: Any, allowed: tuple[str, ...], what: str) -> bool:
        if not isinstance(data, Mapping):
            self.bad(None, None, f"a {what} file must hold one JSON object with the keys {', '.join(allowed)}")
            return False
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                self.bad(
                    excerpt(key), None, f"unknown key (expected {', '.join(allowed)})", close[0] if close else None
                )
        return True

    def names(self, data: Mapping[str, Any], key: str, label: str | None = None) -> list[str]:
        label = label or key
        value = data.get(key, [])
        if not isinstance(value, list):
            self.bad(label, value, "must be a list of names")
            return []
        out = []
        for k, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
            else:
                self.bad(f"{label}[{k}]", item, "must be a non-empty name")
        return out

    def pairs(
        self, data: Mapping[str, Any], key: str, object_keys: tuple[str, ...] = ("a", "b")
    ) -> list[tuple[str, str]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.bad(key, value, 'must be a list of pairs such as ["A", "B"]')
            return []
        out = []
        for k, item in enumerate(value):
            if isinstance(item, Mapping) and {"a", "b"} <= set(item) <= set(object_keys):
                item = [item["a"], item["b"]]
            if (
                isinstance(item, (list, tuple))
                and len(item) == 2
                and all(isinstance(x, str) and x.strip() for x in item)
            ):
                out.append((item[0].strip(), item[1].strip()))
            else:
                self.bad(f"{key}[{k}]", None, 'must be a pair of names such as ["A", "B"] or {"a": "A", "b": "B"}')
        return out


def _read_json(path: Path, log: IssueLog) -> Any:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        log.add(InputIssue(file, None, None, None, f"cannot read the file ({err.strerror or err})"))
        return None
    except UnicodeDecodeError:
        log.add(InputIssue(file, None, None, None, "the file is not UTF-8 text"))
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        log.add(
            InputIssue(file, err.lineno, None, None, f"not valid JSON: {err.msg} (column {err.colno})", row_kind="line")
        )
        return None


def _check_geography(data: Any, checker: _Checker) -> bool:
    """Whether the keys this module knows hold no problem (each one found is reported)."""
    if not checker.keys(data, GEOGRAPHY_KEYS, "geography"):
        return False
    places = checker.names(data, "places")
    borders = checker.pairs(data, "borders")
    known = {p.casefold(): p for p in places}
    if places:
        # A misspelt border would silently add a place of its own.
        for k, pair in enumerate(borders):
            for name in pair:
                if name.casefold() not in known:
                    close = difflib.get_close_matches(name, places, n=1)
                    checker.bad(
                        f"borders[{k}]", name, f"{quoted(name)} is not in 'places'", close[0] if close else None
                    )
    elif not borders:
        checker.bad("places", None, "a geography needs at least one place")
    units_raw = data.get("units", {})
    if not isinstance(units_raw, Mapping):
        checker.bad("units", units_raw, "must map each unit's name to a list of its places")
    else:
        seen: dict[str, str] = {}
        for unit, members in units_raw.items():
            names = checker.names(units_raw, unit, f"units.{unit}")
            if not isinstance(members, list):
                continue
            for name in names:
                if places and name.casefold() not in known:
                    close = difflib.get_close_matches(name, places, n=1)
                    checker.bad(
                        f"units.{unit}", name, f"{quoted(name)} is not in 'places'", close[0] if close else None
                    )
                elif name in seen:
                    checker.bad(
                        f"units.{unit}",
                        name,
                        f"{quoted(name)} is also in unit {quoted(seen[name])}; a place belongs to one unit",
                    )
                seen.setdefault(name, unit)
    unit_name = data.get("unit_name", "unit")
    if not isinstance(unit_name, str) or not unit_name.strip():
        checker.bad("unit_name", unit_name, "must be a name such as 'BCU' or 'policing area'")
    return checker.ok


def _check_taxonomy(data: Any, checker: _Checker) -> bool:
    """Whether the keys this module knows hold no problem (each one found is reported)."""
    if not checker.keys(data, TAXONOMY_KEYS, "taxonomy"):
        return False
    edges = checker.pairs(data, "edges", EDGE_KEYS)
    topics = checker.names(data, "topics")
    if not edges and not topics and checker.ok:
        checker.bad("edges", None, "a taxonomy needs at least one topic ('edges' or 'topics')")
    decay = data.get("decay", 0.5)
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay < 1:
        checker.bad("decay", decay, "must be a number between 0 and 1 (relatedness kept per step)")
    max_distance = data.get("max_distance", 3)
    if isinstance(max_distance, bool) or not isinstance(max_distance, int) or max_distance < 0:
        checker.bad("max_distance", max_distance, "must be a whole number, 0 or more")
    return checker.ok


def _vocabulary_from_file(
    path: str | os.PathLike[str], log: IssueLog, kind: type[Geography] | type[Taxonomy], check: Any, what: str
) -> Any:
    """``kind.from_file(path)``; when that fails, the file's problems key by key, or the reason."""
    path = Path(path)
    try:
        return kind.from_file(path)
    except Exception as err:  # a bad file may fail in many ways; report it, whatever it was
        data = _read_json(path, IssueLog())
        if data is None or check(data, _Checker(str(path), log)):
            log.add(InputIssue(str(path), None, None, None, f"not a valid {what} file: {excerpt(err, 300)}"))
        return None


def geography_from_file(path: str | os.PathLike[str], log: IssueLog) -> Geography | None:
    """The geography in ``path``, or None with the problems added to ``log``."""
    geography: Geography | None = _vocabulary_from_file(path, log, Geography, _check_geography, "geography")
    return geography


def taxonomy_from_file(path: str | os.PathLike[str], log: IssueLog) -> Taxonomy | None:
    """The taxonomy in ``path``, or None with the problems added to ``log``."""
    taxonomy: Taxonomy | None = _vocabulary_from_file(path, log, Taxonomy, _check_taxonomy, "taxonomy")
    return taxonomy


def load_geography(path: str | os.PathLike[str]) -> Geography:
    """A geography (places, borders, policing units) from a JSON file.

    Raises
    ------
    InputFileError
        Naming the file and the key of every problem.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "wm.json"
    >>> _ = path.write_text(json.dumps({"places": ["Birmingham", "Coventry"],
    ...     "borders": [["Birmingham", "Coventry"]], "units": {"West": ["Birmingham", "Coventry"]},
    ...     "unit_name": "policing area"}))
    >>> geo = load_geography(path)
    >>> geo.places, geo.unit_name
    (('Birmingham', 'Coventry'), 'policing area')
    """
    log = IssueLog()
    geography = geography_from_file(path, log)
    log.raise_if_any()
    assert geography is not None
    return geography


def load_taxonomy(path: str | os.PathLike[str]) -> Taxonomy:
    """A focus-area taxonomy from a JSON file (``edges``, ``topics``, ``decay``, ``max_distance``).

    Raises
    ------
    InputFileError
        Naming the file and the key of every problem.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "topics.json"
    >>> _ = path.write_text(json.dumps({"edges": [["road safety", "community safety"]]}))
    >>> load_taxonomy(path).relatedness("road safety", "community safety")
    0.5
    """
    log = IssueLog()
    taxonomy = taxonomy_from_file(path, log)
    log.raise_if_any()
    assert taxonomy is not None
    return taxonomy

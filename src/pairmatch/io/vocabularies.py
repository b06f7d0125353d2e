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
Both documents are checked by their one model (`GeographySpec`,
`TaxonomySpec`); every problem it finds is reported with its key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..geography import Geography, GeographySpec
from ..taxonomy import Taxonomy, TaxonomySpec
from ..text import excerpt
from ..vocabulary_documents import document_problems
from .issues import InputIssue, IssueLog

__all__ = [
    "GEOGRAPHY_KEYS",
    "TAXONOMY_KEYS",
    "geography_from_file",
    "load_geography",
    "load_taxonomy",
    "taxonomy_from_file",
]

# The keys of each document, from its model.
GEOGRAPHY_KEYS = tuple(GeographySpec.model_fields)
TAXONOMY_KEYS = tuple(TaxonomySpec.model_fields)


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


def _document(path: str | os.PathLike[str], log: IssueLog, model: type[BaseModel], what: str) -> Any:
    """The ``model`` document in ``path``, or None with its problems (each at its key) in ``log``."""
    file = str(path)
    data = _read_json(Path(path), log)
    if data is None:
        return None
    if not isinstance(data, dict):
        keys = ", ".join(model.model_fields)
        log.add(InputIssue(file, None, None, None, f"a {what} file must hold one JSON object with the keys {keys}"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        for problem in document_problems(err, model):
            value = problem.value
            shown = None if value is None or isinstance(value, (dict, list)) else excerpt(value)
            log.add(
                InputIssue(file, None, problem.key or None, shown, problem.message, problem.suggestion, "line", "key")
            )
        return None


def geography_from_file(path: str | os.PathLike[str], log: IssueLog) -> Geography | None:
    """The geography in ``path``, or None with the problems added to ``log``."""
    spec = _document(path, log, GeographySpec, "geography")
    return None if spec is None else Geography.from_spec(spec)


def taxonomy_from_file(path: str | os.PathLike[str], log: IssueLog) -> Taxonomy | None:
    """The taxonomy in ``path``, or None with the problems added to ``log``."""
    spec = _document(path, log, TaxonomySpec, "taxonomy")
    return None if spec is None else Taxonomy.from_spec(spec)


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

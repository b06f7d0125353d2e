"""Both sides and the settings into one `Problem`, with every mistake reported at once.

Spreadsheet, settings and cross-file problems (an id on both sides, a rule
naming someone in neither file, a quota on an attribute nobody has) are
collected together before anything is built, so fixing one file never
uncovers a second round of errors.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..datasets import default_taxonomy, london
from ..geography import Geography
from ..models import Problem
from ..taxonomy import Taxonomy
from ..text import excerpt, quoted
from .config import Config, TomlLines, config_from_mapping, read_config_into
from .issues import InputIssue, IssueLog
from .people import SideData, bulk, read_side

__all__ = ["Sheets", "load_problem", "load_sides", "problem_from_frames", "sheet_names"]

_ATTRIBUTE_KEYS = ("focus", "borough", "bcu")


def _config(config: Any, log: IssueLog) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, Mapping):
        return config_from_mapping(config, log)
    return read_config_into(config, log)


def _cross_checks(cfg: Config, left: SideData, right: SideData, log: IssueLog) -> None:
    """Ids on both sides; rule ids and quota keys that match nobody (by line of the settings)."""
    if left.table is not None and right.table is not None:
        for pid, row in right.rows.items():
            if pid in left.rows:
                log.add(
                    InputIssue(
                        right.table.file,
                        row,
                        right.table.column("id"),
                        excerpt(pid),
                        f"id {quoted(pid)} is also a mentor id ({left.where(pid)}); ids must be "
                        "unique across both sides",
                        row_kind=right.table.row_kind,
                    )
                )
    lines = TomlLines(cfg.text) if cfg.text else None
    file = cfg.source or "settings"
    sides = {"mentor": left, "mentee": right}
    for rule in ("forbidden_pairs", "required_pairs"):
        for k, pair in enumerate(getattr(cfg.rules, rule)):
            for pid, role in zip(pair, ("mentor", "mentee"), strict=True):
                side = sides[role]
                if side.table is None or pid in side.rows:
                    continue  # an unreadable file is reported already
                other = sides["mentee" if role == "mentor" else "mentor"]
                if pid in other.rows:
                    message = (
                        f"{quoted(pid)} is a {'mentee' if role == 'mentor' else 'mentor'} id, not a {role} "
                        f"id ({other.where(pid)}); pairs are written [mentor, mentee]"
                    )
                    close = None
                else:
                    message = f"{quoted(pid)} is not a {role} id (no such id in {side.file})"
                    found = difflib.get_close_matches(pid, list(side.rows), n=1) if len(pid) < 100 else []
                    close = found[0] if found else None
                line = lines.value(("rules", rule), pid) if lines else None
                log.add(InputIssue(file, line, f"rules.{rule}[{k}]", excerpt(pid), message, close, "line", "setting"))
    for k, quota in enumerate(cfg.rules.quotas):
        side = sides[quota.side]
        if side.table is None or quota.key in _ATTRIBUTE_KEYS:
            continue
        known = {name for person in side.people for name in person.attributes}
        known |= {
            key
            for key in side.table.headers
            if key not in ("id", "name", "focus_areas", "boroughs", "availability", "min_partners", "max_partners")
        }
        if quota.key not in known:
            close = difflib.get_close_matches(quota.key, sorted(known), n=1)
            hint = f" (columns: {', '.join(sorted(known))})" if known else " (it has no attribute columns)"
            line = lines.key(("rules", "quotas", k, "key")) if lines else None
            log.add(
                InputIssue(
                    file,
                    line,
                    f"rules.quotas[{k}].key",
                    excerpt(quota.key),
                    f"{quoted(quota.key)} is not an attribute of any {quota.side} in {side.file}{hint}",
                    close[0] if close else None,
                    "line",
                    "setting",
                )
            )


def load_sides(
    mentors: Any,
    mentees: Any,
    config: Any,
    log: IssueLog,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
    sheets: Sheets = None,
) -> tuple[Config, SideData, SideData, Taxonomy, Geography]:
    """Read the settings and both sides, adding every problem (cross-file ones too) to ``log``."""
    cfg = _config(config, log)
    taxonomy = taxonomy or cfg.taxonomy or default_taxonomy()
    geography = geography or cfg.geography or london()
    mentor_sheet, mentee_sheet = sheet_names(sheets, getattr(cfg, "sheets", None))
    left = read_side(mentors, "mentor", taxonomy, geography, mentor_sheet, log)
    right = read_side(mentees, "mentee", taxonomy, geography, mentee_sheet, log)
    _cross_checks(cfg, left, right, log)
    return cfg, left, right, taxonomy, geography


Sheets = str | tuple[str | None, str | None] | None


def sheet_names(sheets: Sheets, configured: Sheets = None) -> tuple[str | None, str | None]:
    """``(mentors' sheet, mentees' sheet)``: one name for both, a pair, or the settings' when None.

    >>> sheet_names("Data"), sheet_names(("Young people", "Officers")), sheet_names(None)
    (('Data', 'Data'), ('Young people', 'Officers'), (None, None))
    """
    chosen = sheets if sheets is not None else configured
    if chosen is None:
        return None, None
    if isinstance(chosen, str):
        return chosen, chosen
    return chosen[0], chosen[1]


def build_problem(
    cfg: Config, left: SideData, right: SideData, taxonomy: Taxonomy, geography: Geography, log: IssueLog
) -> Problem:
    """The `Problem`, once every row passed; its own checks are the last safety net."""
    log.raise_if_any()
    try:
        return Problem(
            mentors=left.people,
            mentees=right.people,
            weights=cfg.weights,
            rules=cfg.rules,
            meeting_minutes=cfg.meeting_minutes,
            taxonomy=taxonomy,
            geography=geography,
            name=cfg.name,
            description=cfg.description,
        )
    except ValidationError as err:
        for e in err.errors():
            message = str(e["ctx"]["error"]) if "error" in (e.get("ctx") or {}) else str(e["msg"])
            log.add(InputIssue(cfg.source or "settings", None, None, None, message, None, "line", "setting"))
        raise log.error() from err


def load_problem(
    mentors: Any,
    mentees: Any,
    config: str | os.PathLike[str] | Config | Mapping[str, Any] | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
    sheets: Sheets = None,
    warnings: list[InputIssue] | None = None,
) -> tuple[Problem, Config]:
    """Read both sides and the settings into a `Problem`, reporting every problem at once.

    Parameters
    ----------
    mentors, mentees : path or DataFrame
        See `read_people`. Both may be the same ``.xlsx`` workbook with sheets
        named ``mentors`` and ``mentees``.
    config : path, Config, dict or None
        TOML settings (see `read_config`), or a dict with the same keys;
        defaults apply when None.
    taxonomy, geography : optional
        Custom vocabularies; they take precedence over the settings'
        ``[vocabularies]`` files (default: built-in taxonomy, London boroughs).
    sheets : str or (str, str), optional
        The worksheet of each ``.xlsx`` file: one name for both, or the
        mentors' and the mentees' (default: a sheet named ``mentors`` /
        ``mentees``, else the first). An unknown name is an error listing the sheets.
    warnings : list, optional
        Receives what reading found worth a look but not wrong (hidden rows,
        merged cells, formulas without a saved value), as `InputIssue` with
        ``severity="warning"``.

    Returns
    -------
    (Problem, Config)

    Raises
    ------
    InputFileError
        With the issues of all three sources, and of ids used on both sides,
        named in rules but listed nowhere, or quotas on unknown attributes.

    Examples
    --------
    >>> from pairmatch.io import sample_path
    >>> problem, config = load_problem(sample_path("pilot", "mentors.csv"),
    ...                                sample_path("pilot", "mentees.csv"),
    ...                                sample_path("pilot", "config.toml"))
    >>> problem.shape, config.seed
    ((3, 3), 0)
    """
    log = IssueLog()
    with bulk():
        cfg, left, right, tax, geo = load_sides(
            mentors, mentees, config, log, taxonomy=taxonomy, geography=geography, sheets=sheets
        )
        if warnings is not None:
            warnings.extend(log.warnings)
        return build_problem(cfg, left, right, tax, geo, log), cfg


def problem_from_frames(
    mentors: Any,
    mentees: Any,
    config: str | os.PathLike[str] | Config | Mapping[str, Any] | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
) -> Problem:
    """A `Problem` from two pandas DataFrames in the column layout, for notebooks.

    Parameters
    ----------
    mentors, mentees : pandas.DataFrame
        One row per person (files work too); problems are reported by index label.
    config : path, Config, dict or None
        Settings: a TOML file, a `Config`, or a dict with the TOML file's keys
        (``{"weights": {...}, "rules": {...}}``).
    taxonomy, geography : optional
        Custom vocabularies.

    Raises
    ------
    InputFileError
        Listing every problem in both frames and the settings.

    Examples
    --------
    >>> import pandas as pd
    >>> mentors = pd.DataFrame({"id": ["M1"], "focus_areas": ["knife crime"], "boroughs": ["Brent"],
    ...                         "availability": ["Mon 18:00-20:00"]})
    >>> mentees = pd.DataFrame({"id": ["O1"], "focus_areas": ["knife crime"], "boroughs": ["Harrow"],
    ...                         "availability": ["Mon 18:00-20:00"]})
    >>> problem = problem_from_frames(mentors, mentees, {"weights": {"focus": 1, "borough": 0, "availability": 0}})
    >>> problem.shape, problem.weights.focus
    ((1, 1), 1.0)
    """
    return load_problem(mentors, mentees, config, taxonomy=taxonomy, geography=geography)[0]

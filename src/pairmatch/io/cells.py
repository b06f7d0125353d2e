"""Cell values as spreadsheets give them: blanks, numbers stored as floats, typed attributes."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "FORMULA_STARTS",
    "attribute_value",
    "blank",
    "cell_text",
    "column_key",
    "items",
    "unescape_formula",
    "whole_number",
]

# Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ALIASES = {
    "focus_area": "focus_areas",
    "focus": "focus_areas",
    "borough": "boroughs",
    "min_partner": "min_partners",
    "max_partner": "max_partners",
}

_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")


def column_key(header: Any) -> str:
    """The layout name of a header: lower case, spaces and dashes as ``_``, aliases resolved.

    >>> column_key(" Focus-areas "), column_key("Borough")
    ('focus_areas', 'boroughs')
    """
    key = "_".join(str(header).strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


def blank(value: Any) -> bool:
    """True for an empty cell (None, NaN, pandas' missing markers, whitespace)."""
    if type(value) is str:  # the common case first: this runs for every cell
        return not value or value.isspace()
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def unescape_formula(text: str) -> str:
    """Drop the ``'`` that marks text such as ``'=SUM(A1)`` as text, not a formula.

    Files written by pairmatch (and spreadsheets) put it there; reading it back
    gives the text as it was.

    >>> unescape_formula("'=HYPERLINK(1)"), unescape_formula("O'Brien")
    ('=HYPERLINK(1)', "O'Brien")
    """
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A cell as text: ``101.0`` (how spreadsheets store 101) is ``"101"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def items(value: Any) -> list[str]:
    """The ``;``-separated items of a cell (or of a JSON list), stripped, blanks dropped."""
    if blank(value):
        return []
    parts = value if isinstance(value, (list, tuple)) else [value]
    return [p.strip() for part in parts for p in cell_text(part).split(";") if p.strip()]


def attribute_value(value: Any) -> bool | int | float | str:
    """Typed attribute value: spreadsheets give text, rules compare values.

    >>> attribute_value("18"), attribute_value("007"), attribute_value("TRUE"), attribute_value("1.5")
    (18, '007', True, 1.5)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.fullmatch(text):
        return int(text)
    # "007" stays text: leading zeros mark codes, not numbers.
    if _FLOAT.fullmatch(text) and not re.match(r"[+-]?0\d", text):
        return float(text)
    return text


def whole_number(value: Any) -> Any:
    """``value`` as an int when it is a whole number written any spreadsheet way
    (``2``, ``"2"``, ``2.0``, ``"2.0"``); otherwise unchanged, for the model to reject.

    >>> whole_number("2.0"), whole_number(" 3 "), whole_number("x")
    (2, 3, 'x')
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    text = str(value).strip()
    if len(text) < 30 and _WHOLE.fullmatch(text):
        return int(float(text)) if "." in text else int(text)
    return value

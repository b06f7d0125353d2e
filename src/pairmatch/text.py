"""Text that is safe to show: control characters escaped, never printed raw."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["chart_label", "control_characters", "excerpt", "printable", "quoted"]

# Bidirectional overrides and isolates can make text display in a different
# order than it is stored ("Trojan Source"), so they count as control characters.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The same set as one character class, so clean text (nearly all of it) is checked
# in one regular-expression scan: Unicode category Cc is exactly U+0000-U+001F and
# U+007F-U+009F, Zl is U+2028 and Zp is U+2029.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, as ``U+XXXX`` codes in order of appearance.

    >>> control_characters("M1\\x1b[2J")
    ['U+001B']
    """
    if _ANY_CONTROL.search(text) is None:
        return []
    return [f"U+{ord(ch):04X}" for ch in text if _is_control(ch)]


def printable(text: object) -> str:
    """``text`` with every control character shown as an escape such as ``\\x1b``.

    >>> printable("M1\\x1b[2J")
    'M1\\\\x1b[2J'
    """
    value = str(text)
    if _ANY_CONTROL.search(value) is None:
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in value)


def excerpt(text: object, limit: int = 80) -> str:
    """``text`` made safe to echo in a message: control characters escaped and
    anything beyond ``limit`` characters cut, saying how long it was.

    The text is cut before it is escaped, so echoing a huge cell costs no more
    than echoing a short one.

    >>> excerpt("Mon 18:00-20:00")
    'Mon 18:00-20:00'
    >>> excerpt("x" * 100_000, limit=5)
    'xxxxx... (100000 characters)'
    >>> excerpt("M1\\x1b[2J")
    'M1\\\\x1b[2J'
    """
    value = str(text)
    if len(value) <= limit:
        return printable(value)
    return f"{printable(value[:limit])}... ({len(value)} characters)"


def quoted(text: object, limit: int = 80) -> str:
    """`excerpt` in quotes, for messages that echo a value (``repr`` would double the
    backslashes of escaped control characters).

    >>> print(quoted("Newhm"), quoted("O'Brien"), quoted("M1\\x1b[2J"))
    'Newhm' "O'Brien" 'M1\\x1b[2J'
    """
    shown = excerpt(text, limit)
    if "'" in shown and '"' not in shown:
        return f'"{shown}"'
    return f"'{shown}'"


def chart_label(text: object) -> str:
    """``text`` for a matplotlib label: every ``$`` escaped, so the label is drawn as
    written (matplotlib reads text between two ``$`` as mathematics, and fails on bad
    mathematics).

    >>> print(chart_label("budget $^$ cuts"))
    budget \\$^\\$ cuts
    """
    return str(text).replace("$", r"\$")

"""Text that is safe to show: control characters escaped, never printed raw."""

from __future__ import annotations

import unicodedata

__all__ = ["control_characters", "printable"]

# Bidirectional overrides and isolates can make text display in a different
# order than it is stored ("Trojan Source"), so they count as control characters.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, as ``U+XXXX`` codes in order of appearance.

    >>> control_characters("M1\\x1b[2J")
    ['U+001B']
    """
    return [f"U+{ord(ch):04X}" for ch in text if _is_control(ch)]


def printable(text: object) -> str:
    """``text`` with every control character shown as an escape such as ``\\x1b``.

    >>> printable("M1\\x1b[2J")
    'M1\\\\x1b[2J'
    """
    value = str(text)
    if not any(_is_control(ch) for ch in value):
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in value)

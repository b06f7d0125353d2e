"""Text that is safe to store and to show: one form per visible string, nothing hidden.

Every identifier and name that enters pairmatch (ids, names, focus areas,
boroughs, attribute values, cohort names, reasons; from files, config, the
JSON contract, the service or the store) goes through `clean_text`: it is put
in Unicode NFC, so ``"é"`` typed as one character and as ``e`` plus an accent
are the same id, every kind of space becomes an ordinary space, and control
or invisible characters (a zero-width space, a right-to-left mark, a
byte-order mark, ...) are refused with a message naming them, so a copy of
``M1`` with a hidden character can never become a second person who prints
as ``M1``. What is shown goes through `printable`, which escapes anything
`clean_text` refuses.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "CleanStr",
    "TextError",
    "chart_label",
    "clean_text",
    "control_characters",
    "excerpt",
    "hidden_characters",
    "printable",
    "quoted",
]

# Bidirectional overrides and isolates can make text display in a different
# order than it is stored ("Trojan Source"), so they count as control characters.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The same set as one character class, so clean text (nearly all of it) is checked
# in one regular-expression scan: Unicode category Cc is exactly U+0000-U+001F and
# U+007F-U+009F, Zl is U+2028 and Zp is U+2029.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Default-ignorable code points outside category Cf (Unicode's DerivedCoreProperties): they
# draw nothing, yet str.isprintable() accepts them (combining grapheme joiner, Hangul
# fillers, Khmer inherent vowels, Mongolian variation selectors, variation selectors).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
_JOINERS = frozenset("\u200c\u200d")
# Scripts whose spelling needs the zero-width joiner and non-joiner between letters (Persian,
# Urdu, Bengali, Hindi, Tamil, Sinhala, ... names): there, and only there, they are text.
_JOINING_SCRIPTS = (
    "ARABIC",
    "SYRIAC",
    "NKO",
    "MONGOLIAN",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "KHMER",
    "MYANMAR",
)


class TextError(ValueError):
    """Text with a control or invisible character, which would print the same as other text.

    A `ValueError`, so pydantic validators that call `clean_text` report it as
    a validation error of the field.
    """


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


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _joined(text: str, k: int) -> bool:
    """Whether the joiner at ``text[k]`` sits between two characters of a script that uses it."""
    return (
        0 < k < len(text) - 1 and _script(text[k - 1]) in _JOINING_SCRIPTS and _script(text[k + 1]) in _JOINING_SCRIPTS
    )


def _clean_fast(text: str) -> bool:
    """True for text with nothing to refuse (nearly all text: one C-speed scan, two for non-ASCII)."""
    if text.isascii():
        return text.isprintable()
    return text.isprintable() and _IGNORABLE.search(text) is None


def _hidden_at(text: str) -> list[int]:
    """Positions of the characters `clean_text` refuses."""
    if _clean_fast(text):
        return []
    found = []
    for k, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp") or _IGNORABLE.match(ch):
            if ch in _JOINERS and _joined(text, k):
                continue
            found.append(k)
    return found


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def hidden_characters(text: str) -> list[str]:
    """The characters `clean_text` refuses, as ``U+XXXX NAME`` in order of appearance.

    Control characters (which have no name) are shown by code alone.

    >>> hidden_characters("M1\\u200b")
    ['U+200B ZERO WIDTH SPACE']
    >>> hidden_characters("M1\\x1b")
    ['U+001B']
    >>> hidden_characters("Ali")
    []
    """
    return [_describe(text[k]) for k in _hidden_at(text)]


def clean_text(text: str) -> str:
    """``text`` in Unicode NFC with every space as an ordinary space; refuses control
    and invisible characters.

    The one check for every identifier and name pairmatch accepts. Refused:
    control characters (category Cc, line and paragraph separators), format
    characters (category Cf: zero-width space, left-to-right and right-to-left
    marks, bidirectional overrides, byte-order mark, soft hyphen, ...),
    surrogates, and the other characters Unicode defines as drawing nothing
    (combining grapheme joiner, Hangul fillers, variation selectors). The
    zero-width joiner and non-joiner are kept between two letters of a script
    that spells with them (Arabic, Persian, Bengali, Devanagari, ...).

    Raises
    ------
    TextError
        Naming each refused character, with the text escaped.

    Examples
    --------
    >>> clean_text("Jose\\u0301") == "Jos\\u00e9"
    True
    >>> clean_text("Tower\\u00a0Hamlets")
    'Tower Hamlets'
    >>> clean_text("M1\\u200b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pairmatch.text.TextError: 'M1\\u200b' contains invisible characters (U+200B ZERO WIDTH SPACE); use...
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    if _clean_fast(text):
        return text if text.isascii() else unicodedata.normalize("NFC", text)
    found = _hidden_at(text)
    if found:
        chars = [text[k] for k in found]
        controls = sum(1 for ch in chars if _is_control(ch))
        kind = (
            "control characters"
            if controls == len(chars)
            else "invisible characters"
            if not controls
            else "control and invisible characters"
        )
        codes = ", ".join(dict.fromkeys(_describe(ch) for ch in chars))
        raise TextError(f"{quoted(text)} contains {kind} ({codes}); use printable text only")
    spaced = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)
    return unicodedata.normalize("NFC", spaced)


def printable(text: object) -> str:
    """``text`` with every character `clean_text` refuses shown as an escape such as ``\\x1b``.

    >>> printable("M1\\x1b[2J")
    'M1\\\\x1b[2J'
    >>> printable("M1\\u200b")
    'M1\\\\u200b'
    """
    value = str(text)
    if _clean_fast(value):
        return value
    hidden = set(_hidden_at(value))
    if not hidden:
        return value
    return "".join(ch.encode("unicode_escape").decode("ascii") if k in hidden else ch for k, ch in enumerate(value))


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


CleanStr = Annotated[str, AfterValidator(clean_text)]
"""A pydantic string field checked by `clean_text` (NFC, ordinary spaces, nothing hidden)."""

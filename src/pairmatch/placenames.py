"""Written names of places and units, and what each one means.

A `NameIndex` maps every way a name is written (case, ``&``/``and``,
hyphens, apostrophes, words such as "London Borough of" before or "Council"
after it) to what it means: one place, or several when a town spans
boroughs. `PlaceMatch` is the answer for one written name, with the note a
person reads ("Stratford -> Newham"). Suggestions rank known names by
spelling only when they are close, and say nothing rather than guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .vocabulary_documents import normalize_place

__all__ = ["NameIndex", "PlaceMatch"]

# Words that say nothing about which place is meant ("Barking and Dagenham").
_FILLER = frozenset({"and", "of", "on", "the", "upon"})
# A full UK postcode ("SE15 5AB"): its outward code is the part that names a district.
_POSTCODE = re.compile(r"^([a-z]{1,2}[0-9][a-z0-9]?) ?[0-9][a-z]{2}$")
# The kinds of name, most official first (suggestions prefer them on ties).
KINDS = ("place", "alias", "whole area", "locality", "postcode")


@dataclass(frozen=True)
class PlaceMatch:
    """What one written name means.

    Attributes
    ----------
    written : str
        The name as given.
    name : str or None
        The known name it matched ("Stratford"), None when unknown.
    kind : str
        "place" (an official name), "alias", "whole area", "locality",
        "postcode" or "unknown".
    places : tuple of str
        The place or places it lies in: one for a resolved name, several for
        a name that spans places, none for an unknown one.

    Examples
    --------
    >>> m = PlaceMatch("stratford", "Stratford", "locality", ("Newham",))
    >>> m.place, m.note, m.label
    ('Newham', 'stratford -> Newham', 'stratford (Newham)')
    """

    written: str
    name: str | None
    kind: str
    places: tuple[str, ...] = ()

    @property
    def place(self) -> str | None:
        """The one place meant, or None (unknown, or spanning several)."""
        return self.places[0] if len(self.places) == 1 else None

    @property
    def ambiguous(self) -> bool:
        """True when the name lies in more than one place."""
        return len(self.places) > 1

    @property
    def note(self) -> str | None:
        """ "Stratford -> Newham" when the name was not the place's own name, else None."""
        place = self.place
        if place is None or self.kind == "place" or normalize_place(self.written) == normalize_place(place):
            return None
        return f"{self.written} -> {place}"

    @property
    def label(self) -> str:
        """The written name with its place, "Stratford (Newham)", or the place's own name."""
        place = self.place
        if place is None:
            return self.written
        return f"{self.written} ({place})" if self.note else place

    def describe(self) -> str:
        """The name and where it lies, for messages: "'Peckham' (Southwark)"."""
        shown = repr(self.name if self.name is not None else self.written)
        if not self.places or (self.kind == "place" and self.places == (self.name,)):
            return shown
        return f"{shown} ({_words(self.places)})"


class NameIndex:
    """Every written form of a set of names, and what each means.

    Parameters
    ----------
    prefixes, suffixes : iterable of str
        Words that may come before or after a name and say nothing about
        which one is meant ("London Borough of", "Council", "BCU").

    Examples
    --------
    >>> index = NameIndex(suffixes=["council"])
    >>> index.add("Newham", "place", ("Newham",))
    >>> index.add("Stratford", "locality", ("Newham",))
    >>> index.add("Crystal Palace", "locality", ("Bromley", "Croydon"))
    >>> index.resolve("newham council").place, index.resolve("STRATFORD").note
    ('Newham', 'STRATFORD -> Newham')
    >>> index.resolve("Crystal Palace").places, index.resolve("Atlantis").kind
    (('Bromley', 'Croydon'), 'unknown')
    >>> index.suggest("Stratfrod").describe(), index.suggest("Heathrow")
    ("'Stratford' (Newham)", None)
    """

    def __init__(self, *, prefixes: Iterable[str] = (), suffixes: Iterable[str] = ()) -> None:
        self.prefixes = tuple(dict.fromkeys(k for p in prefixes if (k := normalize_place(p))))
        self.suffixes = tuple(dict.fromkeys(k for s in suffixes if (k := normalize_place(s))))
        self._by_key: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self._compact: dict[str, set[str]] = {}
        self._cache: dict[str, PlaceMatch] = {}
        self._suggested: dict[str, PlaceMatch | None] = {}

    def add(self, name: str, kind: str, places: tuple[str, ...]) -> None:
        """Let ``name`` mean ``places``; a name already known keeps its first, more official meaning."""
        key = normalize_place(name)
        if key and key not in self._by_key:
            self._by_key[key] = (name, kind, tuple(places))
            self._compact.setdefault(key.replace(" ", ""), set()).add(key)
        self._cache.clear()
        self._suggested.clear()

    def __len__(self) -> int:
        return len(self._by_key)

    def entries(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """Every known name with its kind and places, in the order added."""
        return iter(self._by_key.values())

    def _keys(self, text: str) -> Iterator[str]:
        """``text``'s matching key, then the same with known prefixes and suffixes removed."""
        key = normalize_place(text)
        yield key
        changed = True
        while changed:
            changed = False
            for prefix in self.prefixes:
                if key.startswith(prefix + " "):
                    key, changed = key[len(prefix) + 1 :], True
                    yield key
            for suffix in self.suffixes:
                if key.endswith(" " + suffix):
                    key, changed = key[: -len(suffix) - 1], True
                    yield key

    def _find(self, key: str) -> tuple[str, str, tuple[str, ...]] | None:
        found = self._by_key.get(key)
        if found is None:
            # A squeezed spelling ("TowerHamlets") counts only when it points at one name.
            squeezed = self._compact.get(key.replace(" ", ""))
            if squeezed is not None and len(squeezed) == 1:
                found = self._by_key[next(iter(squeezed))]
        if found is None and (postcode := _POSTCODE.match(key.replace(" ", ""))):
            found = self._by_key.get(postcode[1])
        return found

    def resolve(self, text: str) -> PlaceMatch:
        """What ``text`` means (kind "unknown" with no places when nothing matches)."""
        written = str(text)
        hit = self._cache.get(written)
        if hit is not None:
            return hit
        match = PlaceMatch(written.strip(), None, "unknown")
        for key in self._keys(written):
            found = self._find(key)
            if found is not None:
                match = PlaceMatch(written.strip(), *found)
                break
        if len(self._cache) < 100_000:
            self._cache[written] = match
        return match

    def suggest(self, text: str) -> PlaceMatch | None:
        """The known name most likely meant, or None when no name is close enough to say.

        The name itself when known; then a name whose words start with the
        words given ("Kingst" -> Kingston upon Thames); then a name whose
        words are each a close spelling ("Peckam" -> Peckham). Nothing weaker:
        a wrong confident suggestion is worse than none.
        """
        written = str(text)
        if written not in self._suggested:
            match = self.resolve(written)
            self._suggested[written] = match if match.places else self._closest(written)
        return self._suggested[written]

    def _closest(self, text: str) -> PlaceMatch | None:
        key = list(self._keys(text))[-1]
        words = [w for w in key.split() if w not in _FILLER] or key.split()
        if not words or len(key) > 200:
            return None
        best: tuple[int, int, float, str] | None = None
        for name_key, (_name, kind, _places) in self._by_key.items():
            if kind == "postcode":
                continue
            tier = _tier(key, words, name_key)
            if tier is not None:
                ratio = difflib.SequenceMatcher(None, key, name_key).ratio()
                rank = (tier, KINDS.index(kind), -ratio, name_key)
                best = rank if best is None or rank < best else best
        if best is None:
            return None
        name, kind, places = self._by_key[best[3]]
        return PlaceMatch(str(text).strip(), name, kind, places)


def _tier(key: str, words: list[str], name_key: str) -> int | None:
    """0: every word begins a word of the name; 1: every word is a close spelling of one; else None."""
    name_words = [w for w in name_key.split() if w not in _FILLER] or name_key.split()
    if len(words) > len(name_words):
        return None
    # Words match in order from the name's first word ("Waltham" is Waltham Forest, "Kent" is not Old
    # Kent Road), and a beginning counts when it is long enough to mean something ("Richm", not
    # "Kent" for Kenton).
    pairs = list(zip(words, name_words, strict=False))
    if all(n.startswith(w) and (len(w) >= 5 or 4 * len(w) >= 3 * len(n) >= 9) for w, n in pairs):
        return 0
    close = all(difflib.SequenceMatcher(None, w, n).ratio() >= 0.8 for w, n in pairs)
    if close and difflib.SequenceMatcher(None, key, name_key).ratio() >= 0.85:
        return 1
    return None


def _words(items: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

"""Write the tables of accepted names into the docs from the data (run after changing a vocabulary).

    python docs/scripts/write_vocabulary_tables.py

Every place name, postcode, unit name and topic alias the built-in vocabularies
accept is listed in ``docs/place-names.md`` and every taxonomy link in
``docs/geography-and-topics.md``, each between ``<!-- generated: NAME -->``
and ``<!-- end generated: NAME -->``. A test checks that the committed pages
match the data.
"""

from __future__ import annotations

import re
from pathlib import Path

from pairmatch.datasets import default_taxonomy, london

DOCS = Path(__file__).resolve().parents[1]
KIND_WORDS = {
    "place": "official name",
    "alias": "alias",
    "whole area": "London-wide role",
    "locality": "town or neighbourhood",
    "postcode": "outward postcode",
}


def cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def place_names() -> str:
    geo = london()
    sources = {}
    for k, gazetteer in enumerate(geo.spec.gazetteer, 1):
        for name in (*gazetteer.places, *gazetteer.postcodes):
            sources[name] = k
    rows = ["| name | kind | borough or boroughs | source |", "|---|---|---|---|"]
    for name, kind, places in sorted(geo.names.entries(), key=lambda e: (e[0].casefold(), e[1])):
        where = ", ".join(places)
        if len(places) > 1:
            where += " (an error: write one)"
        source = f"[{sources[name]}](#sources)" if name in sources else "london.json"
        rows.append(f"| {cell(name)} | {KIND_WORDS[kind]} | {cell(where)} | {source} |")
    notes = [f"{len(rows) - 2} names.", "", "### Sources", ""]
    for k, gazetteer in enumerate(geo.spec.gazetteer, 1):
        notes.append(f"{k}. {gazetteer.source}. Licence: {gazetteer.licence}. Retrieved {gazetteer.retrieved}.")
    return "\n".join([*rows, "", *notes])


def unit_names() -> str:
    geo = london()
    rows = [f"| name | {geo.unit_name} |", "|---|---|"]
    for name, kind, units in sorted(geo.unit_names.entries(), key=lambda e: (e[2][0], e[1] != "place", e[0])):
        rows.append(f"| {cell(name)}{' (official)' if kind == 'place' else ''} | {cell(units[0])} |")
    return "\n".join(rows)


def topic_aliases() -> str:
    tax = default_taxonomy()
    rows = ["| written | topic |", "|---|---|"]
    for alias, topic in sorted(tax.aliases.items(), key=lambda item: (item[1], item[0].casefold())):
        rows.append(f"| {cell(alias)} | {cell(topic)} |")
    return "\n".join(rows)


def topic_links() -> str:
    tax = default_taxonomy()
    rows = ["| # | topic | topic | reason | source |", "|---|---|---|---|---|"]
    for k, link in enumerate(tax.links, 1):
        rows.append(f"| {k} | {link.a} | {link.b} | {cell(link.reason)} | {cell(link.source or '—')} |")
    return "\n".join(rows)


SECTIONS = {
    "place-names.md": {"place names": place_names, "unit names": unit_names, "topic aliases": topic_aliases},
    "geography-and-topics.md": {"topic links": topic_links},
}


def fill(text: str, name: str, content: str) -> str:
    """``text`` with the section ``name`` replaced by ``content``."""
    marker = re.escape(name)
    pattern = re.compile(rf"(<!-- generated: {marker} -->\n)(?:.*?\n)?(<!-- end generated: {marker} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no generated section {name!r}")
    return pattern.sub(lambda m: m[1] + content + "\n" + m[2], text)


def pages() -> dict[str, str]:
    """Each page with its generated sections filled from the data."""
    out = {}
    for page, sections in SECTIONS.items():
        text = (DOCS / page).read_text(encoding="utf-8")
        for name, make in sections.items():
            text = fill(text, name, make())
        out[page] = text
    return out


def main() -> None:
    for page, text in pages().items():
        (DOCS / page).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

"""The display building blocks: escaping, numbers without noise, bounded tables."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pairmatch import display


def parses(html: str) -> ET.Element:
    """The HTML parsed as XML: any unescaped markup from the data breaks the parse."""
    return ET.fromstring(f"<root>{html}</root>")


@given(st.text())
def test_escaped_text_is_never_markup(text):
    shown = display.escape(text, limit=10_000)
    assert "<" not in shown
    assert ">" not in shown
    assert '"' not in shown
    root = parses(f"<td>{shown}</td>")
    assert root.find("td") is not None


def test_control_and_bidi_characters_are_shown_as_escapes():
    shown = display.escape("M1\x1b[2J\u202egnp.exe\x00")
    assert shown == "M1\\x1b[2J\\u202egnp.exe\\x00"
    assert display.short_repr("Pair", "'M1\x1b'") == "Pair('M1\\x1b')"


def test_long_text_is_cut_and_counted():
    assert display.escape("x" * 5000).endswith("… (5000 characters)")
    assert len(display.escape("x" * 10**6)) < 300


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (0.8799999999999999, 3, "0.88"),
        (2.5100000000000002, 4, "2.51"),
        (1.0, 3, "1"),
        (-0.0001, 3, "0"),
        (1e-12, 6, "0"),
        (7, 3, "7"),
        (float("inf"), 3, "inf"),
        (float("nan"), 3, ""),
        (None, 3, ""),
        (True, 3, "True"),
        ("text", 3, "text"),
        (np.float64(0.30000000000000004), 3, "0.3"),
        (np.int64(32900), 3, "32900"),
        (np.float32(0.1), 3, "0.1"),
        (np.bool_(True), 3, "True"),
    ],
)
def test_numbers_have_no_float_noise(value, digits, text):
    assert display.number(value, digits) == text


def test_a_table_reads_only_the_rows_it_shows_and_counts_the_rest():
    read = []

    def rows():
        for k in range(10**9):  # a generator that would never end if read to the end
            read.append(k)
            yield (f"<id{k}>", k / 3)

    html = display.table(("id", "score"), rows(), total=10**9, limit=5, what="pair")
    assert len(read) <= 6
    assert "999,999,995 more pairs not shown (showing 5)" in html
    assert "&lt;id0&gt;" in html
    assert "<id0>" not in html
    assert "0.333" in html
    assert "0.3333333" not in html
    parses(html)


def test_a_heat_table_shades_and_marks_cells():
    html = display.heat_table(["<a>", "b"], ["x", "y"], [[1.0, 0.0], [0.5, 0.25]], marked=lambda i, j: i == j)
    root = parses(html)
    cells = root.findall(".//td")
    assert len(cells) == 4
    assert sum("outline" in c.get("style", "") for c in cells) == 2
    assert "&lt;a&gt;" in html


def test_fields_write_mappings_on_one_line():
    html = display.fields([("certificate", {"proof": "<dual>", "gap": 0.30000000000000004, "pairs": list(range(20))})])
    assert "proof &lt;dual&gt;; gap 0.3; pairs [0, 1, 2, 3, 4, 5, 6, 7, … 12 more]" in html
    parses(html)


def test_a_display_list_is_a_list_with_a_table():
    class Things(display.DisplayList):
        title, what, columns = "Things", "thing", ("name", "size")

        def row(self, item):
            return item

    things = Things([("<b>", 1.5)] * 30)
    assert things == [("<b>", 1.5)] * 30
    assert isinstance(things, list)
    html = things._repr_html_()
    assert "Things: 30 things" in html
    assert "10 more things not shown" in html
    parses(html)
    assert repr(Things([("a", 1)])) == "[('a', 1)]"
    assert repr(things).startswith("Things(30 things, first:")
    assert "no things" in Things()._repr_html_()

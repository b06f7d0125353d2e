"""The report's SVG charts: well-formed XML, every text escaped, empty data drawn, no plotting library."""

from __future__ import annotations

import base64
import itertools
import math
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch.report import build_report, render_html
from pairmatch.report.charts import Chart, report_charts
from pairmatch.report.svg import svg_bars, svg_histogram, svg_place_coverage, ticks, xml_text
from pairmatch.text import printable

SVG = "{http://www.w3.org/2000/svg}"
# Everything the charts are drawn with: no script, no link, no embedded document.
DRAWING = {"svg", "title", "defs", "pattern", "linearGradient", "stop", "rect", "line", "text"}
HOSTILE = ['<script>alert("x")</script>', "O'Brien & <b>co</b>", "]]><!--", "Spring \x1b[2J", "a\ufffeb", "$^$"]


def parse(svg: str) -> ElementTree.Element:
    root = ElementTree.fromstring(svg)
    assert root.tag == SVG + "svg"
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in DRAWING, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert "href" not in name.lower(), name
            assert "javascript:" not in value.lower()
            assert "url(" not in value or value.startswith("url(#"), value
    return root


def texts(root: ElementTree.Element) -> list[str]:
    return [e.text or "" for e in root.iter(SVG + "text")]


def classed(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in root.iter(SVG + "rect") if e.get("class") == name]


def test_histogram_counts_every_score_in_range_once():
    scores = [0.0, 0.04, 0.5, 0.51, 0.99, 1.0, -0.1, 1.5, math.nan]
    root = parse(svg_histogram(scores, 1.0, bins=10, title="Scores"))
    bins = classed(root, "bin")
    assert len(bins) == 3  # [0, 0.1), [0.5, 0.6), [0.9, 1.0]
    heights = {float(b.get("height", 0)) for b in bins}
    assert len(heights) == 1  # two scores in each; -0.1, 1.5 and NaN are outside the range
    labels = texts(root)
    assert "Scores" in labels
    assert root.findtext(SVG + "title") == "Scores"
    # Counts of pairs are whole numbers.
    counts = [t for t in labels if t.replace(",", "").isdigit()]
    assert counts
    assert all(float(t).is_integer() for t in counts)


def test_histogram_of_no_pairs_is_drawn():
    root = parse(svg_histogram([], 0.0))
    assert classed(root, "bin") == []
    assert "no pairs" in texts(root)


def test_bars_show_every_group_with_its_counts():
    rows = [("Brent", 3, 2), ("Harrow", 1, 1), ("Nobody", 0, 0)]
    root = parse(svg_bars(rows, title="Coverage per borough"))
    labels = texts(root)
    assert {"Brent", "Harrow", "Nobody", "2 of 3", "1 of 1", "0 of 0"} <= set(labels)
    assert len(classed(root, "people")) == 2
    assert len(classed(root, "matched")) == 2
    people = {float(r.get("width", 0)) for r in classed(root, "people")}
    assert max(people) == pytest.approx(3 * min(people), abs=0.5)  # bars in proportion to the counts


def test_bars_with_no_rows_are_drawn():
    root = parse(svg_bars([], title="Coverage per focus area"))
    assert "no one" in texts(root)
    assert classed(root, "people") == []


def test_long_group_names_are_shortened_not_dropped():
    name = "x" * 300
    root = parse(svg_bars([(name, 2, 1)], title="t"))
    (label,) = [t for t in texts(root) if t.startswith("x")]
    assert len(label) < 60
    assert label.endswith("\u2026")


@pytest.mark.parametrize("name", HOSTILE)
def test_input_text_is_escaped_in_every_chart(name):
    shown = printable(name).replace("\ufffe", "\\ufffe")
    root = parse(svg_bars([(name, 2, 1)], title=name))
    assert shown in texts(root)
    assert root.findtext(SVG + "title") == shown
    root = parse(svg_histogram([0.5], title=name))
    assert shown in texts(root)
    root = parse(svg_place_coverage([("Brent", 1, 1)], pm.london(), title=name, note=name) or "")
    assert shown in texts(root)
    assert any(t.startswith(shown + ". A person counts") for t in texts(root))  # the note


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(0, 10**6), st.integers(0, 10**6))
def test_any_group_name_gives_well_formed_svg(name, people, matched):
    root = parse(svg_bars([(name, max(people, matched), min(people, matched))], title=name))
    if printable(name) == name and "\ufffe" not in name and "\uffff" not in name:
        assert root.findtext(SVG + "title") == name


def test_xml_text_escapes_markup_and_shows_non_printing_characters():
    assert xml_text('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert xml_text("\x00\x1b") == "\\x00\\x1b"
    assert xml_text(3.5) == "3.5"


def test_ticks_are_round_and_reach_the_top():
    for top in (1, 3, 7, 9, 10, 63, 99, 101, 1_000, 12_345):
        values = ticks(top, integer=True)
        assert values[0] == 0
        assert values[-1] >= top
        assert len(values) <= 10
        assert all(isinstance(v, int) for v in values)
        assert len({b - a for a, b in itertools.pairwise(values)}) == 1
    assert ticks(0, integer=True) == [0, 1]
    assert ticks(1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert ticks(2.0)[-1] >= 2.0


def test_map_colours_tiles_by_share_and_hatches_places_in_no_unit():
    root = parse(svg_place_coverage([("Newham", 4, 3), ("Brent", 2, 2)], pm.london()) or "")
    labels = texts(root)
    assert {"3 of 4", "1 unmatched", "2 of 2", "all matched", "NWM", "BRT", "CTY"} <= set(labels)
    assert len(classed(root, "tile")) == 33
    fills = {r.get("fill") for r in classed(root, "tile")}
    assert "#f4f4f4" in fills  # boroughs no one names
    assert len(fills) == 3  # empty, 75 % and 100 % matched
    assert any("City of London, in no BCU" in t for t in labels)
    hatched = [r for r in root.iter(SVG + "rect") if r.get("fill") == "url(#hatch)"]
    assert len(hatched) == 2  # the City's tile and its legend entry


def test_map_is_only_for_a_geography_with_tiles():
    geo = pm.Geography([("Birmingham", "Coventry")])
    assert svg_place_coverage([("Birmingham", 1, 1)], geo) is None
    root = parse(svg_place_coverage([], pm.london()) or "")
    assert set(texts(root)) >= {"no one"}


def test_report_charts_are_svg_data_uris():
    report = build_report(pm.solve(pm.pilot_problem()))
    charts = report_charts(report)
    assert [c.title for c in charts] == [
        "Score distribution",
        "Coverage per BCU",
        "Coverage per borough (map)",
        "Coverage per focus area",
    ]
    for chart in charts:
        assert isinstance(chart, Chart)
        assert chart.data_uri.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(chart.data_uri.split(",", 1)[1]).decode("utf-8") == chart.svg
        parse(chart.svg)
    assert "Score distribution (3 pairs)" in texts(parse(charts[0].svg))


def test_a_report_without_pairs_has_its_charts():
    problem = pm.Problem(
        mentors=[pm.Mentor(id="Y1", focus_areas=["knife crime"], boroughs=["Brent"])],
        mentees=[pm.Mentee(id="P1", focus_areas=["knife crime"], boroughs=["Brent"])],
        rules=pm.Rules(forbidden_pairs=[("Y1", "P1")]),
    )
    page = render_html(pm.solve(problem))
    assert page.count('<img src="data:image/svg+xml;base64,') == 4


def test_a_report_imports_no_plotting_library():
    code = (
        "import sys, pairmatch as pm\n"
        "from pairmatch.report import render_html\n"
        "page = render_html(pm.solve(pm.pilot_problem()))\n"
        "assert page.count('data:image/svg+xml;base64,') == 4\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(src)},
    )
    assert run.returncode == 0, run.stderr[-2000:]

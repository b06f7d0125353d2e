"""The HTML and Markdown reports: well-formed, self-contained, complete, escaped."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

import pairmatch as pm
from pairmatch.io import load_problem, sample_path
from pairmatch.report import render_html, render_markdown, write_report

pytest.importorskip("matplotlib")

VOID = {"meta", "img", "br", "hr", "link", "input"}
SYNTH = sample_path("synthetic-200")


class StrictParser(HTMLParser):
    """Collects tags and checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.rows: list[dict[str, str | None]] = []
        self.doctype = False
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "tr":
            self.rows.append(dict(attrs))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def synthetic():
    problem, config = load_problem(SYNTH / "mentors.csv", SYNTH / "mentees.csv", SYNTH / "config.toml")
    return problem, pm.solve(problem, config.params, seed=config.seed)


@pytest.fixture(scope="module")
def synthetic_page(synthetic):
    return render_html(synthetic[1], sources=["mentors.csv", "mentees.csv", "config.toml"])


def test_html_is_well_formed_and_self_contained(synthetic_page):
    parser = parse(synthetic_page)
    assert parser.doctype
    assert parser.errors == []
    assert parser.stack == []
    assert len(parser.images) == 4
    for image in parser.images:
        src = image["src"]
        assert src.startswith("data:image/svg+xml;base64,")
        assert ElementTree.fromstring(base64.b64decode(src.split(",", 1)[1])).tag == "{http://www.w3.org/2000/svg}svg"
        assert image["alt"]
    # Nothing is fetched from elsewhere.
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", synthetic_page)


def test_html_contains_every_pair_and_every_unmatched_person(synthetic, synthetic_page):
    _, result = synthetic
    parser = parse(synthetic_page)
    pair_rows = {(r["data-mentor"], r["data-mentee"]) for r in parser.rows if "data-mentor" in r}
    assert pair_rows == {(p.mentor_id, p.mentee_id) for p in result.pairs}
    text = " ".join(parser.text)
    assert result.unmatched
    for u in result.unmatched:
        assert u.person_id in text
        assert u.reason in text
    for p in result.pairs:
        assert f"{p.score:.3f}" in text


def test_html_records_parameters_seed_and_versions(synthetic_page):
    text = " ".join(parse(synthetic_page).text)
    for needle in (
        "seed",
        "200",
        "min_overlap_minutes=60",
        "ortools",
        "numpy",
        "pairmatch",
        "config.toml",
        "optimal",
        "Score distribution",
        "Coverage per BCU",
        "Coverage per borough",
        "Coverage per focus area",
    ):
        assert needle in text


def test_user_text_is_escaped():
    hostile = '<script>alert("x")</script> & <b>'
    problem = pm.Problem(
        mentors=[
            pm.Mentor(
                id="M<1>",
                name=hostile,
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
            )
        ],
        mentees=[
            pm.Mentee(
                id='E"1',
                name="O'Brien & co",
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
            )
        ],
        name="Programme <One>",
        description=hostile,
    )
    result = pm.solve(problem)
    page = render_html(result, charts=False)
    assert "<script>" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;" in page
    assert "Programme &lt;One&gt;" in page
    parser = parse(page)
    assert parser.errors == []
    assert parser.stack == []
    assert {(r["data-mentor"], r["data-mentee"]) for r in parser.rows if "data-mentor" in r} == {("M<1>", 'E"1')}
    assert "Programme <One>" in " ".join(parser.text)
    markdown = render_markdown(result, charts=False)
    assert "<script>" not in markdown
    assert "\\<script\\>" in markdown


def test_markdown_report_lists_pairs_with_images(synthetic):
    _, result = synthetic
    text = render_markdown(result)
    table = [line for line in text.splitlines() if line.startswith("| Y")]
    assert len(table) == result.n_pairs
    assert all(line.count(" | ") == 6 for line in table)  # no stray pipes from user text
    assert text.count("](data:image/svg+xml;base64,") == 4


def test_write_report_is_atomic_and_checks_the_extension(tmp_path):
    result = pm.solve(pm.pilot_problem())
    path = tmp_path / "r.html"
    write_report(result, path, charts=False)
    assert parse(path.read_text(encoding="utf-8")).errors == []
    path.write_bytes(b"old")
    with pytest.raises(ValueError, match=r"\.html or \.md"):
        write_report(result, tmp_path / "r.pdf")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_quotes_pipes_and_markup_stay_text_in_both_formats():
    problem = pm.Problem(
        mentors=[
            pm.Mentor(
                id='M"1|x',
                name="A | B <i>it</i> & 'q'",
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
            )
        ],
        mentees=[
            pm.Mentee(
                id="E'1",
                name="*bold* [link](http://x) `code` #h",
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
            )
        ],
    )
    result = pm.solve(problem)
    page = render_html(result, charts=False)
    parser = parse(page)
    assert parser.errors == []
    assert parser.stack == []
    assert {(r["data-mentor"], r["data-mentee"]) for r in parser.rows if "data-mentor" in r} == {('M"1|x', "E'1")}
    assert "<i>" not in page
    assert "&lt;i&gt;" in page
    assert "&quot;" in page
    markdown = render_markdown(result, charts=False)
    (row,) = [line for line in markdown.splitlines() if line.startswith("| A")]
    assert row.count(" | ") == 6  # the name's pipe is escaped, so the row keeps its seven cells
    assert "\\|" in row
    assert "\\[link\\]" in row
    assert "\\`code\\`" in row
    assert "\\*bold\\*" in row


def test_people_axes_count_in_whole_numbers():
    from pairmatch.report.charts import coverage_figure, score_figure
    from pairmatch.report.model import Coverage, build_report

    coverage = Coverage("borough", "Coverage per borough", "borough", (("Brent", 3, 2), ("Harrow", 1, 1)))
    ax = coverage_figure(coverage).axes[0]
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 3]
    assert len(ticks) >= 2
    assert all(float(t).is_integer() for t in ticks)
    ax = score_figure(build_report(pm.solve(pm.pilot_problem()))).axes[0]
    ticks = [t for t in ax.get_yticks() if t >= 0]
    assert all(float(t).is_integer() for t in ticks)


def test_report_building_looks_up_alternatives_only_for_unmatched_people(synthetic, monkeypatch):
    import pairmatch.io.writers as writers
    import pairmatch.report.model as model

    calls = []
    real = model.alternatives_of

    def counting(result, person_ids, k=3, **kwargs):
        calls.append(list(person_ids))
        return real(result, person_ids, k, **kwargs)

    def no_per_pair_explanations(*args, **kwargs):
        raise AssertionError("built-in facts need no explain_pair call per pair")

    monkeypatch.setattr(model, "alternatives_of", counting)
    monkeypatch.setattr(writers, "explain_pair", no_per_pair_explanations)
    _, result = synthetic
    report = model.build_report(result)
    # One batched look-up, for exactly the unmatched people.
    assert len(calls) == 1
    assert sorted(calls[0]) == sorted(u.person_id for u in result.unmatched)
    assert len(report.pairs) == result.n_pairs
    assert len(report.unmatched) == len(result.unmatched)
    # Alternatives offered are allowed and worth something.
    assert all(a.score > 0 for row in report.unmatched for a in row.alternatives)


def test_report_states_rules_in_words_and_vocabularies():
    from pairmatch.report import build_report

    problem = pm.pilot_problem().model_copy(update={"rules": pm.Rules(min_overlap_minutes=90)})
    result = pm.solve(problem)
    text = " ".join(parse(render_html(result, charts=False)).text)
    assert "pairs need at least 90 minutes a week of common availability" in text
    vocabularies = dict(build_report(result).vocabularies)
    assert set(vocabularies) == {"geography", "taxonomy"}
    assert all(v and v in text for v in vocabularies.values())


def test_report_follows_a_geography_without_units(tmp_path):
    from pairmatch.report import build_report
    from pairmatch.report.charts import report_charts

    geo = pm.Geography([("Birmingham", "Coventry")], unit_name="policing area")
    tax = pm.Taxonomy([("knife crime", "violent crime")])
    problem = pm.Problem(
        mentors=[
            pm.Mentor(id="W1", focus_areas=["knife crime"], boroughs=["Birmingham"], availability=["Mon 18:00-20:00"])
        ],
        mentees=[
            pm.Mentee(id="P1", focus_areas=["violent crime"], boroughs=["Coventry"], availability=["Mon 18:00-20:00"])
        ],
        geography=geo,
        taxonomy=tax,
        description="Spring \x1b[2J cohort",
    )
    report = build_report(pm.solve(problem))
    assert [c.title for c in report.coverage] == ["Coverage per borough", "Coverage per focus area"]
    assert [c.title for c in report_charts(report)] == [
        "Score distribution",
        "Coverage per borough",
        "Coverage per focus area",
    ]
    page = render_html(report, charts=False)
    assert "\x1b" not in page
    assert "Spring \\x1b[2J cohort" in page
    assert "\x1b" not in render_markdown(report, charts=False)


def test_london_reports_draw_borough_coverage_on_the_map_and_others_keep_bars():
    pytest.importorskip("matplotlib")
    from pairmatch.report import report_bytes

    london_page = report_bytes(pm.solve(pm.synthetic_problem(30, seed=3)), "html").decode()
    assert "Coverage per borough (map)" in london_page
    assert "Map of the boroughs" in london_page
    geo = pm.Geography(
        [("Birmingham", "Solihull"), ("Birmingham", "Sandwell")],
        {"East": ["Birmingham", "Solihull"], "West": ["Sandwell"]},
        unit_name="NPU",
    )
    problem = pm.Problem(
        mentors=[pm.Mentor(id="Y1", boroughs=["Birmingham"])],
        mentees=[pm.Mentee(id="P1", boroughs=["Sandwell"])],
        geography=geo,
    )
    other_page = report_bytes(pm.solve(problem), "html").decode()
    assert "(map)" not in other_page
    assert "Bar chart: people and matched people per borough" in other_page


def test_dollar_signs_in_labels_are_drawn_as_written():
    pytest.importorskip("matplotlib")
    from matplotlib.cbook import is_math_text

    from pairmatch.maps import draw_place_coverage
    from pairmatch.report import build_report, report_bytes
    from pairmatch.report.charts import coverage_figure, report_charts
    from pairmatch.report.model import Coverage

    tax = pm.Taxonomy([("budget $^$ cuts", "money"), ("$x$", "money")])
    problem = pm.Problem(
        mentors=[pm.Mentor(id="Y1", focus_areas=["budget $^$ cuts"], boroughs=["Brent"])],
        mentees=[pm.Mentee(id="P1", focus_areas=["$x$"], boroughs=["Brent"])],
        taxonomy=tax,
    )
    result = pm.solve(problem)
    assert len(report_charts(build_report(result))) == 4  # the focus-area chart draws without error
    assert b"budget $^$ cuts" in report_bytes(result, "html")
    coverage = Coverage("focus", "Coverage per $^$", "focus area", (("budget $^$ cuts", 1, 1), ("$x$", 1, 1)))
    fig = coverage_figure(coverage)
    fig.canvas.draw()
    labels = [t.get_text() for t in [*fig.axes[0].get_yticklabels(), fig.axes[0].title]]
    assert not any(is_math_text(label) for label in labels)
    assert {label.replace("\\$", "$") for label in labels} >= {"budget $^$ cuts", "$x$", "Coverage per $^$"}
    fig = draw_place_coverage([("Brent", 1, 1)], pm.london(), title="$^$ map", note="$x$ note")
    fig.canvas.draw()
    assert not any(is_math_text(t.get_text()) for t in fig.findobj(lambda a: hasattr(a, "get_text")))

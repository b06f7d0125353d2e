"""Every public result type shows itself in a notebook: short reprs, escaped and bounded HTML, DataFrames.

The size bound is checked at the Met's scale, 32,900 a side, on a real solve
that costs seconds (identical people: one profile each side, solved on the
profile path) and on results built directly from it, never on a big instance
solved the slow way.
"""

from __future__ import annotations

import datetime as dt
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import pairmatch as pm
from pairmatch.diffs import Snapshot
from pairmatch.explanations import Alternative, Alternatives, PairExplanation
from pairmatch.rematching import PairChange, RematchResult
from pairmatch.scoring import ScoreTable
from pairmatch.solver.diagnosis import Diagnosis
from pairmatch.stability import BlockingPair, BlockingPairs
from pairmatch.store.records import History, PairingRecord, Runs, StoredRun

MET = 32_900
HTML_BOUND = 100_000  # characters of one object's HTML, whatever its size
HOSTILE = "<script>alert('x')</script> & \"Bobby\""
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bobby&quot;"
HOSTILE_ID = "M<img src=x onerror=alert(1)>\x1b[2J"


def person(cls, k, prefix):
    return cls(
        id=f"{prefix}{k}",
        name=f"{HOSTILE} {k}",
        focus_areas=["knife crime"],
        boroughs=["Newham"],
        availability=["Mon 18:00-20:00"],
    )


@pytest.fixture(scope="module")
def met():
    """A solved 32,900-a-side programme of identical people with hostile names."""
    problem = pm.Problem(
        mentors=[person(pm.Mentor, k, "M") for k in range(MET)],
        mentees=[person(pm.Mentee, k, "E") for k in range(MET)],
    )
    result = pm.solve(problem)
    assert result.n_pairs == MET
    assert result.certificate["method"] == "profiles"
    return result


@pytest.fixture(scope="module")
def met_objects(met):
    """One object of every public result type, each as large as a 32,900-a-side programme makes it."""
    problem = met.context.problem
    ids = [(p.mentor_id, p.mentee_id) for p in met.pairs]
    when = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    shifted = Snapshot(
        "after", problem, tuple((m, ids[(k + 1) % MET][1], 0.9) for k, (m, _) in enumerate(ids)), 0.9 * MET
    )
    explanation = pm.explain_pair(met, "M0", "E0")
    people = [p.id for p in problem.mentors]
    return {
        "MatchResult": met,
        "Problem": problem,
        "ScoreTable": ScoreTable(
            components={"focus": np.broadcast_to(np.float64(1.0), (MET, MET))},
            weights={"focus": 1.0},
            total=np.broadcast_to(np.float64(1.0), (MET, MET)),
            overlap_minutes=np.broadcast_to(np.int32(120), (MET, MET)),
            problem=problem,
        ),
        "PairExplanation": explanation,
        "Alternatives": Alternatives(
            (Alternative(f"E{k}", 1.0, (), (f"M{k}",)) for k in range(MET)), "M0", {"E1": HOSTILE}
        ),
        "RematchResult": RematchResult(
            met,
            problem,
            problem,
            tuple(PairChange(m, e, "new", f"{HOSTILE} joined", 1.0) for m, e in ids),
            float("inf"),
            met.objective,
        ),
        "ResultDiff": pm.diff(met, shifted),
        "BlockingPairs": BlockingPairs(
            (BlockingPair(m, e, 1.0, (e,), (m,)) for m, e in ids), {"M0": HOSTILE, "E0": HOSTILE}
        ),
        "Diagnosis": Diagnosis(
            [{"rule": "hall_violation", "people": people, "message": f"{HOSTILE}: " + ", ".join(people)}] * 3
        ),
        "History": History(
            (PairingRecord(k, "2026", m, e, 1, when, None, None, None, False) for k, (m, e) in enumerate(ids)),
            {"M0": HOSTILE},
        ),
        "Runs": Runs(
            StoredRun(k, "2026", "match", None, when, "optimal", 1.0, 0, {}, {}, {}, None, None, HOSTILE, "", "", "")
            for k in range(MET)
        ),
        "Geography": problem.geography,
        "Taxonomy": problem.taxonomy,
    }


TYPES = [
    "MatchResult",
    "Problem",
    "ScoreTable",
    "PairExplanation",
    "Alternatives",
    "RematchResult",
    "ResultDiff",
    "BlockingPairs",
    "Diagnosis",
    "History",
    "Runs",
    "Geography",
    "Taxonomy",
]


def parses(html: str) -> ET.Element:
    """The HTML parsed as XML: a name that is not escaped breaks the parse."""
    return ET.fromstring(f"<root>{html}</root>")


@pytest.mark.parametrize("kind", TYPES)
def test_html_is_bounded_escaped_and_well_formed_at_met_scale(met_objects, kind):
    obj = met_objects[kind]
    html = obj._repr_html_()
    assert len(html) < HTML_BOUND, f"{kind}: {len(html):,} characters"
    assert "<script>" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    parses(html)
    if kind not in ("Geography", "Taxonomy", "ScoreTable"):
        assert "&lt;script&gt;" in html, f"{kind} shows no name"
    text = repr(obj)
    assert len(text) < 400, text
    assert "\n" not in text
    assert "9999999" not in text
    assert "0000001" not in text


@pytest.mark.parametrize("kind", [k for k in TYPES if k not in ("Geography", "Taxonomy", "Problem", "PairExplanation")])
def test_large_objects_say_how_much_is_hidden(met_objects, kind):
    html = met_objects[kind]._repr_html_()
    assert any(word in html for word in ("not shown", "sample", "more")), kind


def test_hostile_names_in_html_are_shown_escaped(met):
    html = met._repr_html_()
    assert ESCAPED + " 0" in html


def test_hostile_ids_and_vocabularies_are_escaped():
    pair = pm.Pair(HOSTILE_ID, "E<1>", 0.8799999999999999, {"focus": 0.8799999999999999}, {"focus": 0.88})
    result = pm.MatchResult(
        (pair,),
        (pm.Unmatched("<x>", "mentee", "no_candidates", "<b>no</b>"),),
        0.88,
        "optimal",
        "max_score",
        "t",
        0.1,
        {},
    )
    html = result._repr_html_()
    parses(html)
    assert "<img" not in html
    assert "\x1b" not in html
    assert "<b>no</b>" not in html
    assert "\\x1b[2J" in html
    assert repr(pair) == "Pair('M<img src=x onerror=alert(1)>\\x1b[2J' - 'E<1>', score 0.88, focus 0.88)"
    geography = pm.Geography(
        [("<A>", "B&C")], {"<Unit>": ["<A>"]}, places=["B&C"], notes={"B&C": "<i>note</i>"}, name="<geo>"
    )
    taxonomy = pm.Taxonomy([("<t>", "u", "<reason>", "<source>")], name="<tax>")
    for shown in (geography._repr_html_(), taxonomy._repr_html_()):
        parses(shown)
        assert "<A>" not in shown
        assert "<i>" not in shown
        assert "<t>" not in shown
        assert "<reason>" not in shown
    assert "&lt;i&gt;note&lt;/i&gt;" in geography._repr_html_()
    assert "&lt;reason&gt;" in taxonomy._repr_html_()


def test_reprs_are_short_and_without_float_noise():
    result = pm.solve(pm.pilot_problem())
    assert (
        repr(result)
        == "MatchResult(3 pairs, objective 2.51, optimal, 'max_score' by ortools.linear_sum_assignment, 0 unmatched)"
    )
    assert repr(result.pairs[0]) == "Pair('M1' - 'O1', score 0.88, focus 1, borough 0.6, availability 1)"
    assert repr(pm.pilot_problem()).startswith("Problem('Reverse mentoring pilot (illustrative)', 3 mentors, 3 mentees")
    assert repr(pm.score(pm.pilot_problem())) == (
        "ScoreTable(3 mentors x 3 mentees, weights focus 0.5, borough 0.3, availability 0.2)"
    )
    assert repr(pm.explain_pair(result, "M1", "O2")) == "PairExplanation('M1' - 'O2', score 0.185, not matched)"


def test_the_functions_return_the_display_types():
    problem = pm.synthetic_problem(30, seed=2)
    result = pm.solve(problem)
    assert isinstance(pm.blocking_pairs(result), BlockingPairs)
    assert isinstance(pm.alternatives(result, problem.mentors[0].id), Alternatives)
    assert isinstance(pm.diagnose(problem), Diagnosis)
    assert isinstance(pm.explain_pair(result, problem.mentors[0].id, problem.mentees[0].id), PairExplanation)
    assert isinstance(pm.score(problem), ScoreTable)
    assert pm.score(problem).problem is problem
    infeasible = problem.model_copy(update={"rules": pm.Rules(match_all_mentors=True, min_score=0.99)})
    reasons = pm.diagnose(infeasible)
    assert (reasons and "hall_violation" in reasons._repr_html_()) or "too_few_candidates" in reasons._repr_html_()
    frame = reasons.to_frame()
    assert list(frame.columns) == ["rule", "people", "n_people", "message"]
    assert len(frame) == len(reasons)


def test_a_small_score_table_is_a_labelled_heat_map():
    table = pm.score(pm.pilot_problem())
    html = table._repr_html_()
    root = parses(html)
    assert len([td for td in root.findall(".//td") if "background" in td.get("style", "")]) == 9
    assert "Mentor A (Tower Hamlets) (M1)" in html
    assert "background:rgb" in html


def test_a_score_table_with_an_empty_side_shows_itself():
    empty = ScoreTable(
        {"focus": np.zeros((0, 40))}, {"focus": 1.0}, np.zeros((0, 40)), np.zeros((0, 40), dtype=np.int32)
    )
    assert "No pairs" in empty._repr_html_()
    assert repr(empty) == "ScoreTable(0 mentors x 40 mentees, weights focus 1)"


def test_a_large_score_table_summary_reads_a_bounded_sample(met_objects):
    html = met_objects["ScoreTable"]._repr_html_()
    assert "from an even sample of" in html
    assert "1,082,410,000 pairs" in html


# ------------------------------------------------------------------------------------ frames


def test_result_frames_have_the_documented_columns():
    result = pm.solve(pm.pilot_problem())
    comps = ["focus", "borough", "availability"]
    scores = result.score_frame()
    assert list(scores.columns) == [
        "mentor_id",
        "mentor_name",
        "mentee_id",
        "mentee_name",
        *comps,
        "total",
        "allowed",
        "blocked_by",
        "matched",
    ]
    assert len(scores) == 9
    assert scores["matched"].sum() == 3
    matched = scores[scores["matched"]].set_index("mentor_id")["mentee_id"].to_dict()
    assert matched == {p.mentor_id: p.mentee_id for p in result.pairs}
    assert scores.loc[scores["matched"], "total"].sum() == pytest.approx(result.objective)
    table = pm.score(pm.pilot_problem()).to_frame()
    assert list(table.columns) == ["mentor_id", "mentor_name", "mentee_id", "mentee_name", *comps, "total"]
    assert table["total"].tolist() == pytest.approx(pm.score(pm.pilot_problem()).total.ravel().tolist())
    explanation = pm.explain_pair(result, "M1", "O1").to_frame()
    assert list(explanation.columns) == ["component", "value", "contribution", "fact"]
    assert explanation["contribution"].sum() == pytest.approx(result.pairs[0].score)
    alternatives = pm.alternatives(result, "M1").to_frame()
    assert list(alternatives.columns) == ["partner_id", "partner_name", "score", "blocked_by", "partner_matched_with"]
    assert alternatives["partner_name"].str.startswith("Officer").all()


def test_score_frames_respect_rules_and_limits(met):
    problem = pm.pilot_problem().model_copy(update={"rules": pm.Rules(forbidden_pairs=[("M1", "O2")])})
    result = pm.solve(problem)
    every = result.score_frame(allowed_only=False)
    assert len(every) == 9
    blocked = every[~every["allowed"]]
    assert blocked[["mentor_id", "mentee_id"]].values.tolist() == [["M1", "O2"]]
    assert blocked["blocked_by"].iloc[0] != ""
    assert len(result.score_frame()) == 8
    assert len(result.score_frame(["M1"], ["O1", "O3"])) == 2
    with pytest.raises(pm.PairmatchError, match="limit"):
        met.score_frame(allowed_only=False)
    with pytest.raises(pm.PairmatchError, match="limit"):
        met.score_frame(limit=10)
    one = met.score_frame(["M5"], [f"E{k}" for k in range(100)])
    assert len(one) == 100
    assert one["allowed"].all()
    assert one["matched"].sum() == (met.partners_of("M5")[0] in set(one["mentee_id"]))


def test_people_frames_read_back_as_the_same_people():
    problem = pm.pilot_problem()
    mentors, mentees = problem.to_frames()
    assert list(mentors.columns[:7]) == list(pm.models.PERSON_COLUMNS)
    # The layout files are read in; a ranking column follows when someone ranks.
    assert (*pm.models.PERSON_COLUMNS, "ranking") == pm.io.readers.COLUMNS
    again = pm.problem_from_frames(mentors, mentees)
    assert again.mentors == problem.mentors
    assert again.mentees == problem.mentees


def test_rematch_and_diff_frames():
    problem = pm.synthetic_problem(6, seed=1)
    now = [(x.mentor_id, x.mentee_id) for x in pm.solve(problem).pairs]
    re = pm.rematch(problem, now, pm.Changes(leave=["Y00000"]))
    frame = re.to_frame()
    assert list(frame.columns) == list(pm.rematching.CHANGE_COLUMNS)
    assert len(frame) == len(re.changes)
    assert "left" in re._repr_html_()
    before = pm.solve(problem)
    after = pm.solve(problem.model_copy(update={"rules": pm.Rules(forbidden_pairs=[now[0]])}))
    d = pm.diff(before, after)
    frame = d.to_frame()
    assert list(frame.columns) == list(pm.diffs.DIFF_COLUMNS)
    assert len(frame) == len(d.added) + len(d.removed)
    assert set(frame["mentor_name"]) <= {p.name or "" for p in problem.mentors}
    cover = d.coverage_frame()
    assert list(cover.columns) == list(pm.diffs.COVERAGE_COLUMNS)
    assert set(cover["key"]) == {"bcu", "borough", "focus"}


def test_vocabulary_frames():
    places = pm.london().to_frame()
    assert len(places) == len(pm.london().places)
    assert places.set_index("place").loc["Newham", "unit"] == "North East"
    links = pm.default_taxonomy().to_frame()
    assert len(links) == len(pm.default_taxonomy().links)


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.to_frame(),
        lambda r: r.score_frame(),
        lambda r: r.context.problem.to_frames(),
        lambda r: pm.score(r.context.problem).to_frame(),
        lambda r: pm.explain_pair(r, "M1", "O1").to_frame(),
        lambda r: pm.alternatives(r, "M1").to_frame(),
        lambda r: pm.blocking_pairs(r).to_frame(),
        lambda r: pm.diagnose(r.context.problem).to_frame(),
        lambda r: pm.diff(r, r).to_frame(),
        lambda r: pm.london().to_frame(),
        lambda r: pm.default_taxonomy().to_frame(),
        lambda r: History().to_frame(),
        lambda r: Runs().to_frame(),
    ],
)
def test_frames_without_pandas_raise_the_missing_extra_error(monkeypatch, make):
    result = pm.solve(pm.pilot_problem())
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(pm.MissingExtraError, match=r"pairmatch-mentoring\[io\]"):
        make(result)


# ------------------------------------------------------------------------------------ plots


def test_result_plots_are_figures_that_show_inline_and_save(tmp_path):
    result = pm.solve(pm.pilot_problem())
    for name in ("map", "scores", "components"):
        fig = getattr(result.plot, name)()
        assert fig._repr_png_().startswith(b"\x89PNG")
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        assert path.read_bytes().startswith(b"\x89PNG")
    labels = [t.get_text() for t in result.plot.components().axes[0].get_yticklabels()]
    assert labels[0] == "Mentor A (Tower Hamlets) - Officer 1 (Deputy Assistant Commissioner)"
    texts = [t.get_text() for t in result.plot.map().texts]
    assert any("3 of 3 mentors and mentees matched" in t or "6 of 6" in t for t in texts)


def test_plots_of_a_large_result_summarise(met):
    fig = met.plot.components()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["average of 32,900 pairs"]
    hist = met.plot.scores()
    assert sum(p.get_height() for p in hist.axes[0].patches) == MET


def test_plots_without_matplotlib_raise_the_missing_extra_error(monkeypatch):
    result = pm.solve(pm.pilot_problem())
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(pm.MissingExtraError, match=r"pairmatch-mentoring\[report\]"):
        result.plot.scores()

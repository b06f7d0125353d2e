"""The ``pairmatch`` command end to end: sample files in, outputs equal to the library's result."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pairmatch as pm
from pairmatch.cli import main
from pairmatch.io import load_problem, sample_path
from pairmatch.result import MatchResult, Pair, Unmatched

from support.malformed import EXPECTED, MALFORMED

PILOT = sample_path("pilot")
SYNTH = sample_path("synthetic-200")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pairmatch", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def result_from_json(data: dict) -> MatchResult:
    """Rebuild a result from its JSON form, so the file itself is what gets verified."""
    return MatchResult(
        pairs=tuple(Pair(**p) for p in data["pairs"]),
        unmatched=tuple(Unmatched(**u) for u in data["unmatched"]),
        objective=data["objective"],
        status=data["status"],
        objective_name=data["objective_name"],
        solver=data["solver"],
        runtime_s=data.get("runtime_s", 0.0),
        certificate=data["certificate"],
        seed=data["seed"],
    )


def pair_keys(result: MatchResult) -> list[tuple[str, str, float]]:
    """Pairs with scores at the precision files and JSON carry."""
    return [(p.mentor_id, p.mentee_id, round(p.score, 6)) for p in result.pairs]


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    proc = run(
        "match",
        SYNTH / "mentors.xlsx",
        SYNTH / "mentees.xlsx",
        "--config",
        SYNTH / "config.toml",
        "-o",
        out / "matches.csv",
        "-o",
        out / "matches.json",
        "-o",
        out / "matches.xlsx",
        "--report",
        out / "report.html",
    )
    return proc, out


def test_match_on_synthetic_sample_equals_library_result(synthetic_run):
    proc, out = synthetic_run
    assert proc.returncode == 0, proc.stderr
    # No progress display when output is not a terminal, and no warning: the sample passes its own checks.
    assert proc.stderr == ""
    problem, config = load_problem(SYNTH / "mentors.csv", SYNTH / "mentees.csv", SYNTH / "config.toml")
    expected = pm.solve(problem, config.params, seed=config.seed)

    from_json = result_from_json(json.loads((out / "matches.json").read_text(encoding="utf-8")))
    assert pair_keys(from_json) == pair_keys(expected)
    assert from_json.unmatched == expected.unmatched
    assert from_json.objective == pytest.approx(expected.objective, abs=1e-12)
    assert from_json.seed == 200
    assert pm.is_feasible(from_json, problem)

    rows = list(csv.DictReader((out / "matches.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [(r["mentor_id"], r["mentee_id"], float(r["score"])) for r in rows] == pair_keys(expected)

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(out / "matches.xlsx", read_only=True)
    sheet_rows = list(book["matches"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[4]) for r in sheet_rows] == pair_keys(expected)
    assert len(list(book["unmatched"].iter_rows(min_row=2))) == len(expected.unmatched)
    book.close()
    assert f"{expected.n_pairs} pairs" in proc.stdout
    assert "wrote" in proc.stdout


def test_match_on_pilot_sample_as_json(tmp_path):
    proc = run(
        "match",
        PILOT / "mentors.csv",
        PILOT / "mentees.csv",
        "-c",
        PILOT / "config.toml",
        "--format",
        "json",
        "--seed",
        "7",
        "-o",
        tmp_path / "m.csv",
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["outputs"] == [str(tmp_path / "m.csv")]
    problem = pm.pilot_problem()
    expected = pm.solve(problem, seed=7)
    got = result_from_json(data)
    assert pair_keys(got) == pair_keys(expected)
    assert got.seed == 7
    assert pm.is_feasible(got, problem)


def test_validate_ok_and_json(tmp_path):
    proc = run("validate", PILOT / "mentors.csv", PILOT / "mentees.csv", "-c", PILOT / "config.toml")
    assert proc.returncode == 0
    assert proc.stdout.startswith("OK: 3 mentors and 3 mentees")
    proc = run("validate", MALFORMED / "many_problems.csv", PILOT / "mentees.csv", "--format", "json")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert [(i["row"], i["column"]) for i in data["issues"]] == [
        (3, "focus_areas"),
        (3, "boroughs"),
        (3, "availability"),
        (3, "min_partners"),
        (3, "max_partners"),
    ]


MALFORMED_CASES = sorted(
    p.name for p in MALFORMED.iterdir() if p.suffix in (".csv", ".json") and not p.name.startswith("ok_")
)


@pytest.mark.parametrize("name", MALFORMED_CASES)
def test_malformed_input_fails_precisely_and_writes_nothing(name, tmp_path, capsys):
    row, column = EXPECTED.get(name, (3, "focus_areas"))
    out = tmp_path / "out"
    out.mkdir()
    code = main(
        [
            "match",
            str(MALFORMED / name),
            str(MALFORMED / "ok_mentees.csv"),
            "-o",
            str(out / "matches.csv"),
            "-o",
            str(out / "matches.xlsx"),
            "--report",
            str(out / "r.html"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    kind = "item" if name.endswith(".json") else "row"
    assert f"{name}, {kind} {row}" in err
    if column:
        assert f"column {column!r}" in err
    assert "nothing was written" in err
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["bad_config.toml", "invalid_toml.toml"])
def test_malformed_config_fails_with_line_and_key(name, tmp_path, capsys):
    code = main(
        [
            "match",
            str(PILOT / "mentors.csv"),
            str(PILOT / "mentees.csv"),
            "-c",
            str(MALFORMED / name),
            "-o",
            str(tmp_path / "m.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"{name}, line " in err
    assert not (tmp_path / "m.csv").exists()


def test_malformed_input_through_subprocess_leaves_existing_output_identical(tmp_path):
    target = tmp_path / "matches.csv"
    target.write_bytes(b"mentor_id,mentee_id\nkeep,me\n")
    before = target.read_bytes()
    proc = run("match", MALFORMED / "unknown_borough.csv", MALFORMED / "ok_mentees.csv", "-o", target)
    assert proc.returncode == 2
    assert "unknown_borough.csv, row 3, column 'boroughs'" in proc.stderr
    assert "did you mean 'Newham'?" in proc.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matches.csv"]


def test_infeasible_run_exits_1_and_leaves_outputs_alone(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text('[rules]\nrequired_pairs = [["M1", "O1"], ["M2", "O1"]]\n', encoding="utf-8")
    target = tmp_path / "report.html"
    target.write_bytes(b"old report")
    code = main(
        [
            "match",
            str(PILOT / "mentors.csv"),
            str(PILOT / "mentees.csv"),
            "-c",
            str(config),
            "--report",
            str(target),
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["error"] == "infeasible"
    assert "O1" in captured.err
    assert target.read_bytes() == b"old report"


def test_usage_errors_exit_2_before_any_work(tmp_path, capsys):
    args = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv")]
    assert main(["match", *args, "-o", str(tmp_path / "m.txt")]) == 2
    assert main(["match", *args, "-o", str(tmp_path / "missing" / "m.csv")]) == 2
    assert main(["match", *args, "-o", str(PILOT / "mentors.csv")]) == 2
    assert main(["match", *args, "--seed", "-1"]) == 2
    assert main(["explain", *args]) == 2
    assert main(["explain", *args, "--person", "NOBODY"]) == 2
    assert main(["match", str(PILOT / "mentors.csv")]) == 2  # one file and no request: a usage error
    assert "give the mentors and the mentees files, or a JSON request with --input" in capsys.readouterr().err
    assert main(["explain", str(PILOT / "mentors.csv")]) == 2  # argparse's errors return, never exit
    assert "the following arguments are required: mentees" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_explain_pair_and_person(capsys):
    args = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv")]
    assert main(["explain", *args, "--pair", "M1", "O1"]) == 0
    assert "shared focus: knife crime" in capsys.readouterr().out
    assert main(["explain", *args, "--pair", "M1", "O2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matched"] is False
    assert "M1 is paired with O1 instead" in data["why_not"]
    assert main(["explain", *args, "--person", "O3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["partners"] == ["M3"]
    assert data["pairs"][0]["score"] == pytest.approx(1.0)


def test_explain_unmatched_person(capsys):
    args = [str(SYNTH / "mentors.csv"), str(SYNTH / "mentees.csv"), "-c", str(SYNTH / "config.toml")]
    problem, config = load_problem(*args[:2], args[3])
    result = pm.solve(problem, config.params)
    person = result.unmatched[0].person_id
    assert main(["explain", *args, "--person", person]) == 0
    out = capsys.readouterr().out
    assert out.startswith(pm.why_unmatched(result, person))
    label = problem.person(person).label
    assert f"best allowed alternatives for {label}:" in out


def test_demo_is_unchanged(capsys):
    assert main(["demo", "--format", "json"]) == 0
    assert capsys.readouterr().out == pm.solve(pm.pilot_problem(), seed=0).to_json(include_runtime=False) + "\n"
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Reverse mentoring pilot (illustrative)\n")
    assert "Combined scores (mentor rows, mentee columns):" in out


def test_help_documents_commands_and_exit_codes():
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("validate", "match", "explain", "demo", "exit codes", "infeasible"):
        assert word in proc.stdout
    proc = run("match", "--help")
    assert proc.returncode == 0
    assert "--report" in proc.stdout
    assert "examples:" in proc.stdout


def test_samples_command_copies_files(tmp_path, capsys):
    assert main(["samples", str(tmp_path / "pilot")]) == 0
    assert sorted(p.name for p in (tmp_path / "pilot").iterdir()) == ["config.toml", "mentees.csv", "mentors.csv"]
    assert main(["samples", str(tmp_path / "pilot")]) == 2  # refuses to overwrite
    capsys.readouterr()


# --------------------------------------------------------------------------- help an installed user can open


def test_the_guide_ships_with_the_package_and_matches_the_docs(capsys):
    from pairmatch.io import guide_text

    docs = (Path(__file__).resolve().parents[2] / "docs" / "coordinator-guide.md").read_text(encoding="utf-8")
    assert guide_text() == docs
    assert main(["guide"]) == 0
    assert capsys.readouterr().out == docs


@pytest.mark.parametrize("command", [[], ["validate"], ["match"], ["explain"], ["samples"], ["guide"]])
def test_every_help_points_to_the_guide_command(command):
    proc = run(*command, "--help")
    assert proc.returncode == 0
    assert "pairmatch guide" in proc.stdout
    assert "docs/" not in proc.stdout


# --------------------------------------------------------------------------- outputs checked first


def test_unwritable_output_fails_before_reading_or_solving(tmp_path, monkeypatch, capsys):
    import tempfile

    import pairmatch.cli.commands as commands

    def no_solving(*args, **kwargs):
        raise AssertionError("solved although an output cannot be written")

    monkeypatch.setattr(commands, "solve_inputs", no_solving)
    locked = tmp_path / "locked"
    locked.mkdir()
    real = tempfile.mkstemp

    def refuse(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == locked:
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    code = main(["match", str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "-o", str(locked / "m.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot write '{locked / 'm.csv'}': folder '{locked}' is not writable (Permission denied)" in err
    assert ".tmp" not in err
    (tmp_path / "folder.csv").mkdir()
    assert (
        main(["match", str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "-o", str(tmp_path / "folder.csv")]) == 2
    )
    assert "it is a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_folder_is_reported_before_solving(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = run("match", PILOT / "mentors.csv", PILOT / "mentees.csv", "-o", locked / "m.csv")
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2
    assert "is not writable" in proc.stderr
    assert proc.stdout == ""


# --------------------------------------------------------------------------- warnings before solving


def test_a_threshold_nothing_can_reach_is_a_warning_or_with_strict_an_error(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(
        "[weights]\nfocus = 0.5\nborough = 0.3\navailability = 0.2\n\n[rules]\nmin_score = 2\n", encoding="utf-8"
    )
    args = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "-c", str(config)]
    assert main(["match", *args]) == 0
    err = capsys.readouterr().err
    assert (
        f"pairmatch: warning: {config}, line 7, setting 'rules.min_score': min_score = 2 is above the "
        "highest score any pair can reach (1 with these weights): it rules out every pair"
    ) in err
    assert main(["match", *args, "--strict", "-o", str(tmp_path / "m.csv")]) == 2
    err = capsys.readouterr().err
    assert "min_score = 2 is above the highest score" in err
    assert "nothing was written" in err
    assert not (tmp_path / "m.csv").exists()


def test_a_weekly_overlap_nobody_has_names_the_people_and_the_minutes(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[rules]\nmin_overlap_minutes = 150\n", encoding="utf-8")
    assert (
        main(
            ["validate", str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "-c", str(config), "--format", "json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    (warning,) = data["warnings"]
    assert warning["column"] == "rules.min_overlap_minutes"
    assert warning["row"] == 2
    assert warning["message"] == (
        "rules out every pair: no mentor and mentee have at least 150 minutes a week in common"
    )


def test_swapped_files_are_flagged(capsys):
    mentors, mentees = str(PILOT / "mentees.csv"), str(PILOT / "mentors.csv")
    assert main(["validate", mentors, mentees]) == 0
    err = capsys.readouterr().err
    assert (f"{mentors} has a 'rank' column that {mentees} lacks: are the files swapped?") in err
    assert main(["validate", mentors, mentees, "--strict"]) == 2


# --------------------------------------------------------------------------- other places and topics


def test_match_with_a_geography_outside_london(tmp_path):
    folder = Path(__file__).resolve().parents[1] / "data" / "west-midlands"
    proc = run(
        "match",
        folder / "mentors.csv",
        folder / "mentees.csv",
        "-c",
        folder / "config.toml",
        "--report",
        tmp_path / "r.html",
        "--report",
        tmp_path / "r.md",
        "-o",
        tmp_path / "m.csv",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Mentor Ayo (W1)  Officer Dee (P1)" in proc.stdout
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Coverage per policing area" in page
    assert "Coverage per BCU" not in page
    assert "Bar chart: people and matched people per policing area" in page
    assert "same borough: Birmingham" in page
    rows = list(csv.DictReader((tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["focus_reason"].startswith("related focus: knife crime ~ violent crime")
    bad = tmp_path / "m2.csv"
    bad.write_text("id,focus_areas,boroughs,availability\nW9,knife crime,Newham,Mon 18-20\n", encoding="utf-8")
    proc = run("validate", bad, folder / "mentees.csv", "-c", folder / "config.toml")
    assert proc.returncode == 2
    assert "'Newham' is not a known borough (known: Birmingham, Coventry, Wolverhampton)" in proc.stderr


# --------------------------------------------------------------------------- output that reads well


def test_scores_have_a_fixed_precision_everywhere(tmp_path, capsys):
    args = [str(SYNTH / "mentors.csv"), str(SYNTH / "mentees.csv"), "-c", str(SYNTH / "config.toml")]
    assert main(["match", *args, "-o", str(tmp_path / "m.csv"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    numbers = [p["score"] for p in data["pairs"]] + [v for p in data["pairs"] for v in p["components"].values()]
    assert all(round(v, 6) == v for v in numbers)
    text = (tmp_path / "m.csv").read_text(encoding="utf-8-sig")
    for row in csv.DictReader(text.splitlines()):
        for key in ("score", "focus_score", "borough_score", "availability_score"):
            assert len(row[key].partition(".")[2]) <= 6


def test_explain_person_lists_allowed_alternatives_with_names(capsys):
    args = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv")]
    assert main(["explain", *args, "--person", "M1"]) == 0
    out = capsys.readouterr().out
    assert "best allowed alternatives for Mentor A (Tower Hamlets) (M1):" in out
    assert "  Officer 2 (Commander) (O2): score" in out


def test_demo_lists_only_allowed_alternatives_that_score(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        if "next best for" in line:
            assert "ruled out" not in line
            assert "(0.000" not in line


def test_outputs_never_replace_the_vocabulary_files_the_config_names(tmp_path, capsys):
    import shutil

    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "west-midlands", tmp_path / "wm")
    folder = tmp_path / "wm"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for name in ("topics.json", "west-midlands.json"):
        code = main(
            [
                "match",
                str(folder / "mentors.csv"),
                str(folder / "mentees.csv"),
                "-c",
                str(folder / "config.toml"),
                "-o",
                str(folder / name),
            ]
        )
        assert code == 2
        assert "refusing to overwrite the input file" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_ctrl_c_while_the_command_loads_prints_one_line_or_one_json_document(monkeypatch, capsys):
    import pairmatch.cli
    import pairmatch_command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    assert pairmatch_command._load() is main
    monkeypatch.setattr(pairmatch_command, "_load", interrupted)
    monkeypatch.setattr(sys, "argv", ["pairmatch", "match", "m.csv", "e.csv"])
    assert pairmatch_command.main() == 130
    assert capsys.readouterr() == ("", "pairmatch: interrupted; nothing was written\n")
    # The same JSON document as an interrupt once the command line has loaded.
    monkeypatch.setattr(pairmatch.cli, "build_parser", interrupted)
    assert main(["match", "m.csv", "e.csv", "--format", "json"]) == 130
    loaded = json.loads(capsys.readouterr().out)
    assert loaded["error"] == "interrupted"
    for flags in (["--format", "json"], ["--format=json"]):
        monkeypatch.setattr(sys, "argv", ["pairmatch", "match", "m.csv", "e.csv", *flags])
        assert pairmatch_command.main() == 130
        out, err = capsys.readouterr()
        assert json.loads(out) == loaded
        assert err == "pairmatch: interrupted; nothing was written\n"


def test_the_console_command_module_imports_nothing_heavy():
    import pairmatch_command

    code = (
        "import sys, pairmatch_command\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pairmatch', 'ortools', 'numpy')))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(pairmatch_command.__file__).parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- clear errors, never silence


@pytest.mark.parametrize("weight", ["1e308", "1e13"])
def test_huge_weights_are_an_input_error_naming_the_setting_not_a_crash(tmp_path, capsys, weight):
    config = tmp_path / "c.toml"
    config.write_text(f"[weights]\nfocus = {weight}\nborough = {weight}\n", encoding="utf-8")
    code = main(["match", str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "-c", str(config)])
    err = capsys.readouterr().err
    assert code == 2
    assert "c.toml, line 2, setting 'weights.focus'" in err
    assert "c.toml, line 3, setting 'weights.borough'" in err
    assert "a weight is at most 1e+12" in err
    assert "Traceback" not in err
    with pytest.raises(ValueError, match=r"a weight is at most 1e\+12"):
        pm.Weights(availability=1e308)


def test_input_refuses_the_spreadsheet_options_it_would_ignore(capsys):
    request = Path(__file__).resolve().parents[2] / "docs" / "examples" / "request-minimal.json"
    people = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv")]
    assert main(["match", *people, "--input", str(request)]) == 2
    err = capsys.readouterr().err
    assert "--input reads the whole problem" in err
    assert "the mentors file, the mentees file" in err
    assert main(["match", "--input", str(request), "-c", str(PILOT / "config.toml"), "--seed", "3"]) == 2
    assert "-c/--config, --seed" in capsys.readouterr().err
    assert main(["match", "--input", str(request), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"


def test_a_side_where_nobody_takes_a_partner_is_a_warning_and_strict_refuses_it(tmp_path, capsys):
    rows = list(csv.reader((PILOT / "mentors.csv").read_text(encoding="utf-8-sig").splitlines()))
    column = rows[0].index("max_partners")
    for row in rows[1:]:
        row[column] = "0"
    mentors = tmp_path / "mentors.csv"
    with mentors.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    args = ["match", str(mentors), str(PILOT / "mentees.csv")]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out.startswith("0 pairs")
    assert "mentors.csv, column 'max_partners': every mentor has max_partners = 0: nobody can be matched" in err
    assert main([*args, "--strict"]) == 2
    assert "every mentor has max_partners = 0" in capsys.readouterr().err

"""The programme commands end to end, from a fresh folder: the default SQLite file, and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from pairmatch.cli import EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE, main
from pairmatch.store import ProgrammeStore

from support.store import read


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path, monkeypatch, capsys):
    """A fresh folder with the synthetic-200 sample spreadsheets and a late joiner."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAIRMATCH_STORE", raising=False)
    assert run(capsys, "samples", ".", "--programme", "synthetic-200")[0] == EXIT_OK
    Path("late-mentors.csv").write_text(
        "id,focus_areas,boroughs,availability\nLATE1,knife crime,Barnet,Mon 19:00-21:00\n", encoding="utf-8"
    )
    return tmp_path


def scenario(capsys, store_args: list[str]) -> dict:
    """Run a cohort, end a pair, re-match with a leaver and a joiner, diff, check stability, next cohort."""
    seen: dict = {}
    code, out, _ = run(capsys, "store", "init", *store_args)
    assert code == EXIT_OK
    assert "programme store ready" in out
    assert "schema 0003" in out
    code, out, _ = run(
        capsys,
        "match",
        "mentors.csv",
        "mentees.csv",
        "-c",
        "config.toml",
        *store_args,
        "--cohort",
        "2026",
        "-o",
        "matches-2026.csv",
    )
    assert code == EXIT_OK, out
    assert "recorded run 1 for cohort 2026: 90 pairs started" in out
    code, out, _ = run(capsys, "history", *store_args, "--cohort", "2026", "--active", "--format", "json")
    active = json.loads(out)
    assert code == EXIT_OK
    assert len(active) == 90
    ended = (active[0]["mentor_id"], active[0]["mentee_id"])
    leaver = active[1]["mentor_id"]
    code, out, _ = run(capsys, "end-pair", *ended, "--reason", "did not get on", *store_args)
    assert code == EXIT_OK
    assert f"ended {ended[0]} - {ended[1]} in cohort 2026: did not get on" in out
    code, _, err = run(capsys, "end-pair", *ended, "--reason", "again", *store_args)
    assert code == EXIT_USAGE
    assert "no active pairing" in err
    code, out, _ = run(capsys, "lock-pair", active[2]["mentor_id"], active[2]["mentee_id"], *store_args)
    assert code == EXIT_OK
    code, out, _ = run(
        capsys,
        "rematch",
        *store_args,
        "--leave",
        leaver,
        "--leave-reason",
        "moved away",
        "--join",
        "mentor",
        "late-mentors.csv",
        "--move-penalty",
        "0.1",
        "--report",
        "changes.html",
        "--report",
        "changes.md",
        "--match-report",
        "matches.html",
    )
    assert code == EXIT_OK, out
    assert "re-match (move_penalty 0.1):" in out
    assert "recorded as run 2" in out
    assert f"ended   {ended[0]} - {ended[1]}: ended by the coordinator" in out
    assert f"{leaver} left" in out
    page = Path("changes.html").read_text(encoding="utf-8")
    assert "What changed and why" in page
    assert ended[0] in page
    assert "Coverage by BCU" in page
    assert Path("changes.md").read_text(encoding="utf-8").startswith("# Cohort 2026: re-match of run 1")
    assert "<html" in Path("matches.html").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "diff", "1", "2", *store_args, "--report", "diff.html")
    assert code == EXIT_OK
    assert out.startswith("run 1 -> run 2: 90 -> ")
    assert f"- {ended[0]} - {ended[1]}" in out
    diff_page = Path("diff.html").read_text(encoding="utf-8")
    assert "Pairs removed" in diff_page
    assert ended[1] in diff_page
    code, out, _ = run(capsys, "stability", "1", *store_args)
    assert code == EXIT_OK
    assert "blocking pair(s)" in out
    assert "cost of stability" in out
    code, out, _ = run(capsys, "inspect", "2", "--pair", *ended, *store_args)
    assert code == EXIT_OK
    assert "is not a candidate: forbidden pair" in out
    code, out, _ = run(capsys, "inspect", "2", "--person", ended[0], *store_args)
    assert code == EXIT_OK
    assert "best alternatives" in out
    # Next cohort: the same people, and no pair repeats any earlier one.
    code, out, _ = run(
        capsys,
        "match",
        "mentors.csv",
        "mentees.csv",
        "-c",
        "config.toml",
        *store_args,
        "--cohort",
        "2027",
        "--format",
        "json",
    )
    assert code == EXIT_OK
    seen["2027"] = {(p["mentor_id"], p["mentee_id"]) for p in json.loads(out)["pairs"]}
    code, out, _ = run(capsys, "runs", *store_args)
    assert code == EXIT_OK
    assert len(out.strip().splitlines()) == 3
    code, out, _ = run(capsys, "store", "status", *store_args)
    assert code == EXIT_OK
    assert "cohort 2027:" in out
    return seen


def check_no_repeats(store: ProgrammeStore, seen: dict) -> None:
    earlier = {(r.mentor_id, r.mentee_id) for r in read(store, "history", "2026")}
    assert seen["2027"]
    assert not seen["2027"] & earlier
    assert {(r.mentor_id, r.mentee_id) for r in read(store, "active_pairs", "2027")} == seen["2027"]


def test_end_to_end_with_the_default_sqlite_file(folder, capsys):
    code, _, err = run(capsys, "history")
    assert code == EXIT_USAGE
    assert "no programme store at" in err
    assert "pairmatch store init" in err
    code, _, err = run(capsys, "store", "upgrade")
    assert code == EXIT_USAGE
    assert "no programme store at" in err
    assert not (folder / "programme.db").exists()
    seen = scenario(capsys, [])
    assert (folder / "programme.db").exists()
    with ProgrammeStore.open(folder / "programme.db") as store:
        check_no_repeats(store, seen)


def test_end_to_end_on_postgresql(folder, capsys, postgres_location):
    seen = scenario(capsys, ["--store", postgres_location])
    assert not (folder / "programme.db").exists()
    with ProgrammeStore.open(postgres_location) as store:
        check_no_repeats(store, seen)


def test_usage_errors_and_infeasible_rematch(folder, capsys):
    assert run(capsys, "store", "init", "--store", "p.db")[0] == EXIT_OK
    code, _, err = run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db")
    assert code == EXIT_USAGE
    assert "--store needs --cohort" in err
    code, _, err = run(capsys, "rematch", "--store", "p.db")
    assert code == EXIT_USAGE
    assert "no cohort yet" in err
    assert run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c1", "-q")[0] == EXIT_OK
    code, _, err = run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c1")
    assert code == EXIT_USAGE
    assert "already has 100 active pairs" in err
    code, _, err = run(capsys, "rematch", "--store", "p.db", "--lock", "Y00000", "P99999")
    assert code == EXIT_USAGE
    assert "is not a current pair" in err
    code, _, err = run(capsys, "rematch", "--store", "p.db", "--report", "out.pdf")
    assert code == EXIT_USAGE
    assert "use a .html or .md" in err
    code, _, err = run(capsys, "diff", "1", "9", "--store", "p.db")
    assert code == EXIT_USAGE
    assert "no run 9" in err
    code, _, err = run(
        capsys,
        "match",
        "mentors.csv",
        "mentees.csv",
        "--store",
        "p.db",
        "--cohort",
        "c2",
        "--prefer-earlier-partners",
        "0.5",
    )
    assert code == EXIT_USAGE
    assert "needs repeats allowed" in err
    # A dry run records nothing.
    code, out, _ = run(capsys, "rematch", "--store", "p.db", "--move-penalty", "0", "--dry-run")
    assert code == EXIT_OK
    assert "dry run: nothing recorded" in out
    with ProgrammeStore.open("p.db") as store:
        assert len(read(store, "runs")) == 1
        # A locked pair cannot lose one of its people.
        pair = read(store, "active_pairs", "c1")[0]
    code, _, err = run(capsys, "lock-pair", pair.mentor_id, pair.mentee_id, "--store", "p.db")
    assert code == EXIT_OK
    code, _, err = run(
        capsys, "rematch", "--store", "p.db", "--leave", pair.mentee_id, "--lock", pair.mentor_id, pair.mentee_id
    )
    assert code == EXIT_USAGE
    assert "is leaving" in err


def test_infeasible_rematch_exits_1(folder, capsys):
    Path("c.toml").write_text("[rules]\nmatch_all_mentors = true\n", encoding="utf-8")
    Path("m.csv").write_text(
        "id,focus_areas,boroughs,availability\nA,knife crime,Brent,Mon 18:00-20:00\n"
        "B,knife crime,Brent,Mon 18:00-20:00\n",
        encoding="utf-8",
    )
    Path("e.csv").write_text(
        "id,focus_areas,boroughs,availability\nX,knife crime,Brent,Mon 18:00-20:00\n"
        "Y,knife crime,Brent,Mon 18:00-20:00\n",
        encoding="utf-8",
    )
    assert run(capsys, "store", "init")[0] == EXIT_OK
    assert run(capsys, "match", "m.csv", "e.csv", "-c", "c.toml", "--cohort", "c", "-q")[0] == EXIT_OK
    code, _, err = run(capsys, "rematch", "--leave", "X")
    assert code == EXIT_INFEASIBLE
    assert "no feasible matching" in err
    with ProgrammeStore.open("programme.db") as store:
        assert len(read(store, "runs")) == 1
        assert len(read(store, "active_pairs", "c")) == 2


def test_the_installed_command_runs(folder):
    env = {**os.environ, "PAIRMATCH_STORE": str(folder / "env.db")}
    command = [sys.executable, "-m", "pairmatch", "store", "init"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (folder / "env.db").exists()


def test_reports_that_cannot_be_written_stop_rematch_and_diff_before_anything_is_recorded(folder, capsys):
    assert run(capsys, "store", "init", "--store", "p.db")[0] == EXIT_OK
    assert run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c", "-q")[0] == EXIT_OK
    Path("taken.html").mkdir()  # a folder where the report would go
    with ProgrammeStore.open("p.db") as store:
        leaver = read(store, "active_pairs", "c")[0].mentor_id
    for option in ("--report", "--match-report"):
        code, _, err = run(capsys, "rematch", "--store", "p.db", "--leave", leaver, option, "taken.html")
        assert code == EXIT_USAGE
        assert "it is a folder" in err
        assert "nothing was written" not in err
    with ProgrammeStore.open("p.db") as store:
        assert len(read(store, "runs")) == 1
    code, _, err = run(capsys, "diff", "1", "1", "--store", "p.db", "--report", "taken.html")
    assert code == EXIT_USAGE
    assert "it is a folder" in err


def test_a_write_failing_after_the_run_is_recorded_says_so(folder, capsys, monkeypatch):
    import errno

    import pairmatch.io

    def full_disk(files):
        raise OSError(errno.ENOSPC, "No space left on device", str(next(iter(files))))

    assert run(capsys, "store", "init", "--store", "p.db")[0] == EXIT_OK
    monkeypatch.setattr(pairmatch.io, "write_atomically", full_disk)
    code, _, err = run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c", "-o", "m.csv")
    assert code == EXIT_USAGE
    assert "No space left on device: m.csv" in err
    assert "run 1 was recorded in the store" in err
    assert "nothing was written" not in err
    with ProgrammeStore.open("p.db") as store:
        leaver = read(store, "active_pairs", "c")[0].mentor_id
    code, out, err = run(
        capsys, "rematch", "--store", "p.db", "--leave", leaver, "--report", "changes.html", "--format", "json"
    )
    assert code == EXIT_USAGE
    assert "run 2 was recorded in the store" in err
    assert "changes.html" in err
    assert json.loads(out)["run"] == 2
    monkeypatch.setattr(pairmatch.io, "write_atomically", lambda files: (_ for _ in ()).throw(KeyboardInterrupt))
    with ProgrammeStore.open("p.db") as store:
        leaver = read(store, "active_pairs", "c")[0].mentor_id
    code, _, err = run(capsys, "rematch", "--store", "p.db", "--leave", leaver, "--report", "changes.html")
    assert code == 130
    assert "interrupted after recording run 3 in the store" in err


def test_control_characters_never_enter_the_store_nor_reach_the_terminal(folder, capsys):
    import sqlite3

    assert run(capsys, "store", "init", "--store", "p.db")[0] == EXIT_OK
    code, out, err = run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c\x1b[2J")
    assert code == EXIT_USAGE
    assert "'c\\x1b[2J' contains control characters (U+001B)" in err
    assert "\x1b" not in out + err
    assert run(capsys, "match", "mentors.csv", "mentees.csv", "--store", "p.db", "--cohort", "c", "-q")[0] == EXIT_OK
    with ProgrammeStore.open("p.db") as store:
        assert [c.name for c in read(store, "cohorts")] == ["c"]
        pair = read(store, "active_pairs", "c")[0]
    code, _, err = run(capsys, "end-pair", pair.mentor_id, pair.mentee_id, "--store", "p.db", "--reason", "x\x07")
    assert code == EXIT_USAGE
    assert "contains control characters (U+0007)" in err
    assert "\x07" not in err
    code, _, err = run(capsys, "rematch", "--store", "p.db", "--leave", pair.mentor_id, "--leave-reason", "\u202egone")
    assert code == EXIT_USAGE
    assert "contains control characters (U+202E RIGHT-TO-LEFT OVERRIDE)" in err
    # Text stored before these checks (or written by another program) is still printed escaped.
    assert run(capsys, "end-pair", pair.mentor_id, pair.mentee_id, "--store", "p.db", "--reason", "r")[0] == EXIT_OK
    with sqlite3.connect("p.db") as db:
        db.execute("UPDATE cohorts SET name = 'c\x1b[2J'")
        db.execute("UPDATE pairing_events SET reason = 'r\x1b[2J' WHERE kind = 'ended'")
    for command in (["store", "status"], ["runs"], ["history"]):
        code, out, _ = run(capsys, *command, "--store", "p.db")
        assert code == EXIT_OK, command
        assert "\x1b" not in out, command
        assert "\\x1b[2J" in out, command


def test_consent_from_the_command_line(folder, capsys):
    store_args = ["--store", "programme.db"]
    assert run(capsys, "store", "init", *store_args)[0] == EXIT_OK
    code, out, _ = run(
        capsys, "match", "mentors.csv", "mentees.csv", "-c", "config.toml", *store_args, "--cohort", "c", "--consent"
    )
    assert code == EXIT_OK, out
    assert "90 pairs proposed (waiting for both people to accept)" in out
    code, out, _ = run(capsys, "store", "status", *store_args)
    assert "cohort c: " in out
    assert "90 active pairs (90 waiting for answers)" in out
    code, out, _ = run(capsys, "history", *store_args, "--format", "json")
    records = json.loads(out)
    assert {r["state"] for r in records} == {"proposed"}
    (m1, e1), (m2, e2) = [(r["mentor_id"], r["mentee_id"]) for r in records[:2]]
    code, out, _ = run(capsys, "respond", m1, e1, "--accept", "--by", m1, *store_args)
    assert code == EXIT_OK
    assert f"accepted by {m1}; waiting for {e1}" in out
    code, out, _ = run(capsys, "respond", m1, e1, "--accept", "--by", e1, *store_args, "--cohort", "c")
    assert "both have accepted, the pair has started" in out
    code, out, _ = run(capsys, "respond", m2, e2, "--decline", "--by", e2, "--reason", "another focus", *store_args)
    assert code == EXIT_OK
    assert "will not propose this pair again" in out
    code, _, err = run(capsys, "respond", m2, e2, "--accept", *store_args)
    assert code == EXIT_USAGE
    assert "no active pairing" in err
    code, _, err = run(capsys, "respond", m1, e1, "--accept", "--decline", *store_args)
    assert code == EXIT_USAGE
    code, out, _ = run(capsys, "history", *store_args, "--person", m1)
    lines = out.splitlines()
    assert lines[0].startswith(f"c  {m1} - {e1}  (run 1): active since ")
    assert [line.split()[2:4] for line in lines[1:]] == [
        ["proposed", "matched"],
        ["accepted", "by"],
        ["accepted", "by"],
        ["started", "both"],
    ]
    code, out, _ = run(capsys, "history", *store_args, "--person", e2)
    assert "declined" in out.splitlines()[0]
    assert f"declined by {e2}  declined by {e2}: another focus" in out


def test_a_rematch_run_has_one_score_everywhere_and_its_bonus_beside_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAIRMATCH_STORE", raising=False)
    Path("late.csv").write_text(
        "id,focus_areas,boroughs,availability\nM4,social inequality,Brent,Mon 18:00-19:00\n", encoding="utf-8"
    )
    for argv in (
        ["samples", "."],
        ["store", "init"],
        ["match", "mentors.csv", "mentees.csv", "-c", "config.toml", "--cohort", "2026", "-q"],
        ["end-pair", "M3", "O3", "--reason", "schedules never fit"],
        ["rematch", "--leave", "M1", "--join", "mentor", "late.csv", "--move-penalty", "0.1"],
    ):
        assert run(capsys, *argv)[0] == EXIT_OK, argv
    # Run 2 keeps M2 - O2 (0.630) with a continuity bonus of 0.1 in its objective (2.18).
    code, out, _ = run(capsys, "runs")
    assert code == EXIT_OK
    assert "3 pairs, score 2.0800 + continuity bonus 0.1000, optimal" in out.splitlines()[1]
    assert "objective" not in out
    runs = json.loads(run(capsys, "runs", "--format", "json")[1])
    assert (runs[1]["score"], runs[1]["continuity_bonus"]) == (pytest.approx(2.08), pytest.approx(0.1))
    code, out, _ = run(capsys, "diff", "1", "2")
    assert "score 2.5100 -> 2.0800" in out
    code, out, _ = run(capsys, "stability", "2")
    assert code == EXIT_OK
    assert "a stable matching scores 2.0800; the cost of stability is 0.0000 against this run's score 2.0800" in out
    assert "2.18" not in out
    data = json.loads(run(capsys, "stability", "2", "--format", "json")[1])
    assert (data["score"], data["continuity_bonus"]) == (pytest.approx(2.08), pytest.approx(0.1))
    assert data["stable_objective"] == pytest.approx(2.08)
    code, out, _ = run(capsys, "inspect", "2")
    table = out.splitlines()
    assert table[2] == "(score 2.0800 + continuity bonus 0.1000)"
    assert table[4].split()[-2:] == ["continuity", "bonus"]
    assert next(line for line in table if "(M2)" in line).split()[-5:] == ["0.630", "0.50", "0.60", "1.00", "0.100"]
    code, out, _ = run(capsys, "inspect", "2", "--pair", "M2", "O2")
    assert out.startswith("M2 - O2: score 0.630 (matched)")
    assert "continuity bonus 0.100" in out

"""Files a coordinator might be handed: hostile and malformed cells, huge files, Ctrl-C, pipes.

Whatever comes in, the command answers with one bounded report (or one JSON
document), never echoes a control character to the terminal, and never
leaves a partial, temporary or clobbered output behind.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pairmatch as pm
from pairmatch.cli import main
from pairmatch.io import InputFileError, matches_bytes, people_bytes, read_people, sample_path

PILOT = sample_path("pilot")
HEADER = ["id", "name", "focus_areas", "boroughs", "availability", "min_partners", "max_partners"]
RAW_CONTROLS = ("\x1b", "\x07", "\u202e", "\x00", "\r")


def run(*args: str | Path, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pairmatch", *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def assert_no_raw_controls(*texts: str) -> None:
    for text in texts:
        for ch in RAW_CONTROLS:
            assert ch not in text, f"raw {ch!r} reached the terminal"


# --------------------------------------------------------------------------- one report, bounded


def hostile_rows(n: int) -> list[list[str]]:
    """``n`` rows, most of them wrong in a different hostile way."""
    kinds = [
        lambda k: [f"M{k}\x1b[2J", "Ann", "knife crime", "Brent", "Mon 18:00-20:00", "0", "1"],
        lambda k: [f"F{k}", '=HYPERLINK("http://evil","x")', "=1+1", "Brent", "Mon 18:00-20:00", "0", "1"],
        lambda k: [f"H{k}", "<script>alert(1)</script>", "<b>knife</b>", "Brent|Harrow", "Mon 18:00-20:00", "0", "1"],
        lambda k: [f"B{k}", "\u202eevil", "knife crime", "Newhm", "Mon 9-5", "-1", "x"],
        lambda k: [f"C{k}", "Bo\x07b", "knife crime", "Brent", "Mon 18:00-20:00", "0", "1"],
        lambda k: [f"ok{k}", "Fine", "knife crime", "Brent", "Mon 18:00-20:00", "0", "1"],
    ]
    rows = [HEADER]
    for k in range(n):
        rows.append(kinds[k % len(kinds)](k))
    long = "x" * 100_000
    for k in (1, 2, 3, n // 2, n - 1):  # a few cells of 100,000 characters
        rows[k] = [f"L{k}", long, long, long, long, long, "1"]
    return rows


def test_hostile_file_of_100000_rows_gives_one_bounded_report_and_writes_nothing(tmp_path):
    mentors = write_csv(tmp_path / "mentors.csv", hostile_rows(100_000))
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / "matches.csv"
    earlier.write_bytes(b"mentor_id,mentee_id\nkeep,me\n")
    (out / "report.html").write_bytes(b"<p>earlier report</p>")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    started = time.perf_counter()
    proc = run("match", mentors, PILOT / "mentees.csv", "-o", earlier, "--report", out / "report.html")
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    count = int(lines[0].split()[1])
    assert lines[0] == f"pairmatch: {count} problems in the input:"
    shown = [line for line in lines if line.startswith("  - ")]
    assert len(shown) == 200
    assert count > 100_000
    assert lines[-2] == f"  ... and {count - 200} more problems not shown"
    assert lines[-1] == "nothing was written."
    assert max(len(line) for line in lines) < 400  # 100,000-character cells are cut
    assert "... (100000 characters)" in proc.stderr
    assert "M6\\x1b[2J" in proc.stderr
    assert "\\u202e" in proc.stderr
    assert_no_raw_controls(proc.stdout, proc.stderr)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing new, nothing touched
    assert elapsed < 120


def test_hostile_file_as_json_is_one_document(tmp_path):
    mentors = write_csv(tmp_path / "mentors.csv", hostile_rows(600))
    proc = run("validate", mentors, PILOT / "mentees.csv", "--format", "json")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert data["error"] == "input"
    assert data["exit_code"] == 2
    assert data["shown"] == 200
    assert data["count"] > data["shown"]
    values = [i["value"] or "" for i in data["issues"]] + [i["message"] for i in data["issues"]]
    assert_no_raw_controls(*values)


def test_control_characters_in_an_id_are_shown_escaped(tmp_path):
    mentors = write_csv(
        tmp_path / "m.csv", [HEADER, ["M1\x1b[2J", "Ann", "knife crime", "Brent", "Mon 18:00-20:00", "0", "1"]]
    )
    proc = run("match", mentors, PILOT / "mentees.csv", "-o", tmp_path / "matches.csv")
    assert proc.returncode == 2
    assert (
        "m.csv, row 2, column 'id': 'M1\\x1b[2J' contains control characters (U+001B); use printable text only"
    ) in proc.stderr
    assert_no_raw_controls(proc.stdout, proc.stderr)
    assert not (tmp_path / "matches.csv").exists()
    with pytest.raises(InputFileError) as info:
        read_people(mentors, "mentor")
    (issue,) = info.value.issues
    assert (issue.row, issue.column, issue.value) == (2, "id", "M1\\x1b[2J")


def test_very_long_cell_is_cut_in_messages(tmp_path):
    mentors = write_csv(tmp_path / "m.csv", [HEADER, ["M1", "Ann", "y" * 100_000, "Brent", "Mon 18:00-20:00"]])
    with pytest.raises(InputFileError) as info:
        read_people(mentors, "mentor")
    (issue,) = info.value.issues
    assert issue.value == "y" * 80 + "... (100000 characters)"
    assert len(str(issue)) < 300


def test_a_cell_over_the_limit_is_one_problem_of_its_row_and_column(tmp_path):
    huge = "z" * 200_000
    mentors = write_csv(
        tmp_path / "m.csv",
        [
            HEADER,
            ["M1", "Ann", huge, "Brent", "Mon 18:00-20:00", "0", "1"],
            ["M2", "Bo", "knife crime", "Newhm", "Mon 18:00-20:00", "0", "1"],
        ],
    )
    with pytest.raises(InputFileError) as info:
        read_people(mentors, "mentor")
    found = [(i.row, i.column, i.value, i.message) for i in info.value.issues]
    assert found[0] == (
        2,
        "focus_areas",
        "z" * 80 + "... (200000 characters)",
        "the cell holds 200,000 characters; at most 131,072 are read",
    )
    assert [(row, column) for row, column, _, _ in found] == [(2, "focus_areas"), (3, "boroughs")]


# --------------------------------------------------------------------------- formulas stay text


def formula_result() -> tuple[pm.Problem, pm.MatchResult]:
    problem = pm.Problem(
        mentors=[
            pm.Mentor(
                id="=1+1",
                name='=HYPERLINK("http://evil","click")',
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
            ),
            pm.Mentor(
                id="@SUM",
                name="+44 20 7946 0000",
                focus_areas=["hate crime"],
                boroughs=["Harrow"],
                availability=["Tue 18:00-20:00"],
            ),
        ],
        mentees=[
            pm.Mentee(
                id="-O1",
                name="-Dash",
                focus_areas=["knife crime"],
                boroughs=["Brent"],
                availability=["Mon 18:00-20:00"],
                attributes={"rank": "=cmd|' /C calc'!A0"},
            ),
            pm.Mentee(
                id="O2",
                name="Plain",
                focus_areas=["hate crime"],
                boroughs=["Harrow"],
                availability=["Tue 18:00-20:00"],
                attributes={"rank": -3},
            ),
        ],
    )
    return problem, pm.solve(problem)


def test_csv_cells_that_would_run_as_formulas_are_neutralised():
    problem, result = formula_result()
    rows = list(csv.reader(matches_bytes(result, "csv").decode("utf-8-sig").splitlines()))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert "'=1+1" in cells
    assert '\'=HYPERLINK("http://evil","click")' in cells
    assert "'-O1" in cells
    assert "'@SUM" in cells
    assert "'+44 20 7946 0000" in cells
    scores = [float(row[4]) for row in rows[1:]]
    assert all(s >= 0 for s in scores)  # numbers stay numbers
    people = people_bytes(problem.mentees, "csv").decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in people
    assert ",-3" in people
    assert "'-Dash" in people


def test_people_csv_with_neutralised_formulas_reads_back_as_written(tmp_path):
    problem, _ = formula_result()
    for side, people in (("mentor", problem.mentors), ("mentee", problem.mentees)):
        path = tmp_path / f"{side}.csv"
        path.write_bytes(people_bytes(people, "csv"))
        assert read_people(path, side) == people


def test_xlsx_stores_formula_like_text_as_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    _, result = formula_result()
    (tmp_path / "m.xlsx").write_bytes(matches_bytes(result, "xlsx"))
    book = openpyxl.load_workbook(tmp_path / "m.xlsx")
    cells = [c for row in book["matches"].iter_rows(min_row=2) for c in row]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert '=HYPERLINK("http://evil","click")' in texts
    assert "=1+1" in texts
    assert not [c for c in cells if c.data_type == "f"]


def test_xlsx_header_cells_that_look_like_formulas_stay_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from pairmatch.io.writers import xlsx_bytes

    (tmp_path / "h.xlsx").write_bytes(xlsx_bytes({"people": (["id", '=HYPERLINK("http://evil","x")'], [["M1", 1]])}))
    header = next(openpyxl.load_workbook(tmp_path / "h.xlsx")["people"].iter_rows(max_row=1))
    assert [(c.value, c.data_type) for c in header] == [("id", "s"), ('=HYPERLINK("http://evil","x")', "s")]


# --------------------------------------------------------------------------- Ctrl-C and pipes


@pytest.fixture(scope="module")
def large_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("large")
    problem = pm.synthetic_problem(3000, seed=5)
    (folder / "mentors.csv").write_bytes(people_bytes(problem.mentors, "csv"))
    (folder / "mentees.csv").write_bytes(people_bytes(problem.mentees, "csv"))
    return folder


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def interrupt(args: list[str], after: float, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``pairmatch args`` and press Ctrl-C once it has worked ``after`` CPU seconds
    (well past start-up, well before the end, however busy the machine is). Its output goes
    to files, never to a pipe nobody reads: a run that got to printing must not block there."""
    with (cwd / "stdout.txt").open("w+") as out, (cwd / "stderr.txt").open("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "pairmatch", *args], stdout=out, stderr=err, text=True, cwd=cwd)
        while proc.poll() is None and cpu_seconds(proc.pid) < after:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_ctrl_c_prints_one_line_exits_130_and_leaves_no_file(large_inputs, tmp_path, fmt):
    out = tmp_path / "out"
    out.mkdir()
    (out / "matches.csv").write_bytes(b"earlier")
    args = [
        "match",
        str(large_inputs / "mentors.csv"),
        str(large_inputs / "mentees.csv"),
        "-o",
        str(out / "matches.csv"),
        "-o",
        str(out / "matches.xlsx"),
        "--report",
        str(out / "report.html"),
        "--format",
        fmt,
    ]
    # The whole run takes about 3.3 CPU seconds (start-up about 1): interrupt it while it works.
    proc = interrupt(args, after=1.6, cwd=tmp_path)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "pairmatch: interrupted; nothing was written\n"
    if fmt == "json":
        assert json.loads(proc.stdout)["error"] == "interrupted"
    else:
        assert proc.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == ["matches.csv"]
    assert (out / "matches.csv").read_bytes() == b"earlier"


def test_output_piped_into_head_stops_quietly(large_inputs, tmp_path):
    # Every pair explained: far more output than a pipe buffers.
    cmd = [
        sys.executable,
        "-m",
        "pairmatch",
        "match",
        str(large_inputs / "mentors.csv"),
        str(large_inputs / "mentees.csv"),
        "--explain",
    ]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path) as proc:
        first = [proc.stdout.readline() for _ in range(2)]
        proc.stdout.close()  # what `| head -2` does
        err = proc.stderr.read().decode()
        proc.wait(timeout=300)
    assert first[0].startswith(b"3000 pairs")
    assert proc.returncode == 141
    assert "Broken pipe" not in err
    assert "Traceback" not in err
    assert "Exception ignored" not in err


def test_shell_pipe_into_head(tmp_path):
    pilot = sample_path("pilot")
    command = f"{sys.executable} -m pairmatch demo | head -2; echo status=${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0] == "Reverse mentoring pilot (illustrative)"
    assert len(lines) == 3
    assert lines[-1] in ("status=0", "status=141")
    assert proc.stderr == ""
    assert pilot.is_dir()


# --------------------------------------------------------------------------- JSON, always one document


def test_json_mode_answers_usage_errors_with_json(capsys):
    assert main(["match", "only-one-file.csv", "--format", "json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["error"] == "usage"
    assert "mentees" in data["message"]
    assert data["exit_code"] == 2
    assert main(["match", "a.csv", "b.csv", "--format", "json", "--objective", "fastest"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "usage"


def test_json_mode_answers_an_unexpected_error_with_json(monkeypatch, capsys):
    import pairmatch.cli.common as common

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(common, "solve_inputs", broken)
    code = main(["match", str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 3
    data = json.loads(captured.out)
    assert data == {"error": "internal", "type": "RuntimeError", "message": "something nobody expected", "exit_code": 3}
    assert "Traceback" in captured.err
    assert "internal error" in captured.err
    assert "nothing was written" in captured.err


def test_json_mode_answers_every_failure_kind(tmp_path, capsys):
    args = [str(PILOT / "mentors.csv"), str(PILOT / "mentees.csv"), "--format", "json"]
    config = tmp_path / "c.toml"
    config.write_text('[rules]\nrequired_pairs = [["M1", "O1"], ["M2", "O1"]]\n', encoding="utf-8")
    cases = {
        "infeasible": (["match", *args, "-c", str(config)], 1),
        "input": (["match", str(tmp_path / "missing.csv"), *args[1:]], 2),
        "usage": (["match", *args, "-o", str(tmp_path / "m.txt")], 2),
    }
    for kind, (argv, code) in cases.items():
        assert main(argv) == code
        data = json.loads(capsys.readouterr().out)  # exactly one document
        assert data["error"] == kind
        assert data["exit_code"] == code


def test_the_fast_control_character_scan_agrees_with_unicode_categories():
    import unicodedata

    from pairmatch.text import control_characters

    controls = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF
        and (
            unicodedata.category(chr(c)) in ("Cc", "Zl", "Zp")
            or chr(c) in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        )
    ]
    text = "".join(controls)
    assert control_characters(text) == [f"U+{ord(ch):04X}" for ch in controls]
    everything_else = "".join(
        chr(c) for c in range(0x20, 0x30000) if chr(c) not in set(controls) and not 0xD800 <= c <= 0xDFFF
    )
    assert control_characters(everything_else) == []


# --------------------------------------------------------------------------- invisible characters


def test_invisible_characters_in_files_and_settings_are_reported_where_they_are(tmp_path):
    mentors = write_csv(
        tmp_path / "m.csv",
        [
            [*HEADER, "rank"],
            ["M1\u200b", "Ann\u200f", "knife crime\u200b", "Newham\u2060", "Mon 18:00-20:00", "0", "1", "PC\ufeff"],
            ["M2", "Bob", "knife crime", "Newham", "Mon 18:00-20:00", "0", "1", "PC"],
        ],
    )
    mentees = write_csv(
        tmp_path / "e.csv", [HEADER, ["O1", "Olu", "knife crime", "Newham", "Mon 18:00-20:00", "0", "1"]]
    )
    config = tmp_path / "c.toml"
    config.write_text('name = "Pilot\u200b"\n[rules]\nforbidden_pairs = [["M2\u200f", "O1"]]\n', encoding="utf-8")
    done = run("validate", mentors, mentees, "-c", config)
    assert done.returncode == 2
    lines = [line.strip() for line in done.stderr.splitlines()]
    expected = [
        "m.csv, row 2, column 'id': 'M1\\u200b' contains invisible characters (U+200B ZERO WIDTH SPACE)",
        "m.csv, row 2, column 'name': 'Ann\\u200f' contains invisible characters (U+200F RIGHT-TO-LEFT MARK)",
        "m.csv, row 2, column 'focus_areas': 'knife crime\\u200b' contains invisible characters (U+200B ZERO",
        "m.csv, row 2, column 'boroughs': 'Newham\\u2060' contains invisible characters (U+2060 WORD JOINER)",
        "m.csv, row 2, column 'rank': attribute 'rank': 'PC\\ufeff' contains invisible characters (U+FEFF",
        "c.toml, line 1, setting 'name': 'Pilot\\u200b' contains invisible characters (U+200B ZERO WIDTH SPACE)",
        "c.toml, line 3, setting 'rules.forbidden_pairs[0][0]': 'M2\\u200f' contains invisible characters",
    ]
    for start in expected:
        assert sum(start in line for line in lines) == 1, (start, done.stderr)
    assert "did you mean" not in done.stderr
    for ch in "\u200b\u200f\u2060\ufeff":
        assert ch not in done.stderr


def test_an_id_written_in_another_unicode_form_is_the_same_person(tmp_path):
    mentors = write_csv(tmp_path / "m.csv", [HEADER, ["Jos\u00e9", "", "knife crime", "Newham", "Mon 18:00-20:00"]])
    mentees = write_csv(tmp_path / "e.csv", [HEADER, ["Jose\u0301", "", "knife crime", "Newham", "Mon 18:00-20:00"]])
    done = run("validate", mentors, mentees)
    assert done.returncode == 2
    assert "Jos\u00e9" in done.stderr
    assert "2 times" in done.stderr

"""Files out: matches and people as CSV, XLSX or JSON, written all-or-nothing.

Every CSV cell that a spreadsheet would run as a formula (text starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
leading ``'``, as the OWASP guidance on CSV injection advises; numbers stay
numbers. XLSX cells holding such text are stored as text, never formulas.
"""

from __future__ import annotations

import contextlib
import csv
import io as stdio
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..exceptions import require
from ..explanations import availability_fact, borough_fact, explain_pair, focus_fact
from ..models import Mentor, Person, person_row
from ..result import MatchResult, rounded
from .cells import FORMULA_STARTS
from .readers import COLUMNS

__all__ = [
    "MATCH_FORMATS",
    "csv_bytes",
    "csv_safe",
    "matches_bytes",
    "pair_facts",
    "people_bytes",
    "write_atomically",
    "write_matches",
    "write_people",
    "xlsx_bytes",
]

MATCH_FORMATS = ("csv", "xlsx", "json")
_FACTS = {"focus": focus_fact, "borough": borough_fact, "availability": availability_fact}


# --------------------------------------------------------------------------- all-or-nothing writing


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _stage(target: Path, data: bytes, staged: list[tuple[str, Path]]) -> None:
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        # Name the file the user asked for, not the temporary one.
        raise OSError(err.errno, f"cannot write in folder {str(folder)!r} ({err.strerror})", str(target)) from err
    staged.append((tmp, target))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates owner-only files; give the output the mode a plain open() would.
        os.chmod(tmp, _mode_for(target))
    except OSError as err:
        raise OSError(err.errno, err.strerror, str(target)) from err


def _backup(target: Path) -> str | None:
    """A second name for the current ``target`` (None if it does not exist)."""
    if not os.path.lexists(target):
        return None
    fd, backup = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bak", dir=target.parent)
    os.close(fd)
    os.unlink(backup)
    try:
        os.link(target, backup)  # a hard link costs nothing and keeps the old bytes
    except OSError:
        shutil.copy2(target, backup)
    return backup


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(files: Mapping[Any, bytes]) -> list[Path]:
    """Write several files so that either all are replaced or none is touched.

    Each file is first written in full to a temporary file in its target
    folder. Then every existing target gets a second name (a hard link) and
    the new files are renamed into place; if any step fails, or the run is
    interrupted, every target already replaced gets its old file back and
    every temporary file is removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_atomically({d / "a.txt": b"hello", d / "b.txt": b"world"})]
    ['a.txt', 'b.txt']
    """
    staged: list[tuple[str, Path]] = []
    done: list[tuple[Path, str | None]] = []  # targets replaced, with their old file's second name
    backups: list[str] = []
    try:
        for target, data in files.items():
            _stage(Path(target), data, staged)
        try:
            for tmp, target in staged:
                backup = _backup(target)
                if backup is not None:
                    backups.append(backup)
                os.replace(tmp, target)
                done.append((target, backup))
        except BaseException:
            for target, backup in reversed(done):
                if backup is not None:
                    os.replace(backup, target)
                    backups.remove(backup)
                else:
                    os.unlink(target)
            raise
        for folder in dict.fromkeys(target.parent for _, target in staged):
            _sync_folder(folder)
    finally:
        for name in [tmp for tmp, _ in staged] + backups:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
    return [target for _, target in staged]


# --------------------------------------------------------------------------- cells


def csv_safe(value: Any) -> Any:
    """A cell value that no spreadsheet runs as a formula (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'``; numbers are not text and stay as they are.

    >>> csv_safe("=HYPERLINK(1)"), csv_safe("-2"), csv_safe(-2), csv_safe("Ann")
    ("'=HYPERLINK(1)", "'-2", -2, 'Ann')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file (UTF-8 with a BOM so Excel reads it as UTF-8), formula-safe.

    >>> csv_bytes(["id", "name"], [["M1", "=1+1"]]).decode("utf-8-sig")
    "id,name\\nM1,'=1+1\\n"
    """
    buffer = stdio.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_safe(h) for h in header])
    writer.writerows([csv_safe(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """An XLSX workbook with one sheet per entry; text is stored as text, never a formula."""
    openpyxl = require("openpyxl", "io", "writing .xlsx files")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        ws = book.create_sheet(title)
        # Header cells too: attribute columns are named by the input file.
        for row in (header, *rows):
            ws.append(list(row))
            for cell in ws[ws.max_row]:
                # Text such as "=HYPERLINK(...)" from a spreadsheet cell stays text, never a formula.
                if cell.data_type == "f":
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
    buffer = stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _format(path: str | os.PathLike[str], fmt: str | None, allowed: Sequence[str]) -> str:
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in allowed:
        raise ValueError(f"cannot write {str(path)!r}: use one of the extensions {', '.join('.' + a for a in allowed)}")
    return fmt


# --------------------------------------------------------------------------- matches


def pair_facts(result: MatchResult) -> list[dict[str, str]]:
    """The facts behind every pair's components, aligned with ``result.pairs``.

    Built-in components are described straight from the two people (one
    look-up per pair); custom ones through `pairmatch.explanations.explain_pair`.
    Empty dicts for a result without its solve context.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> pair_facts(solve(pilot_problem()))[0]["focus"]
    'shared focus: knife crime'
    """
    ctx = result.context
    if ctx is None:
        return [{} for _ in result.pairs]
    problem = ctx.problem
    mentors, mentees = problem.mentor_index(), problem.mentee_index()
    out = []
    for pair in result.pairs:
        mentor, mentee = problem.mentors[mentors[pair.mentor_id]], problem.mentees[mentees[pair.mentee_id]]
        if all(c in _FACTS for c in pair.components):
            out.append({c: _FACTS[c](problem, mentor, mentee) for c in pair.components})
        else:
            out.append(dict(explain_pair(result, pair.mentor_id, pair.mentee_id).facts))
    return out


def _match_rows(result: MatchResult, columns: Sequence[str] = ()) -> tuple[list[str], list[list[Any]]]:
    ctx = result.context
    people = {p.id: p for p in (*ctx.problem.mentors, *ctx.problem.mentees)} if ctx else {}
    names = {pid: p.name or "" for pid, p in people.items()}

    def extra(pid: str) -> list[Any]:
        person = people.get(pid)
        return [person.attributes.get(c, "") if person is not None else "" for c in columns]

    components = list(result.pairs[0].components) if result.pairs else ["focus", "borough", "availability"]
    header = [
        "mentor_id",
        "mentor_name",
        *(f"mentor_{c}" for c in columns),
        "mentee_id",
        "mentee_name",
        *(f"mentee_{c}" for c in columns),
        "score",
        *(f"{c}_score" for c in components),
        "pinned",
        *(f"{c}_reason" for c in components),
    ]
    rows = []
    for p, facts in zip(result.pairs, pair_facts(result), strict=True):
        rows.append(
            [
                p.mentor_id,
                names.get(p.mentor_id, ""),
                *extra(p.mentor_id),
                p.mentee_id,
                names.get(p.mentee_id, ""),
                *extra(p.mentee_id),
                rounded(p.score),
                *(rounded(p.components[c]) for c in components),
                p.pinned,
                *(facts.get(c, "") for c in components),
            ]
        )
    return header, rows


def matches_bytes(result: MatchResult, fmt: str, *, columns: Sequence[str] = ()) -> bytes:
    """The matches of ``result`` as a ``csv``, ``xlsx`` or ``json`` file's bytes.

    CSV has one row per pair (ids, names, each of ``columns`` beside each
    person as ``mentor_COLUMN``/``mentee_COLUMN`` from the input's extra
    columns, score, each component, pinned flag and the reason behind each
    component), scores at
    `pairmatch.result.SCORE_DECIMALS` decimals. XLSX adds an ``unmatched``
    sheet and a ``run`` sheet (status, objective, solver, seed). JSON is
    `MatchResult.to_dict` plus an ``explanations`` list aligned with ``pairs``.

    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> matches_bytes(solve(pilot_problem()), "csv").decode("utf-8-sig").splitlines()[1][:40]
    'M1,Mentor A (Tower Hamlets),O1,Officer 1'
    """
    fmt = _format(f"x.{fmt}", fmt, MATCH_FORMATS)
    header, rows = _match_rows(result, columns)
    if fmt == "csv":
        return csv_bytes(header, rows)
    if fmt == "json":
        data = result.to_dict()
        reasons = [(k, c.removesuffix("_reason")) for k, c in enumerate(header) if c.endswith("_reason")]
        at = {name: k for k, name in enumerate(header)}
        data["explanations"] = [
            {"mentor_id": r[at["mentor_id"]], "mentee_id": r[at["mentee_id"]], **{name: r[k] for k, name in reasons}}
            for r in rows
        ]
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    unmatched = [[u.side, u.person_id, u.code, u.reason] for u in result.unmatched]
    run: list[list[object]] = [
        ["status", result.status],
        ["objective", rounded(result.objective)],
        ["objective_name", result.objective_name],
        ["solver", result.solver],
        ["seed", result.seed],
        ["runtime_s", result.runtime_s],
    ]
    return xlsx_bytes(
        {
            "matches": (header, rows),
            "unmatched": (["side", "id", "code", "reason"], unmatched),
            "run": (["field", "value"], run),
        }
    )


def write_matches(
    result: MatchResult, path: str | os.PathLike[str], *, fmt: str | None = None, columns: Sequence[str] = ()
) -> Path:
    """Write the matches atomically; the format follows the extension unless ``fmt`` is given.

    >>> import pathlib, tempfile
    >>> from pairmatch import solve
    >>> from pairmatch.examples import pilot_problem
    >>> write_matches(solve(pilot_problem()), pathlib.Path(tempfile.mkdtemp()) / "m.csv").name
    'm.csv'
    """
    fmt = _format(path, fmt, MATCH_FORMATS)
    return write_atomically({path: matches_bytes(result, fmt, columns=columns)})[0]


# --------------------------------------------------------------------------- people


def _person_row(person: Person, extra: Sequence[str]) -> list[Any]:
    return list(person_row(person, list(extra), missing=""))


def people_bytes(people: Sequence[Person], fmt: str, *, sheet: str = "people") -> bytes:
    """People in the column layout as a ``csv``, ``xlsx`` or ``json`` file's bytes (inverse of `read_people`).

    >>> from pairmatch.examples import pilot_problem
    >>> people_bytes(pilot_problem().mentors, "csv").decode("utf-8-sig").splitlines()[0]
    'id,name,focus_areas,boroughs,availability,min_partners,max_partners,age,meetings'
    """
    fmt = _format(f"x.{fmt}", fmt, MATCH_FORMATS)
    extra = list(dict.fromkeys(a for p in people for a in p.attributes))
    if fmt == "json":
        data = [p.model_dump(exclude_defaults=True) for p in people]
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    header = [*COLUMNS, *extra]
    rows = [_person_row(p, extra) for p in people]
    return csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes({sheet: (header, rows)})


def write_people(people: Sequence[Person], path: str | os.PathLike[str], *, fmt: str | None = None) -> Path:
    """Write people in the column layout atomically (``.csv``, ``.xlsx`` or ``.json``).

    >>> import pathlib, tempfile
    >>> from pairmatch.examples import pilot_problem
    >>> write_people(pilot_problem().mentees, pathlib.Path(tempfile.mkdtemp()) / "o.json").suffix
    '.json'
    """
    fmt = _format(path, fmt, MATCH_FORMATS)
    side = "mentors" if people and isinstance(people[0], Mentor) else "mentees"
    return write_atomically({path: people_bytes(people, fmt, sheet=side)})[0]

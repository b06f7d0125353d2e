"""People's own rankings from a file of their own, one row per choice.

A rankings file (CSV or XLSX, first sheet) has the columns ``id`` (who
ranks), ``partner_id`` (whom they rank) and ``rank`` (1 = first choice;
equal numbers are ties; gaps are fine, only the order counts). Mentors and
mentees may share one file: the id says which side ranks. Lists may be
incomplete. A ``ranking`` column in the people files says the same thing in
one cell (``M3 > M1 = M2``); a person is ranked in one place or the other,
never both.

Every problem is reported with the file, row, column and value.
"""

from __future__ import annotations

import csv
import io as stdio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..exceptions import require
from ..models import Person
from ..preferences import Ranking
from ..text import excerpt, quoted
from .cells import blank, cell_text, whole_number
from .issues import InputIssue, IssueLog
from .readers import decode, header_table

__all__ = ["RANKING_FILE_COLUMNS", "apply_rankings", "read_rankings", "read_rankings_into"]

RANKING_FILE_COLUMNS = ("id", "partner_id", "rank")
PersonT = TypeVar("PersonT", bound=Person)


def _rows(path: Path, file: str, log: IssueLog) -> list[tuple[int, list[Any]]] | None:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        text = decode(file, path.read_bytes(), log)
        if text is None:
            return None
        try:
            return [(n, cells) for n, cells in enumerate(csv.reader(stdio.StringIO(text, newline="")), start=1)]
        except csv.Error as err:
            log.add(InputIssue(file, None, None, None, f"not readable as CSV: {err}"))
            return None
    if suffix in (".xlsx", ".xlsm"):
        openpyxl = require("openpyxl", "io", "reading .xlsx files")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises several unrelated types for a bad workbook
            log.add(InputIssue(file, None, None, None, f"not a readable .xlsx workbook ({excerpt(err, 200)})"))
            return None
        try:
            return [(r, list(v)) for r, v in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)]
        finally:
            book.close()
    log.add(InputIssue(file, None, None, excerpt(suffix) or None, "unsupported file type; use .csv or .xlsx"))
    return None


def read_rankings_into(path: str | os.PathLike[str], log: IssueLog) -> dict[str, Ranking]:
    """`read_rankings` that adds problems to ``log`` instead of raising."""
    file, source = str(path), Path(path)
    if not source.is_file():
        log.add(InputIssue(file, None, None, None, "no such file" if not source.exists() else "not a file"))
        return {}
    try:
        rows = _rows(source, file, log)
    except OSError as err:
        log.add(InputIssue(file, None, None, None, f"cannot read the file ({err.strerror or err})"))
        return {}
    rows = [(n, cells) for n, cells in rows or [] if not all(blank(c) for c in cells)]
    if not rows:
        if not log.per_file[file]:
            log.add(InputIssue(file, 1, None, None, "the file is empty; expected the columns id, partner_id, rank"))
        return {}
    number, header = rows[0]
    table = header_table(file, number, header, rows[1:], log)
    missing = [c for c in RANKING_FILE_COLUMNS if c not in table.headers]
    if missing:
        found = ", ".join(excerpt(h, 40) for h in table.headers.values()) or "none"
        log.add(
            InputIssue(file, number, None, None, f"missing column(s) {', '.join(missing)} (columns found: {found})")
        )
        return {}
    choices: dict[str, list[tuple[int, str]]] = {}
    seen: dict[tuple[str, str], int | str] = {}
    for row, record in table.rows:
        values = {c: record.get(c) for c in RANKING_FILE_COLUMNS}
        empty = [c for c, v in values.items() if blank(v)]
        if empty:
            log.add(InputIssue(file, row, table.column(empty[0]), None, f"{empty[0]} is empty"))
            continue
        pid, partner = cell_text(values["id"]).strip(), cell_text(values["partner_id"]).strip()
        rank = whole_number(values["rank"])
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            log.add(
                InputIssue(
                    file, row, table.column("rank"), excerpt(values["rank"]), "rank must be a whole number, 1 or more"
                )
            )
            continue
        if (pid, partner) in seen:
            log.add(
                InputIssue(
                    file,
                    row,
                    table.column("partner_id"),
                    excerpt(partner),
                    f"{quoted(pid)} already ranks {quoted(partner)} on row {seen[(pid, partner)]}",
                )
            )
            continue
        seen[(pid, partner)] = row
        choices.setdefault(pid, []).append((rank, partner))
    out: dict[str, Ranking] = {}
    for pid, ranked in choices.items():
        ranked.sort(key=lambda item: item[0])  # stable: ties keep the file's order
        groups: list[list[str]] = []
        last = None
        for rank, partner in ranked:
            if rank == last:
                groups[-1].append(partner)
            else:
                groups.append([partner])
            last = rank
        out[pid] = tuple(tuple(g) for g in groups)
    return out


def read_rankings(path: str | os.PathLike[str]) -> dict[str, Ranking]:
    """Rankings from a file with the columns ``id``, ``partner_id`` and ``rank``.

    Returns each ranking person's list as tie groups, best first.

    Raises
    ------
    InputFileError
        Listing every problem with its row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rankings.csv"
    >>> _ = path.write_text("id,partner_id,rank\\nO1,M3,1\\nO1,M1,2\\nO1,M2,2\\n", encoding="utf-8")
    >>> read_rankings(path)
    {'O1': (('M3',), ('M1', 'M2'))}
    """
    log = IssueLog()
    out = read_rankings_into(path, log)
    log.raise_if_any()
    return out


def apply_rankings(
    people: Sequence[PersonT], rankings: dict[str, Ranking], file: str, log: IssueLog
) -> tuple[PersonT, ...]:
    """The people with the rankings of ``rankings`` that name them; someone ranked in their
    own file's ``ranking`` column too is an issue (one place per person)."""
    out = []
    for person in people:
        ranking = rankings.get(person.id)
        if ranking is None:
            out.append(person)
            continue
        if person.ranking:
            log.add(
                InputIssue(
                    file,
                    None,
                    "id",
                    excerpt(person.id),
                    f"{quoted(person.id)} has a ranking in the people file's ranking column too; keep one",
                )
            )
        out.append(person.model_copy(update={"ranking": ranking}))
    return tuple(out)

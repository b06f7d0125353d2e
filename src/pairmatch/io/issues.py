"""Problems found in input files: one `InputIssue` each, collected and raised once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..exceptions import PairmatchError
from ..text import excerpt, printable, quoted

__all__ = ["MAX_ISSUES_PER_FILE", "InputFileError", "InputIssue", "IssueLog"]

# A file of 100,000 bad rows must still give a report a person can read: the
# first issues of each file are kept, the rest only counted.
MAX_ISSUES_PER_FILE = 200


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input file.

    Attributes
    ----------
    file : str
        File name as given (``<DataFrame>`` for a DataFrame).
    row : int or None
        Row as numbered in the spreadsheet (header = row 1), the 1-based item of
        a JSON list, the index label of a DataFrame, or the line of a TOML file.
    column : str or None
        Column, JSON key or config key.
    value : str or None
        The offending value as written (control characters escaped, very long
        values cut).
    message : str
        What is wrong and what was expected.
    suggestion : str or None
        The closest valid value, if any.
    row_kind : str
        How ``row`` is counted: ``"row"``, ``"item"``, ``"index"`` or ``"line"``.
    column_kind : str
        What ``column`` names: ``"column"`` or (in a config file) ``"setting"``.
    severity : str
        ``"error"`` (nothing is solved) or ``"warning"`` (worth a look; fatal
        only with ``--strict``).

    Examples
    --------
    >>> print(InputIssue("mentors.csv", 3, "boroughs", "Newhm", "'Newhm' is not a known borough", "Newham"))
    mentors.csv, row 3, column 'boroughs': 'Newhm' is not a known borough - did you mean 'Newham'?
    """

    file: str
    row: int | str | None
    column: str | None
    value: str | None
    message: str
    suggestion: str | None = None
    row_kind: str = "row"
    column_kind: str = "column"
    severity: str = "error"

    def __str__(self) -> str:
        # Everything here may come from a file: escape it, whatever built the issue.
        where = excerpt(self.file, 200)
        if self.row is not None:
            where += f", {self.row_kind} {excerpt(self.row)}"
        if self.column is not None:
            where += f", {self.column_kind} {quoted(self.column)}"
        hint = f" - did you mean {quoted(self.suggestion)}?" if self.suggestion else ""
        return f"{where}: {printable(self.message)}{hint}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


class InputFileError(PairmatchError):
    """Input files with problems; ``issues`` lists those found, in file order.

    At most `MAX_ISSUES_PER_FILE` issues of each file are kept; ``count`` is
    the number found in all.

    >>> issue = InputIssue("mentors.csv", 3, "boroughs", "Newhm", "'Newhm' is not a known borough", "Newham")
    >>> print(InputFileError([issue]))
    1 problem in the input:
      - mentors.csv, row 3, column 'boroughs': 'Newhm' is not a known borough - did you mean 'Newham'?
    """

    def __init__(self, issues: Iterable[InputIssue], *, count: int | None = None) -> None:
        self.issues = tuple(issues)
        self.count = max(count if count is not None else 0, len(self.issues))
        n = self.count
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        rest = n - len(self.issues)
        more = f"\n  ... and {rest} more problem{'s' if rest != 1 else ''} not shown" if rest else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input:\n{lines}{more}")

    def to_dict(self) -> dict[str, Any]:
        """``{"error": "input", "count": ..., "issues": [...]}`` for JSON output."""
        return {
            "error": "input",
            "count": self.count,
            "shown": len(self.issues),
            "issues": [i.to_dict() for i in self.issues],
        }


class IssueLog:
    """Collects issues from every source, keeping the first `MAX_ISSUES_PER_FILE`
    of each file and counting the rest.

    >>> log = IssueLog(limit=1)
    >>> for row in (2, 3, 4):
    ...     log.add(InputIssue("a.csv", row, "id", None, "bad"))
    >>> len(log.issues), log.count, bool(log)
    (1, 3, True)
    """

    def __init__(self, limit: int = MAX_ISSUES_PER_FILE) -> None:
        self.limit = limit
        self.issues: list[InputIssue] = []
        self.count = 0
        self.per_file: Counter[str] = Counter()
        self.warnings: list[InputIssue] = []  # worth a look, never fatal (e.g. hidden spreadsheet rows)

    def warn(self, issue: InputIssue) -> None:
        """Keep a warning (``severity="warning"``): reported, but reading goes on."""
        self.warnings.append(issue)

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count

    def add(self, issue: InputIssue) -> None:
        """Count ``issue`` and keep it unless its file already has ``limit`` kept."""
        self.count += 1
        if self.per_file[issue.file] < self.limit:
            self.issues.append(issue)
        self.per_file[issue.file] += 1

    def extend(self, issues: Iterable[InputIssue]) -> None:
        """`add` each of ``issues``."""
        for issue in issues:
            self.add(issue)

    def error(self) -> InputFileError:
        """An `InputFileError` with the issues kept and the count of all found."""
        return InputFileError(self.issues, count=self.count)

    def raise_if_any(self) -> None:
        """Raise `error` if any issue was found."""
        if self.count:
            raise self.error()

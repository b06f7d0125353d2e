"""What every ``pairmatch`` command shares: exit codes, messages, progress display,
checking outputs, loading and solving."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..exceptions import PairmatchError
from ..matching import solve
from ..objectives import OBJECTIVES
from ..params import SolveParams
from ..text import printable, quoted

__all__ = [
    "EPILOG",
    "EXIT_BROKEN_PIPE",
    "EXIT_INFEASIBLE",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "MATCH_EXAMPLES",
    "CommandLineError",
    "Parser",
    "UsageError",
    "add_input_arguments",
    "add_solving_arguments",
    "check_output",
    "emit_json",
    "fail",
    "load_inputs",
    "progress",
    "report_warnings",
    "safe_lines",
    "show_progress",
    "solve_inputs",
    "solve_params",
    "wants_json",
]

EXIT_OK = 0
EXIT_INFEASIBLE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as Unix tools exit when the reader goes away

EPILOG = """\
exit codes:
  0    success
  1    the problem is infeasible (the hard rules cannot all hold); the reasons are printed
  2    usage or input error: bad arguments, a problem in an input file, or an output that
       cannot be written; nothing is written
  3    unexpected internal error (please report it); nothing is written
  130  interrupted (Ctrl-C); nothing is written

Column layout, settings and examples: run 'pairmatch guide' (the coordinator guide).
"""

MATCH_EXAMPLES = """\
examples:
  pairmatch match mentors.csv mentees.csv -o matches.csv --report report.html
  pairmatch match mentors.xlsx mentees.xlsx --config config.toml -o matches.xlsx
  pairmatch match mentors.csv mentees.csv --format json > result.json
"""


class UsageError(PairmatchError):
    """A bad combination of arguments, detected after parsing."""


class CommandLineError(Exception):
    """Arguments argparse could not parse; ``usage`` is the command's usage line."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class Parser(argparse.ArgumentParser):
    """An argument parser that reports errors to the caller instead of exiting,
    so that ``--format json`` can answer with a JSON document."""

    def error(self, message: str) -> Any:
        """Raise `CommandLineError` with the message and the usage line, where argparse would exit."""
        raise CommandLineError(message, self.format_usage())


def wants_json(argv: Sequence[str]) -> bool:
    """True when the arguments ask for JSON output (known before they are parsed)."""
    args = list(argv)
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in itertools.pairwise(args))


@contextlib.contextmanager
def progress(enabled: bool) -> Iterator[Any]:
    """Yield ``step(description)``: a rich progress line on a terminal, a no-op otherwise."""
    if not enabled:
        yield lambda description: None
        return
    try:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    except ImportError:  # rich is the optional "progress" extra
        yield lambda description: None
        return
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("starting", total=None)  # replaced by the first step
        yield lambda description: bar.update(task, description=description)


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to show the progress display: text output to a terminal, unless ``--no-progress``."""
    return (
        not getattr(args, "no_progress", False)
        and args.format == "text"
        and sys.stdout.isatty()
        and sys.stderr.isatty()
    )


def check_output(path: Path, sources: Sequence[str | None]) -> None:
    """Fail now, before any work, if ``path`` cannot be written; the message names ``path``."""
    shown = quoted(str(path), 200)
    if path.is_dir():
        raise UsageError(f"cannot write {shown}: it is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {shown}: folder {quoted(str(folder), 200)} does not exist")
    for source in sources:
        if source and Path(source).resolve() == path.resolve():
            raise UsageError(f"refusing to overwrite the input file {shown}")
    try:
        # Creating a file is the only reliable test (permissions, read-only mounts, ACLs).
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=folder)
    except OSError as err:
        raise UsageError(
            f"cannot write {shown}: folder {quoted(str(folder), 200)} is not writable ({err.strerror or err})"
        ) from None
    os.close(fd)
    os.unlink(probe)


def load_inputs(args: argparse.Namespace, step: Any) -> tuple[Any, Any, tuple[Any, ...]]:
    """``(problem, config, warnings)``; with ``--strict`` warnings are errors."""
    from ..io import load_problem, problem_warnings
    from ..io.preflight import strict_error

    step("reading and checking input files")
    reading: list[Any] = []
    sheets = getattr(args, "sheet", None) or None
    if sheets is not None and len(sheets) > 2:
        raise UsageError("--sheet: give one sheet for both files, or two (the mentors' and the mentees')")
    chosen = None if sheets is None else sheets[0] if len(sheets) == 1 else (sheets[0], sheets[1])
    problem, config = load_problem(args.mentors, args.mentees, args.config, sheets=chosen, warnings=reading)
    step("checking the rules")
    warnings = (
        *reading,
        *problem_warnings(problem, config, mentors_file=str(args.mentors), mentees_file=str(args.mentees)),
    )
    serious = [w for w in warnings if w.severity == "warning"]  # notes only inform
    if serious and getattr(args, "strict", False):
        raise strict_error(serious)
    return problem, config, warnings


def report_warnings(warnings: Sequence[Any]) -> None:
    """Print each warning about the inputs on stderr, with its severity."""
    for warning in warnings:
        print(f"pairmatch: {warning.severity}: {warning}", file=sys.stderr)


def solve_params(args: argparse.Namespace, config: Any) -> SolveParams:
    """The config's `SolveParams` with ``--objective`` and ``--seed`` applied; an invalid
    value is a `UsageError` naming the option."""
    update: dict[str, Any] = {}
    if getattr(args, "objective", None):
        update["objective"] = args.objective
    if getattr(args, "seed", None) is not None:
        update["seed"] = args.seed
    try:
        # Validate the overrides as a whole (model_copy would accept a negative seed).
        return SolveParams(**{**config.params.model_dump(), **update})
    except ValidationError as err:
        raise UsageError("; ".join(f"--{e['loc'][0]}: {e['msg']}" for e in err.errors())) from err


def solve_inputs(args: argparse.Namespace, problem: Any, config: Any, step: Any) -> Any:
    """Score and solve the loaded problem with `solve_params`; returns the `MatchResult`."""
    n_mentors, n_mentees = problem.shape
    step(f"scoring and solving {n_mentors} mentors x {n_mentees} mentees")
    params = solve_params(args, config)
    return solve(problem, params, seed=params.seed)


def emit_json(data: Any) -> None:
    """Print ``data`` on stdout as one indented JSON document (non-ASCII text kept as is)."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def add_input_arguments(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    """The two people files (optional when the command can read a JSON request instead)."""
    nargs = "?" if optional else None
    parser.add_argument("mentors", nargs=nargs, help="mentors file (.csv, .xlsx or .json)")
    parser.add_argument(
        "mentees",
        nargs=nargs,
        help="mentees file (.csv, .xlsx or .json); may be the same .xlsx "
        "workbook with sheets named 'mentors' and 'mentees'",
    )
    parser.add_argument(
        "-c",
        "--config",
        metavar="TOML",
        help="settings: [weights], [rules], [solve], "
        "[vocabularies], meeting_minutes, name "
        "(default: built-in defaults)",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text for people, json for programs (default: text)"
    )
    parser.add_argument(
        "--sheet",
        action="append",
        metavar="NAME",
        help="the .xlsx worksheet to read: once for both files, or twice (mentors', then mentees') "
        "(default: sheets named 'mentors'/'mentees', else the first)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings (rules nobody can meet, swapped files) as errors: exit 2"
    )


def add_solving_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of commands that solve: ``--seed``, ``--objective`` and ``--no-progress``."""
    parser.add_argument("--seed", type=int, help="seed recorded in the result (overrides [solve] seed)")
    parser.add_argument(
        "--objective",
        choices=tuple(OBJECTIVES),
        help="overrides [solve] objective (default max_score)",
    )
    parser.add_argument("--no-progress", action="store_true", help="never show the progress display")


def fail(json_mode: bool, code: int, message: str, data: dict[str, Any]) -> int:
    """Report a failure: one JSON document on stdout (in JSON mode) and one message on stderr."""
    if json_mode:
        emit_json({**data, "exit_code": code})
    print(f"pairmatch: {safe_lines(message)}", file=sys.stderr)
    return code


def safe_lines(message: str) -> str:
    """``message`` with control characters escaped, line breaks kept."""
    return "\n".join(printable(line) for line in str(message).split("\n"))

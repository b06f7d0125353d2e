"""What every ``pairmatch`` command shares: exit codes, progress display, loading and solving, errors."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from ..exceptions import PairmatchError
from ..matching import solve
from ..params import SolveParams

__all__ = [
    "EPILOG",
    "EXIT_INFEASIBLE",
    "EXIT_OK",
    "EXIT_USAGE",
    "MATCH_EXAMPLES",
    "UsageError",
    "add_input_arguments",
    "add_solving_arguments",
    "emit_json",
    "fail",
    "load_inputs",
    "progress",
    "show_progress",
    "solve_inputs",
    "solve_params",
]

EXIT_OK = 0
EXIT_INFEASIBLE = 1
EXIT_USAGE = 2

EPILOG = """\
exit codes:
  0  success
  1  the problem is infeasible (the hard rules cannot all hold); the reasons are printed
  2  usage or input error: bad arguments, a problem in an input file, or an output that
     cannot be written; nothing is written

Column layout, config keys and examples: docs/coordinator-guide.md
"""

MATCH_EXAMPLES = """\
examples:
  pairmatch match mentors.csv mentees.csv -o matches.csv --report report.html
  pairmatch match mentors.xlsx mentees.xlsx --config config.toml -o matches.xlsx
  pairmatch match mentors.csv mentees.csv --format json > result.json
"""


class UsageError(PairmatchError):
    """A bad combination of arguments, detected after parsing."""


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
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("starting", total=None)  # replaced by the first step
        yield lambda description: progress.update(task, description=description)


def show_progress(args: argparse.Namespace) -> bool:
    return (not getattr(args, "no_progress", False) and args.format == "text"
            and sys.stdout.isatty() and sys.stderr.isatty())


def load_inputs(args: argparse.Namespace, step: Any) -> tuple[Any, Any]:
    from ..io import load_problem

    step("reading and checking input files")
    return load_problem(args.mentors, args.mentees, args.config)


def solve_params(args: argparse.Namespace, config: Any) -> SolveParams:
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
    n_mentors, n_mentees = problem.shape
    step(f"scoring and solving {n_mentors} mentors x {n_mentees} mentees")
    params = solve_params(args, config)
    return solve(problem, params, seed=params.seed)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("mentors", help="mentors file (.csv, .xlsx or .json)")
    parser.add_argument("mentees", help="mentees file (.csv, .xlsx or .json); may be the same .xlsx "
                                        "workbook with sheets named 'mentors' and 'mentees'")
    parser.add_argument("-c", "--config", metavar="TOML", help="settings: [weights], [rules], [solve], "
                                                               "meeting_minutes, name (default: built-in defaults)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for programs (default: text)")


def add_solving_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="seed recorded in the result (overrides [solve] seed)")
    parser.add_argument("--objective", choices=("max_score", "max_participation", "maxmin", "stable"),
                        help="overrides [solve] objective (default max_score)")
    parser.add_argument("--no-progress", action="store_true", help="never show the progress display")


def fail(args: argparse.Namespace, code: int, message: str, data: dict[str, Any]) -> int:
    if getattr(args, "format", "text") == "json":
        emit_json(data)
    print(f"pairmatch: {message}", file=sys.stderr)
    return code



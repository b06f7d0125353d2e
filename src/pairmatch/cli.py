"""The ``pairmatch`` command line.

Exit codes: 0 success, 1 infeasible problem, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .datasets import pilot_problem
from .exceptions import InfeasibleProblemError
from .explain import explain, score_matrix_text
from .params import SolveParams
from .solve import solve

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    problem = pilot_problem()
    result = solve(problem, SolveParams(objective=args.objective), seed=args.seed)
    if args.format == "json":
        print(result.to_json(include_runtime=False))
        return 0
    print(problem.name)
    print(problem.description)
    print()
    print("Combined scores (mentor rows, mentee columns):")
    print(score_matrix_text(result))
    print()
    print(explain(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pairmatch",
        description="Optimal, explained mentor-mentee matching.",
        epilog="Exit codes: 0 success, 1 infeasible problem, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"pairmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="match the built-in pilot-shaped example and explain the result",
                          description="Match the illustrative pilot-shaped example and print every pair explained.")
    demo.add_argument("--seed", type=int, default=0, help="random seed recorded in the result (default 0)")
    demo.add_argument("--objective", choices=("max_score", "max_participation", "maxmin"), default="max_score")
    demo.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InfeasibleProblemError as err:
        print(f"pairmatch: {err}", file=sys.stderr)
        return 1

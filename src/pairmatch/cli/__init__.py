"""The ``pairmatch`` command line.

Commands: ``validate`` (check input files), ``match`` (solve, write matches
and an optional report), ``explain`` (one pair, or one person), ``samples``
(copy the sample files) and ``demo``.

Exit codes: 0 success, 1 infeasible problem, 2 usage or input error
(including a bad input file or an output that cannot be written).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..exceptions import InfeasibleProblemError, MissingExtraError, PairmatchError
from ..version import __version__
from . import commands, programme, service
from .common import EPILOG, EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE, UsageError, fail

__all__ = ["EXIT_INFEASIBLE", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pairmatch`` command."""
    parser = argparse.ArgumentParser(
        prog="pairmatch",
        description="Optimal, explained mentor-mentee matching: spreadsheets in, explained matches out.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pairmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    programme.register(sub)
    service.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring)."""
    from ..io import InputFileError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InfeasibleProblemError as err:
        return fail(args, EXIT_INFEASIBLE, str(err), {"error": "infeasible", "reasons": err.reasons})
    except InputFileError as err:
        hint = "" if args.command == "validate" else "\nnothing was written."
        data = {"ok": False, **err.to_dict()} if args.command == "validate" else err.to_dict()
        return fail(args, EXIT_USAGE, f"{err}{hint}", data)
    except (MissingExtraError, UsageError) as err:
        return fail(args, EXIT_USAGE, str(err), {"error": "usage", "message": str(err)})
    except PairmatchError as err:  # e.g. a backend that is not available
        return fail(args, EXIT_USAGE, str(err), {"error": "usage", "message": str(err)})
    except OSError as err:
        # e.g. an output folder without write permission: nothing was replaced.
        message = f"{err.strerror or err}: {err.filename}" if err.filename else str(err)
        return fail(args, EXIT_USAGE, message, {"error": "io", "message": message})

"""The ``pairmatch`` command line.

Commands: ``validate`` (check input files), ``match`` (solve, write matches
and an optional report), ``explain`` (one pair, or one person), ``samples``
(copy the sample files), ``guide`` (print the coordinator guide) and ``demo``.

Exit codes: 0 success, 1 infeasible problem, 2 usage or input error
(including a bad input file or an output that cannot be written), 3 an
unexpected internal error, 130 interrupted (Ctrl-C), 141 standard output
closed early (``pairmatch ... | head``). With ``--format json`` every run
prints exactly one JSON document on standard output, errors included.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from ..exceptions import InfeasibleProblemError, MissingExtraError, PairmatchError
from ..text import printable
from ..version import __version__
from . import commands, programme, service
from .common import (
    EPILOG,
    EXIT_BROKEN_PIPE,
    EXIT_INFEASIBLE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandLineError,
    Parser,
    UsageError,
    fail,
    wants_json,
)

__all__ = ["EXIT_INFEASIBLE", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pairmatch`` command."""
    parser = Parser(
        prog="pairmatch",
        description="Optimal, explained mentor-mentee matching: spreadsheets in, explained matches out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pairmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub)
    programme.register(sub)
    service.register(sub)
    return parser


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by something without a descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = wants_json(argv)
    args: argparse.Namespace | None = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except CommandLineError as err:
            if not json_mode:
                sys.stderr.write(err.usage)
            return fail(json_mode, EXIT_USAGE, f"error: {err}", {"error": "usage", "message": str(err)})
        json_mode = getattr(args, "format", "text") == "json"
        return _run(args, json_mode)
    except BrokenPipeError:
        # The reader went away (``pairmatch ... | head``): stop quietly, as Unix tools do.
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        written = getattr(args, "written", None) if args is not None else None
        run = getattr(args, "recorded_run", None) if args is not None else None
        if written:
            message = "interrupted after writing " + ", ".join(printable(p) for p in written)
        elif run is not None:
            message = f"interrupted after recording run {run} in the store; no output file was written"
        else:
            message = "interrupted; nothing was written"
        try:
            return fail(
                json_mode,
                EXIT_INTERRUPTED,
                message,
                {
                    "error": "interrupted",
                    "message": message,
                    "outputs": [str(p) for p in written or []],
                    **_recorded(args),
                },
            )
        except BrokenPipeError:
            _quiet_stdout()
            return EXIT_INTERRUPTED


def _recorded(args: argparse.Namespace | None) -> dict[str, Any]:
    """``{"run": id}`` when the store recorded a run before the command failed, else nothing."""
    run = getattr(args, "recorded_run", None)
    return {} if run is None else {"run": run}


def _not_written(args: argparse.Namespace) -> str:
    """What a failed command leaves behind: nothing, or a run the store recorded before an output failed."""
    run = getattr(args, "recorded_run", None)
    if run is None:
        return "nothing was written."
    return f"run {run} was recorded in the store; no output file was written."


def _run(args: argparse.Namespace, json_mode: bool) -> int:
    from ..io import InputFileError

    try:
        return args.run(args)
    except InfeasibleProblemError as err:
        return fail(
            json_mode, EXIT_INFEASIBLE, f"{err}\nnothing was written.", {"error": "infeasible", "reasons": err.reasons}
        )
    except InputFileError as err:
        hint = "" if args.command == "validate" else f"\n{_not_written(args)}"
        data = {"ok": False, **err.to_dict()} if args.command == "validate" else err.to_dict()
        return fail(json_mode, EXIT_USAGE, f"{err}{hint}", {**data, **_recorded(args)})
    except (MissingExtraError, UsageError) as err:
        return fail(json_mode, EXIT_USAGE, str(err), {"error": "usage", "message": printable(err), **_recorded(args)})
    except PairmatchError as err:  # e.g. a backend that is not available
        return fail(json_mode, EXIT_USAGE, str(err), {"error": "usage", "message": printable(err), **_recorded(args)})
    except OSError as err:
        if isinstance(err, BrokenPipeError):
            raise
        # e.g. a full disk while writing: every output was rolled back (a run already recorded stays).
        message = f"{err.strerror or err}: {err.filename}" if err.filename else str(err)
        return fail(
            json_mode,
            EXIT_USAGE,
            f"{message}\n{_not_written(args)}",
            {"error": "io", "message": printable(message), **_recorded(args)},
        )
    except Exception as err:  # a bug: say so plainly, keep the traceback off standard output
        traceback.print_exc(file=sys.stderr)
        written = getattr(args, "written", None)
        note = "" if written else f"\n{_not_written(args)}"
        message = f"internal error ({type(err).__name__}: {err}); please report it{note}"
        return fail(
            json_mode,
            EXIT_INTERNAL,
            message,
            {"error": "internal", "type": type(err).__name__, "message": printable(err), **_recorded(args)},
        )

"""The coordinator commands: ``validate``, ``match``, ``explain``, ``samples``, ``guide`` and ``demo``."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from ..examples import pilot_problem
from ..explanations import alternatives, explain, explain_pair, score_matrix_text, why_not, why_unmatched
from ..matching import solve
from ..objectives import OBJECTIVES
from ..params import SolveParams
from ..text import printable, quoted
from .common import (
    EPILOG,
    EXIT_OK,
    MATCH_EXAMPLES,
    UsageError,
    add_input_arguments,
    add_solving_arguments,
    check_output,
    emit_json,
    load_inputs,
    progress,
    report_warnings,
    show_progress,
    solve_inputs,
)
from .programme import add_match_arguments, match_with_store, shown_columns
from .service import contract_input

__all__ = ["register"]


def run_validate(args: argparse.Namespace) -> int:
    with progress(show_progress(args)) as step:
        problem, _config, warnings = load_inputs(args, step)
    report_warnings(warnings)
    n_mentors, n_mentees = problem.shape
    if args.format == "json":
        emit_json(
            {
                "ok": True,
                "mentors": n_mentors,
                "mentees": n_mentees,
                "issues": [],
                "warnings": [w.to_dict() for w in warnings],
            }
        )
    else:
        print(
            f"OK: {n_mentors} mentors and {n_mentees} mentees, no problems found"
            + (f" (settings from {printable(args.config)})" if args.config else " (default settings)")
            + (f"; {len(warnings)} warning{'s' if len(warnings) != 1 else ''} above" if warnings else "")
        )
    return EXIT_OK


def planned_outputs(args: argparse.Namespace) -> list[tuple[Path, str, str]]:
    """``(path, kind, format)`` for every requested output, checked before any work is done."""
    out = []
    for path in args.output or []:
        fmt = Path(path).suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx", "json"):
            raise UsageError(f"output {path!r}: use a .csv, .xlsx or .json file name")
        out.append((Path(path), "matches", fmt))
    for path in args.report or []:
        fmt = Path(path).suffix.lower().lstrip(".")
        if fmt not in ("html", "htm", "md"):
            raise UsageError(f"report {path!r}: use a .html or .md file name")
        out.append((Path(path), "report", fmt))
    from ..io import config_files

    # Every input is protected, including the vocabulary files the config names.
    sources = (args.mentors, args.mentees, args.config, *map(str, config_files(args.config)))
    seen = set()
    for path, _, _ in out:
        resolved = path.resolve()
        if resolved in seen:
            raise UsageError(f"{str(path)!r} is given twice")
        check_output(path, sources)
        seen.add(resolved)
    return out


def run_match(args: argparse.Namespace) -> int:
    from ..io import matches_bytes, write_atomically

    outputs = planned_outputs(args)
    with progress(show_progress(args)) as step:
        problem, config, warnings = load_inputs(args, step)
        report_warnings(warnings)
        columns = shown_columns(problem, [*getattr(config, "columns", ()), *(args.column or [])])
        result = match_with_store(args, problem, config, step)
        files: dict[Path, bytes] = {}
        sources = [str(s) for s in (args.mentors, args.mentees, args.config) if s]
        charts: Any = None
        report: Any = None
        for path, kind, fmt in outputs:
            step(f"preparing {path.name}")
            if kind == "matches":
                files[path] = matches_bytes(result, fmt, columns=columns)
            else:
                from ..report import build_report, draw_charts, report_bytes

                if report is None:  # built and drawn once for all reports
                    report = build_report(result, sources=sources, columns=columns)
                    charts = draw_charts(report)
                files[path] = report_bytes(report, fmt, charts=charts)
        step("writing outputs")
        # All outputs are rendered before any is written, then replaced together.
        written = write_atomically(files) if files else []
        args.written = written
    if args.format == "json":
        emit_json(
            {**result.to_dict(), "outputs": [str(p) for p in written], "warnings": [w.to_dict() for w in warnings]}
        )
        return EXIT_OK
    print(explain(result) if args.explain else result.summary())
    if written:
        print()
        for path in written:
            print(f"wrote {path}")
    elif not args.quiet:
        print("\n(nothing saved: add -o matches.csv and/or --report report.html)")
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    if bool(args.pair) == bool(args.person):
        raise UsageError("give either --pair MENTOR_ID MENTEE_ID or --person ID")
    with progress(show_progress(args)) as step:
        problem, config, warnings = load_inputs(args, step)
        report_warnings(warnings)
        # Unknown ids are input mistakes: say so before solving.
        for pid in args.pair or [args.person]:
            try:
                problem.locate(pid)
            except KeyError:
                from ..io import InputFileError, InputIssue
                from ..text import excerpt

                raise InputFileError(
                    [InputIssue("command line", None, None, excerpt(pid), f"no mentor or mentee has id {quoted(pid)}")]
                ) from None
        result = solve_inputs(args, problem, config, step)
    if args.pair:
        mentor_id, mentee_id = args.pair
        try:
            explanation = explain_pair(result, mentor_id, mentee_id)
        except KeyError as err:
            raise UsageError(str(err.args[0])) from err
        note = None if explanation.matched else why_not(result, mentor_id, mentee_id)
        if args.format == "json":
            data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in explanation.__dict__.items()}
            emit_json({**data, "why_not": note})
        else:
            print(explanation.text())
            if note:
                print()
                print(note)
        return EXIT_OK
    pid = args.person
    text = why_unmatched(result, pid)
    partners = result.partners_of(pid)
    side = problem.locate(pid)[0]
    pairs = [(pid, p) if side == "mentor" else (p, pid) for p in partners]
    alts = alternatives(result, pid, args.top)
    if args.format == "json":
        emit_json(
            {
                "person_id": pid,
                "side": side,
                "partners": list(partners),
                "text": text,
                "pairs": [{**explain_pair(result, m, e).__dict__, "blocked_by": []} for m, e in pairs],
                "alternatives": [
                    {
                        **a.__dict__,
                        "blocked_by": list(a.blocked_by),
                        "partner_matched_with": list(a.partner_matched_with),
                    }
                    for a in alts
                ],
            }
        )
        return EXIT_OK
    print(printable(text))
    for m, e in pairs:
        print()
        print(explain_pair(result, m, e).text())
    if alts:
        print()
        print(f"best allowed alternatives for {printable(problem.person(pid).label)}:")
        for a in alts:
            extra = (
                f"ruled out: {'; '.join(a.blocked_by)}"
                if a.blocked_by
                else f"paired with {', '.join(a.partner_matched_with)}"
                if a.partner_matched_with
                else "free"
            )
            print(printable(f"  {problem.person(a.partner_id).label}: score {a.score:.3f} ({extra})"))
    return EXIT_OK


def run_samples(args: argparse.Namespace) -> int:
    from ..io import sample_path

    source = sample_path(args.programme)
    target = Path(args.directory)
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in sorted(source.iterdir()):
        if item.is_file() and not item.name.startswith("."):
            destination = target / item.name
            if destination.exists() and not args.force:
                raise UsageError(f"{str(destination)!r} exists; use --force to overwrite")
            copied.append((item, destination))
    for item, destination in copied:
        shutil.copyfile(item, destination)
        print(f"wrote {destination}")
    return EXIT_OK


def run_guide(args: argparse.Namespace) -> int:
    from ..io import guide_text

    print(guide_text(), end="")
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    problem = pilot_problem()
    result = solve(problem, SolveParams(objective=args.objective), seed=args.seed)
    if args.format == "json":
        print(result.to_json(include_runtime=False))
        return EXIT_OK
    print(problem.name)
    print(problem.description)
    print()
    print("Combined scores (mentor rows, mentee columns):")
    print(score_matrix_text(result))
    print()
    print(explain(result))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the coordinator commands to the ``pairmatch`` sub-command parser ``sub``."""
    formatter = argparse.RawDescriptionHelpFormatter
    validate = sub.add_parser(
        "validate",
        help="check the input files and list every problem found",
        description="Read both files (and the config) and report every problem at once: file, row, column, "
        "value, what is wrong and a suggestion. Nothing is solved or written.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    add_input_arguments(validate)
    validate.add_argument("--no-progress", action="store_true", help=argparse.SUPPRESS)
    validate.set_defaults(run=run_validate)

    match = sub.add_parser(
        "match",
        help="find the best matching; write matches and an optional report",
        description="Find a provably best matching and print it. Outputs are written only when the whole run "
        "succeeds, each to a temporary file first, so existing files are never half-written.",
        epilog=MATCH_EXAMPLES + "\n" + EPILOG,
        formatter_class=formatter,
    )
    add_input_arguments(match, optional=True)
    add_solving_arguments(match)
    match.add_argument(
        "-o",
        "--output",
        action="append",
        metavar="FILE",
        help="write the matches to FILE (.csv, .xlsx or .json); repeat for several",
    )
    match.add_argument(
        "--report",
        action="append",
        metavar="FILE",
        help="write a report to FILE (.html self-contained, or .md); repeat for several",
    )
    match.add_argument(
        "--column",
        action="append",
        metavar="COLUMN",
        help="an extra input column (email, team, pronouns, ...) to show beside each person in the matches "
        "and the report; repeat for several (also [output] columns in the config)",
    )
    match.add_argument("--explain", action="store_true", help="print every pair explained, not just the table")
    match.add_argument("-q", "--quiet", action="store_true", help="no hints")
    add_match_arguments(match)
    match.set_defaults(run=run_match)
    contract_input(match)  # --input request.json: the JSON contract instead of spreadsheets

    expl = sub.add_parser(
        "explain",
        help="explain one pair, or one person's match (or why they are unmatched)",
        description="Solve as 'match' does, then explain one pair (its score breakdown and, if it was not "
        "chosen, why not) or one person (their partners, or why they are unmatched, and their "
        "best alternatives).",
        epilog="examples:\n  pairmatch explain mentors.csv mentees.csv --pair M1 O1\n"
        "  pairmatch explain mentors.csv mentees.csv --person O3\n\n" + EPILOG,
        formatter_class=formatter,
    )
    add_input_arguments(expl)
    add_solving_arguments(expl)
    expl.add_argument("--pair", nargs=2, metavar=("MENTOR_ID", "MENTEE_ID"), help="the pair to explain")
    expl.add_argument("--person", metavar="ID", help="the mentor or mentee to explain")
    expl.add_argument("--top", type=int, default=3, help="alternatives to list for --person (default 3)")
    expl.set_defaults(run=run_explain)

    samples = sub.add_parser(
        "samples",
        help="copy sample input files to a folder, to start from",
        description="Copy a sample programme (mentors, mentees, config) into DIRECTORY.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    samples.add_argument("directory", help="where to copy the files")
    samples.add_argument(
        "--programme", choices=("pilot", "synthetic-200"), default="pilot", help="which sample (default: pilot)"
    )
    samples.add_argument("--force", action="store_true", help="overwrite existing files")
    samples.set_defaults(run=run_samples, format="text")

    guide = sub.add_parser(
        "guide",
        help="print the coordinator guide: column layout, settings, commands, examples",
        description="Print the coordinator guide (Markdown) shipped with pairmatch. Page through it with "
        "'pairmatch guide | less'.",
        epilog=EPILOG,
        formatter_class=formatter,
    )
    guide.set_defaults(run=run_guide, format="text")

    demo = sub.add_parser(
        "demo",
        help="match the built-in pilot-shaped example and explain the result",
        description="Match the illustrative pilot-shaped example and print every pair explained.",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed recorded in the result (default 0)")
    demo.add_argument("--objective", choices=tuple(OBJECTIVES), default="max_score")
    demo.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    demo.set_defaults(run=run_demo)

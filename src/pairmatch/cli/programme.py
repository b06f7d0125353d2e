"""Commands for a running programme, kept in a programme store.

``store init|upgrade|status``, ``match ... --store`` (records the run and
starts its pairs, or proposes them with ``--consent``), ``respond``,
``runs``, ``history``, ``end-pair``, ``lock-pair``, ``feedback``,
``rematch``, ``diff``, ``inspect`` and ``stability``.

The store is ``--store`` (a SQLite file path or a database URL), else
``$PAIRMATCH_STORE``, else ``programme.db`` in the current folder. Only
``store init`` creates a store; every other command needs one that exists.
Each command that changes the store is one transaction; report files are
rendered first and written atomically after the store has the change.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..certificates import status_text
from ..consent import CONSENT_EVENTS
from ..objectives import OBJECTIVES
from ..params import SolveParams
from ..text import printable
from .common import (
    EPILOG,
    EXIT_OK,
    UsageError,
    check_output,
    emit_json,
    progress,
    safe_lines,
    show_progress,
    solve_params,
)

__all__ = ["add_match_arguments", "consent_options", "match_with_store", "register", "shown_columns"]

STORE_HELP = (
    "programme store: a SQLite file or a database URL such as postgresql://user@host/db "
    "(default: $PAIRMATCH_STORE, else programme.db in the current folder)"
)
STORE_EPILOG = """\
the store:
  --store FILE|URL, else $PAIRMATCH_STORE, else programme.db in the current folder.
  Create it once with 'pairmatch store init'; commands never create it by accident.
"""


def _open(args: argparse.Namespace) -> Any:
    from ..store import ProgrammeStore

    return ProgrammeStore.open(args.store)


def _cohort(store: Any, args: argparse.Namespace) -> str:
    """The cohort named on the command line, else the most recently created one."""
    if getattr(args, "cohort", None):
        return str(args.cohort)
    with store.reading() as r:
        latest = r.latest_cohort()
    if latest is None:
        raise UsageError("the store has no cohort yet: run 'pairmatch match MENTORS MENTEES --store ... --cohort NAME'")
    return str(latest)


def _penalty(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (score per moved working pair, or inf)") from None
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError("the move penalty is a score per moved working pair: a number >= 0, or inf")
    return value


def _date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _report_outputs(paths: list[str] | None, option: str, sources: Sequence[str | None] = ()) -> list[tuple[Path, str]]:
    out = []
    for path in paths or []:
        fmt = Path(path).suffix.lower().lstrip(".")
        if fmt not in ("html", "htm", "md"):
            raise UsageError(f"{option} {path!r}: use a .html or .md file name")
        # Checked before any solve: the store must never record a run whose reports cannot be written.
        check_output(Path(path), sources)
        out.append((Path(path), fmt))
    return out


def _write(files: dict[Path, bytes]) -> list[Path]:
    from ..io import write_atomically

    return write_atomically(dict(files.items())) if files else []


# --------------------------------------------------------------------------- store


def run_store(args: argparse.Namespace) -> int:
    from ..store import ProgrammeStore, display_url, head_revision, store_url

    url = store_url(args.store)
    if args.action == "init":
        with ProgrammeStore.init(args.store) as store:
            print(f"programme store ready at {display_url(url)} (schema {store.revision()})")
    elif args.action == "upgrade":
        from ..store import StoreError
        from ..store.engine import connect, migrate

        engine = connect(url)
        if engine.dialect.name == "sqlite" and engine.url.database and not Path(engine.url.database).exists():
            engine.dispose()
            raise StoreError(f"no programme store at {engine.url.database}; create it with: pairmatch store init")
        try:
            before, after = migrate(engine, args.revision)
        finally:
            engine.dispose()
        print(
            f"{display_url(url)}: schema {before or 'none'} -> {after}"
            + (" (already up to date)" if before == after else "")
        )
    else:
        store = _open(args)
        with store:
            with store.reading() as r:
                cohorts = r.cohorts()
            if args.format == "json":
                emit_json(
                    {
                        "store": display_url(url),
                        "revision": store.revision(),
                        "head": head_revision(),
                        "cohorts": [
                            {
                                "name": c.name,
                                "members": c.members,
                                "active_pairs": c.active_pairs,
                                "proposals": c.proposals,
                                "consent": c.consent.model_dump(),
                                "runs": c.runs,
                            }
                            for c in cohorts
                        ],
                    }
                )
                return EXIT_OK
            print(f"{display_url(url)}: schema {store.revision()} (newest {head_revision()})")
            for c in cohorts:
                waiting = f" ({c.proposals} waiting for answers)" if c.consent.required or c.proposals else ""
                print(
                    printable(
                        f"  cohort {c.name}: {c.members} members, {c.active_pairs} active pairs{waiting}, {c.runs} runs"
                    )
                )
            if not cohorts:
                print("  no cohorts yet")
    return EXIT_OK


# --------------------------------------------------------------------------- match --store


def add_match_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``match`` options that record the run in a programme store."""
    group = parser.add_argument_group("programme store (record the run and start its pairs)")
    group.add_argument(
        "--store", metavar="FILE|URL", help=STORE_HELP + "; without --store and --cohort nothing is recorded"
    )
    group.add_argument(
        "--cohort",
        metavar="NAME",
        help="cohort to match (created if new) in the store: --store, "
        "else $PAIRMATCH_STORE, else programme.db in the current folder",
    )
    group.add_argument(
        "--allow-repeats",
        action="store_true",
        help="allow pairs that were paired before (default: never repeat a pairing)",
    )
    group.add_argument(
        "--prefer-earlier-partners",
        type=float,
        default=0.0,
        metavar="WEIGHT",
        help="weight of the 'earlier_partner' score component (needs --allow-repeats)",
    )
    group.add_argument(
        "--feedback-weight",
        type=float,
        default=0.0,
        metavar="WEIGHT",
        help="weight of the 'feedback' component: (mean rating 1-5 - 1) / 4, 0.5 when unrated",
    )
    group.add_argument(
        "--consent",
        action="store_true",
        default=None,
        help="record the pairs as proposed until both people accept ('pairmatch respond'); "
        "default: [consent] required in the config",
    )
    group.add_argument(
        "--expire-after",
        type=int,
        metavar="DAYS",
        help="with --consent: a proposal not accepted by both within DAYS days expires "
        "(default: [consent] expires_after_days, else never)",
    )


def match_with_store(args: argparse.Namespace, problem: Any, config: Any, step: Any) -> Any:
    """Solve as ``match`` does; with ``--store``/``--cohort`` use the history and record the run."""
    from .common import solve_inputs

    if not (getattr(args, "store", None) or getattr(args, "cohort", None)):
        return solve_inputs(args, problem, config, step)
    if not args.cohort:
        raise UsageError("--store needs --cohort NAME (the cohort this matching starts)")
    from ..store import HistoryOptions

    try:
        history = HistoryOptions(
            forbid_repeats=not args.allow_repeats,
            continuity_weight=args.prefer_earlier_partners,
            feedback_weight=args.feedback_weight,
        )
    except ValidationError as err:
        raise UsageError("; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())) from err
    params = solve_params(args, config)
    consent = consent_options(args, config)
    store = _open(args)
    with store:
        step(f"scoring and solving {problem.shape[0]} mentors x {problem.shape[1]} mentees with the history")
        proposal = store.plan_match(args.cohort, problem, params, history=history, consent=consent)
        step("recording the run")
        run = store.commit(proposal)
        with store.reading() as r:
            info = r.cohort(args.cohort)
    args.recorded_run = run.id
    if args.format == "text" and not getattr(args, "quiet", False):
        assert info is not None
        what = "proposed (waiting for both people to accept)" if info.consent.required else "started"
        print(printable(f"recorded run {run.id} for cohort {args.cohort}: {len(run.pairs)} pairs {what}"))
        if proposal.excluded:
            print(f"{len(proposal.excluded)} earlier pairing(s) excluded: nobody is paired with an earlier partner")
    return proposal.result


def shown_columns(problem: Any, columns: Sequence[str]) -> list[str]:
    """The extra columns to carry into outputs, each one a column somebody has (else a `UsageError`)."""
    import difflib

    known = {name for person in (*problem.mentors, *problem.mentees) for name in person.attributes}
    out = list(dict.fromkeys(columns))
    for column in out:
        if column not in known:
            close = difflib.get_close_matches(column, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listed = ", ".join(sorted(known)) or "none"
            raise UsageError(f"column {column!r} is in neither file (extra columns: {listed}){hint}")
    return out


def consent_options(args: argparse.Namespace, config: Any) -> Any:
    """The consent settings from ``--consent``/``--expire-after`` over the config's ``[consent]`` (None: unchanged)."""
    from ..consent import ConsentOptions

    document = getattr(config, "document", None)
    # Only settings the config file states: a cohort's own consent is not switched off by a default.
    base = config.consent if document is not None and "consent" in document.model_fields_set else None
    if args.consent is None and args.expire_after is None:
        return base
    update: dict[str, Any] = {"required": True if args.consent else bool(base and base.required)}
    if args.expire_after is not None:
        update["expires_after_days"] = args.expire_after
    try:
        return ConsentOptions(**{**(base.model_dump() if base else {}), **update})
    except ValidationError as err:
        raise UsageError("--expire-after: " + "; ".join(e["msg"] for e in err.errors())) from err


# --------------------------------------------------------------------------- history and changes


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def run_runs(args: argparse.Namespace) -> int:
    with _open(args) as store, store.reading() as r:
        runs = r.runs(args.cohort)
    if args.format == "json":
        emit_json(
            [
                {
                    "id": r.id,
                    "cohort": r.cohort,
                    "kind": r.kind,
                    "parent": r.parent_id,
                    "created_at": r.created_at.isoformat(),
                    "status": r.status,
                    "optimality_gap": r.certificate.get("optimality_gap"),
                    "objective": r.objective,
                    "score": r.score,
                    "continuity_bonus": r.continuity_bonus,
                    "pairs": len(r.pairs),
                    "move_penalty": r.move_penalty,
                }
                for r in runs
            ]
        )
        return EXIT_OK
    for r in runs:
        extra = (
            f" after run {r.parent_id}, move_penalty {r.move_penalty if r.move_penalty is not None else 'inf'}"
            if r.kind == "rematch"
            else ""
        )
        # One number per run: the pairs' total score; a re-match's continuity bonus (part of
        # its objective) beside it, never folded in.
        shown = f" + continuity bonus {r.continuity_bonus:.4f}" if r.continuity_bonus else ""
        print(
            printable(
                f"run {r.id}  {_when(r.created_at)}  cohort {r.cohort}  {r.kind}{extra}: "
                f"{len(r.pairs)} pairs, score {r.score:.4f}{shown}, "
                f"{status_text(r.status, r.certificate.get('optimality_gap'))}"
            )
        )
    if not runs:
        print("no runs yet")
    return EXIT_OK


def _state_text(r: Any, now: Any) -> str:
    """A pairing's state in words, with the dates that matter."""
    if r.state == "proposed":
        waiting = [
            pid for pid, at in ((r.mentor_id, r.mentor_accepted_at), (r.mentee_id, r.mentee_accepted_at)) if not at
        ]
        text = f"proposed, waiting for {' and '.join(waiting)}"
        if r.expires_at is not None:
            text += f"; {'expired' if r.overdue(now) else 'expires'} {_when(r.expires_at)}"
        return text
    if r.state == "active":
        return "active" + (", locked" if r.locked else "") + f" since {_when(r.accepted_at or r.started_at)}"
    return f"{r.state} {_when(r.ended_at)}"


def _event_text(e: Any) -> str:
    rating = f"rating {e.rating}" + (": " if e.reason else "") if e.kind == "feedback" else ""
    detail = rating + (e.reason or "")
    by = f" by {e.person}" if e.person else ""
    return f"    {_when(e.at)}  {e.kind}{by}  {detail}".rstrip()


def run_history(args: argparse.Namespace) -> int:
    from ..store.schema import utcnow

    with _open(args) as store, store.reading() as r:
        records = r.history(args.cohort, args.person)
    if args.active:
        records = [r for r in records if r.active]
    if args.format == "json":
        emit_json([r.to_dict() for r in records])
        return EXIT_OK
    now = utcnow()
    for r in records:
        print(printable(f"{r.cohort}  {r.mentor_id} - {r.mentee_id}  (run {r.run_id}): {_state_text(r, now)}"))
        for e in r.events:
            print(printable(_event_text(e)))
    if not records:
        print("no pairings recorded" + (f" for {printable(args.person)}" if args.person else ""))
    return EXIT_OK


def run_respond(args: argparse.Namespace) -> int:
    if args.accept == args.decline:
        raise UsageError("give --accept or --decline")
    with _open(args) as store, store.transaction() as tx:
        record = tx.respond(
            args.mentor, args.mentee, accept=args.accept, by=args.by, reason=args.reason or "", cohort=args.cohort
        )
    if args.format == "json":
        emit_json(record.to_dict())
        return EXIT_OK
    who = args.by or "both"
    pair = f"{record.mentor_id} - {record.mentee_id} (cohort {record.cohort})"
    if record.state == "declined":
        print(printable(f"{pair}: declined by {who}"))
        print("both are free for the next 'pairmatch rematch', which will not propose this pair again")
    elif record.state == "active":
        print(printable(f"{pair}: accepted by {who}; both have accepted, the pair has started"))
    else:
        waiting = record.mentee_id if record.mentor_accepted_at else record.mentor_id
        print(printable(f"{pair}: accepted by {who}; waiting for {waiting}"))
    return EXIT_OK


def run_end_pair(args: argparse.Namespace) -> int:
    with _open(args) as store, store.transaction() as tx:
        record = tx.end_pair(args.mentor, args.mentee, args.reason, args.cohort)
    if args.format == "json":
        emit_json(record.to_dict())
    else:
        print(
            printable(f"ended {record.mentor_id} - {record.mentee_id} in cohort {record.cohort}: {record.end_reason}")
        )
        print("both are free for the next 'pairmatch rematch'")
    return EXIT_OK


def run_lock_pair(args: argparse.Namespace) -> int:
    with _open(args) as store, store.transaction() as tx:
        record = tx.lock_pair(
            args.mentor, args.mentee, locked=not args.unlock, reason=args.reason or "", cohort=args.cohort
        )
    print(
        printable(
            f"{'unlocked' if args.unlock else 'locked'} {record.mentor_id} - {record.mentee_id} "
            f"in cohort {record.cohort}"
        )
    )
    return EXIT_OK


def run_feedback(args: argparse.Namespace) -> int:
    with _open(args) as store, store.transaction() as tx:
        record = tx.record_feedback(args.mentor, args.mentee, args.rating, args.comment or "", args.cohort)
    print(
        printable(
            f"recorded rating {args.rating} for {record.mentor_id} - {record.mentee_id} "
            f"(cohort {record.cohort}); ratings so far: {', '.join(map(str, record.ratings))}"
        )
    )
    return EXIT_OK


# --------------------------------------------------------------------------- rematch


def _joiners(args: argparse.Namespace, base: Any) -> list[Any]:
    from ..io import read_people

    people: list[Any] = []
    for side, path in args.join or []:
        if side not in ("mentor", "mentee", "mentors", "mentees"):
            raise UsageError(f"--join {side} {path}: the side is 'mentor' or 'mentee'")
        people += read_people(path, side.rstrip("s"), taxonomy=base.taxonomy, geography=base.geography)
    return people


def run_rematch(args: argparse.Namespace) -> int:
    from ..diffs import Snapshot, diff
    from ..store.reports import changes_bytes

    joining = [path for _, path in args.join or []]
    reports = _report_outputs(args.report, "--report", joining)
    match_reports = _report_outputs(args.match_report, "--match-report", joining)
    with progress(show_progress(args)) as step, _open(args) as store:
        cohort = _cohort(store, args)
        with store.reading() as r:
            last = r.latest_run(cohort)
        base = last.base_problem()
        join = _joiners(args, base)
        params = None
        if args.objective or args.seed is not None:
            stored = SolveParams.model_validate(last.settings.get("solve", {}))
            update = {k: v for k, v in (("objective", args.objective), ("seed", args.seed)) if v is not None}
            params = stored.model_copy(update=update)
        step(f"re-matching cohort {cohort} after run {last.id}")
        try:
            proposal = store.plan_rematch(
                cohort,
                leave=args.leave or [],
                join=join,
                lock=[tuple(p) for p in args.lock or []],
                move_penalty=args.move_penalty,
                params=params,
            )
        except ValueError as err:
            raise UsageError(str(err)) from err
        outcome = proposal.rematch
        before = last.snapshot()
        changes = diff(before, Snapshot.of(proposal.result, "proposal" if args.dry_run else "new run"))
        files: dict[Path, bytes] = {}
        title = f"Cohort {cohort}: re-match of run {last.id}"
        for path, fmt in reports:
            step(f"preparing {path.name}")
            files[path] = changes_bytes(changes, fmt, outcome, title=title)
        for path, fmt in match_reports:
            from ..report import report_bytes

            step(f"preparing {path.name}")
            files[path] = report_bytes(proposal.result, fmt, sources=[f"cohort {cohort}, re-match of run {last.id}"])
        run = None
        if not args.dry_run:
            step("recording the re-match")
            run = store.commit(proposal, leave_reason=args.leave_reason or "")
            args.recorded_run = run.id
        written = _write(files)
    if args.format == "json":
        emit_json(
            {
                "run": run.id if run else None,
                "cohort": cohort,
                "parent": last.id,
                **outcome.to_dict(),
                "diff": changes.to_dict(),
                "outputs": [str(p) for p in written],
            }
        )
        return EXIT_OK
    print(safe_lines(outcome.summary()))
    print()
    print(("recorded as run " + str(run.id)) if run else "dry run: nothing recorded")
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


# --------------------------------------------------------------------------- introduce


def _introduced_pairs(run: Any, records: list[Any], accepted_only: bool) -> tuple[list[Any], dict[Any, Any]]:
    """The pairs a run started or changed that are still current, with ``(change, reason)`` each."""
    current = {(r.mentor_id, r.mentee_id): r for r in records if r.active and r.run_id == run.id}
    if run.kind == "match" or not run.changes:
        made = {pair: ("new", "") for pair in run.pairs}
    else:
        changes = run.changes.get("changes", [])
        had = {p for c in changes if c["change"] != "new" for p in (c["mentor_id"], c["mentee_id"])}
        made = {
            (c["mentor_id"], c["mentee_id"]): (
                "changed" if had & {c["mentor_id"], c["mentee_id"]} else "new",
                c["reason"],
            )
            for c in changes
            if c["change"] == "new"
        }
    pairs = [p for p in run.pairs if p in made and p in current and not (accepted_only and current[p].proposed)]
    return pairs, made


def run_introduce(args: argparse.Namespace) -> int:
    from ..introductions import IntroductionOptions, build_introductions, introduction_files

    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {str(folder)!r} is a file; give a folder")
    config = _introduce_config(args)
    options = getattr(config, "introductions", None) or IntroductionOptions()
    update = {
        k: v
        for k, v in (
            ("email_column", args.email_column),
            ("frequency", args.frequency),
            ("meetings", args.meetings),
            ("first_meeting_after", args.first_meeting),
        )
        if v is not None
    }
    try:
        options = IntroductionOptions(**{**options.model_dump(), **update})
    except ValidationError as err:
        raise UsageError(
            "; ".join(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}" for e in err.errors())
        ) from err
    template = _template_text(args, config, options)
    columns = list(dict.fromkeys([*getattr(config, "columns", ()), *(args.column or [])]))
    with progress(show_progress(args)) as step, _open(args) as store:
        with store.reading() as r:
            run = r.run(args.run_id)
            records = r.history(run.cohort)
        pairs, made = _introduced_pairs(run, records, args.accepted_only)
        step(f"solving run {run.id} again to introduce its pairs")
        result = run.solve_again()
        assert result.context is not None
        columns = shown_columns(result.context.problem, columns)
        if options.email_column:
            shown_columns(result.context.problem, [options.email_column])
        intros = build_introductions(
            result,
            pairs,
            options,
            columns=columns,
            changes=made,
            cohort=run.cohort,
            made_on=run.created_at.date(),
        )
        rendered = introduction_files(intros, options, template=template, stamp=run.created_at, tag=f"run {run.id}")
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("letters", "calendar"):
        (folder / sub).mkdir(exist_ok=True)
    written = _write({folder / name: data for name, data in rendered.files.items()})
    args.written = written
    if args.format == "json":
        emit_json(
            {
                "run": run.id,
                "cohort": run.cohort,
                "pairs": rendered.pairs,
                "letters": rendered.letters,
                "calendars": rendered.calendars,
                "outputs": [str(p) for p in written],
            }
        )
        return EXIT_OK
    # Counts only: the files hold names and contact details, the terminal and logs do not.
    print(printable(f"run {run.id} (cohort {run.cohort}): {rendered.summary()} in {folder}"))
    skipped = len(made) - len(pairs)
    if skipped:
        print(f"{skipped} pair(s) of the run are not introduced: ended, declined or (--accepted-only) not yet accepted")
    return EXIT_OK


def _introduce_config(args: argparse.Namespace) -> Any:
    if not args.config:
        return None
    from ..io import read_config

    return read_config(args.config)


def _template_text(args: argparse.Namespace, config: Any, options: Any) -> str | None:
    path = args.template
    if path is None and options.template:
        base = Path(config.source).parent if config is not None and config.source else Path.cwd()
        path = str(base / options.template)
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read the letter template {str(path)!r}: {err}") from err


# --------------------------------------------------------------------------- diff, inspect, stability


def run_diff(args: argparse.Namespace) -> int:
    from ..diffs import diff
    from ..store.reports import changes_bytes

    reports = _report_outputs(args.report, "--report")
    with _open(args) as store, store.reading() as r:
        a, b = r.run(args.run_a), r.run(args.run_b)
        records = [rec for cohort in dict.fromkeys((a.cohort, b.cohort)) for rec in r.history(cohort)]
    changes = diff(a.snapshot(), b.snapshot())
    steps = pairing_steps(records, {a.id, b.id})
    title = f"Run {a.id} (cohort {a.cohort}) to run {b.id} (cohort {b.cohort})"
    written = _write({path: changes_bytes(changes, fmt, title=title) for path, fmt in reports})
    if args.format == "json":
        emit_json({**changes.to_dict(), "steps": steps, "outputs": [str(p) for p in written]})
        return EXIT_OK
    print(safe_lines(f"run {a.id} -> run {b.id}: " + changes.summary()))
    if any(step["kind"] in CONSENT_EVENTS for step in steps):  # a cohort with consent: its answers matter
        print(f"steps of the pairs these runs made ({len(steps)}):")
        for step in steps[:STEPS_SHOWN]:
            by = f" by {step['person']}" if step["person"] else ""
            line = (
                f"  {step['at'][:16].replace('T', ' ')}  {step['mentor_id']} - {step['mentee_id']}  {step['kind']}{by}"
            )
            print(printable(line + (f"  {step['reason']}" if step["reason"] else "")))
        if len(steps) > STEPS_SHOWN:
            print(f"  ... and {len(steps) - STEPS_SHOWN} more (--format json lists every step)")
    for key in ("bcu", "borough", "focus"):
        moved = [r for r in changes.coverage[key] if r.change]
        if moved:
            print(
                f"coverage by {key}: "
                + ", ".join(f"{r.group} {r.change:+d}" for r in moved[:8])
                + (" ..." if len(moved) > 8 else "")
            )
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


STEP_KINDS = ("proposed", "accepted", "declined", "expired", "started", "ended")
STEPS_SHOWN = 50


def pairing_steps(records: Sequence[Any], runs: set[int]) -> list[dict[str, Any]]:
    """Every step (proposed, accepted, declined, expired, started, ended) of the pairings ``runs`` made, by time."""
    steps = [
        {
            "at": e.at.isoformat(),
            "mentor_id": rec.mentor_id,
            "mentee_id": rec.mentee_id,
            "run_id": rec.run_id,
            "kind": e.kind,
            "person": e.person,
            "reason": e.reason,
        }
        for rec in records
        if rec.run_id in runs
        for e in rec.events
        if e.kind in STEP_KINDS
    ]
    return sorted(steps, key=lambda s: (s["at"], s["mentor_id"], s["mentee_id"]))


def _solved(args: argparse.Namespace) -> tuple[Any, Any]:
    with _open(args) as store, store.reading() as r:
        run = r.run(args.run_id)
    return run, run.solve_again()


def run_inspect(args: argparse.Namespace) -> int:
    from ..explanations import alternatives, explain_pair, why_not, why_unmatched

    if args.pair and args.person:
        raise UsageError("give --pair MENTOR MENTEE or --person ID, not both")
    run, result = _solved(args)
    problem = result.context.problem
    if args.pair:
        mentor, mentee = args.pair
        try:
            explanation = explain_pair(result, mentor, mentee)
        except KeyError as err:
            raise UsageError(str(err.args[0])) from err
        print(explanation.text())
        if not explanation.matched:
            print()
            print(why_not(result, mentor, mentee))
        return EXIT_OK
    if args.person:
        try:
            problem.locate(args.person)
        except KeyError as err:
            raise UsageError(str(err.args[0])) from err
        print(why_unmatched(result, args.person))
        alts = alternatives(result, args.person, args.top)
        if alts:
            print(f"best alternatives for {args.person}:")
            for a in alts:
                extra = f"paired with {', '.join(a.partner_matched_with)}" if a.partner_matched_with else "free"
                print(f"  {a.partner_id}: score {a.score:.3f} ({extra})")
        return EXIT_OK
    print(
        printable(
            f"run {run.id} (cohort {run.cohort}, {run.kind}) solved again: same {len(result.pairs)} "
            f"pairs, objective {result.objective:.4f}"
        )
    )
    print(result.summary())
    return EXIT_OK


def run_stability(args: argparse.Namespace) -> int:
    from ..custom_scores import CONTINUITY
    from ..matching import solve
    from ..rematching import without_continuity
    from ..stability import blocking_pairs

    run, result = _solved(args)
    blocking = blocking_pairs(result)
    # Every number is a total of the pairs' own scores: a re-match's continuity bonus is part
    # of its objective, shown beside the score, and nobody's preference.
    score = without_continuity(result)
    problem = result.context.problem
    own = tuple(c for c in problem.scores if c.name != CONTINUITY)
    bonus = result.objective - score if len(own) < len(problem.scores) else 0.0
    if result.objective_name == "stable" and not bonus:
        stable_score = result.objective
        cost = float(result.certificate.get("cost_of_stability", 0.0))
        against = f"the best score {stable_score + cost:.4f}"
    else:
        problem = problem.model_copy(update={"scores": own}) if bonus else problem
        stable = solve(problem, result.context.params.model_copy(update={"objective": "stable"}))
        stable_score, cost = stable.objective, score - stable.objective
        best = result.objective_name == "max_score" and not bonus
        against = ("the best score" if best else "this run's score") + f" {score:.4f}"
    if args.format == "json":
        emit_json(
            {
                "run": run.id,
                "objective": result.objective,
                "objective_name": result.objective_name,
                "score": score,
                "continuity_bonus": bonus,
                "blocking_pairs": [b.__dict__ for b in blocking],
                "stable_objective": stable_score,
                "cost_of_stability": cost,
            }
        )
        return EXIT_OK
    print(
        printable(
            f"run {run.id} (cohort {run.cohort}, objective {result.objective_name}): {len(blocking)} blocking pair(s)"
        )
    )
    for b in blocking[: args.limit]:
        print(f"  {b.text()}")
    if len(blocking) > args.limit:
        print(f"  ... and {len(blocking) - args.limit} more (--limit)")
    print(f"a stable matching scores {stable_score:.4f}; the cost of stability is {cost:.4f} against {against}")
    if bonus:
        print(f"(the run's objective adds a continuity bonus of {bonus:.4f} for keeping working pairs)")
    return EXIT_OK


# --------------------------------------------------------------------------- registration


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="FILE|URL", help=STORE_HELP)


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def register(sub: Any) -> None:
    """Add the programme commands to the ``pairmatch`` sub-command parser ``sub``."""
    formatter = argparse.RawDescriptionHelpFormatter
    epilog = STORE_EPILOG + "\n" + EPILOG

    store = sub.add_parser(
        "store",
        help="create, upgrade or describe a programme store",
        description="Create a programme store (init), bring its schema to the newest "
        "revision (upgrade) or list its cohorts (status).",
        epilog="examples:\n  pairmatch store init\n  pairmatch store init --store "
        "postgresql://coordinator@db.example/programme\n\n" + epilog,
        formatter_class=formatter,
    )
    store.add_argument("action", choices=("init", "upgrade", "status"))
    _store_option(store)
    store.add_argument("--revision", default="head", help="schema revision for upgrade (default: newest)")
    _format_option(store)
    store.set_defaults(run=run_store)

    runs = sub.add_parser("runs", help="list the recorded runs", epilog=epilog, formatter_class=formatter)
    _store_option(runs)
    runs.add_argument("--cohort", help="only this cohort")
    _format_option(runs)
    runs.set_defaults(run=run_runs)

    history = sub.add_parser(
        "history",
        help="pairings with their events (proposed, accepted, declined, expired, started, ended, feedback, locked)",
        epilog=epilog,
        formatter_class=formatter,
    )
    _store_option(history)
    history.add_argument("--cohort", help="only this cohort")
    history.add_argument("--person", metavar="ID", help="only this person's pairings")
    history.add_argument("--active", action="store_true", help="only active pairings")
    _format_option(history)
    history.set_defaults(run=run_history)

    respond = sub.add_parser(
        "respond",
        help="record an answer to a proposed pair (--accept or --decline)",
        description="With consent ('match --consent'), a new pair is proposed until both people accept. "
        "Record each answer here: the pair starts when both have accepted; a decline frees both "
        "people for the next re-match, which does not propose that pair again in this cohort.",
        epilog="examples:\n  pairmatch respond M7 O12 --accept --by O12\n"
        "  pairmatch respond M7 O12 --decline --by M7 --reason 'would rather a different focus'\n\n" + epilog,
        formatter_class=formatter,
    )
    respond.add_argument("mentor")
    respond.add_argument("mentee")
    answer = respond.add_mutually_exclusive_group(required=True)
    answer.add_argument("--accept", action="store_true", help="the person (or both) accepts")
    answer.add_argument("--decline", action="store_true", help="the person (or both) declines")
    respond.add_argument("--by", metavar="ID", help="who answers: the mentor's or the mentee's id (default: both)")
    respond.add_argument("--reason", help="kept in the history")
    respond.add_argument("--cohort", help="the cohort (default: wherever the pair is proposed)")
    _store_option(respond)
    _format_option(respond)
    respond.set_defaults(run=run_respond)

    end = sub.add_parser(
        "end-pair",
        help="end an active pair (both become free for the next re-match)",
        epilog="example:\n  pairmatch end-pair M7 O12 --reason 'did not get on'\n\n" + epilog,
        formatter_class=formatter,
    )
    end.add_argument("mentor")
    end.add_argument("mentee")
    end.add_argument("--reason", required=True, help="why the pair ended (kept in the history)")
    end.add_argument("--cohort", help="the cohort (default: wherever the pair is active)")
    _store_option(end)
    _format_option(end)
    end.set_defaults(run=run_end_pair)

    lock = sub.add_parser(
        "lock-pair",
        help="lock an active pair so that re-matches never touch it",
        epilog=epilog,
        formatter_class=formatter,
    )
    lock.add_argument("mentor")
    lock.add_argument("mentee")
    lock.add_argument("--unlock", action="store_true", help="remove the lock instead")
    lock.add_argument("--reason", help="kept in the history")
    lock.add_argument("--cohort")
    _store_option(lock)
    lock.set_defaults(run=run_lock_pair, format="text")

    feedback = sub.add_parser(
        "feedback",
        help="record a feedback rating (1-5) for a pair",
        description="Ratings are whole numbers: 1 = the pair did not work, 5 = it worked "
        "very well. 'match --feedback-weight' turns them into a score component.",
        epilog=epilog,
        formatter_class=formatter,
    )
    feedback.add_argument("mentor")
    feedback.add_argument("mentee")
    feedback.add_argument("rating", type=int, choices=range(1, 6), metavar="RATING")
    feedback.add_argument("--comment")
    feedback.add_argument("--cohort")
    _store_option(feedback)
    feedback.set_defaults(run=run_feedback, format="text")

    rematch = sub.add_parser(
        "rematch",
        help="re-match a running cohort after leavers, joiners and ended pairs",
        description="Propose a new matching for a cohort, starting from its latest run: pairs ended since then, "
        "people who left and people joining get new partners; locked pairs never change; a working "
        "pair moves only if the total score gains at least --move-penalty per moved pair. The run "
        "is recorded and the pairings updated in one transaction (unless --dry-run).",
        epilog="examples:\n  pairmatch rematch --leave M4 --join mentor late-mentors.csv --report changes.html\n"
        "  pairmatch rematch --move-penalty 0.1 --lock M1 O1 --dry-run\n\n" + epilog,
        formatter_class=formatter,
    )
    _store_option(rematch)
    rematch.add_argument("--cohort", help="cohort to re-match (default: the newest)")
    rematch.add_argument("--leave", action="append", metavar="ID", help="someone leaving; repeat for several")
    rematch.add_argument("--leave-reason", metavar="TEXT", help="why they leave (kept in the history)")
    rematch.add_argument(
        "--join",
        action="append",
        nargs=2,
        metavar=("SIDE", "FILE"),
        help="people joining: 'mentor' or 'mentee' and a .csv/.xlsx/.json file; repeat for several",
    )
    rematch.add_argument(
        "--lock",
        action="append",
        nargs=2,
        metavar=("MENTOR", "MENTEE"),
        help="keep this current pair whatever happens; repeat for several",
    )
    rematch.add_argument(
        "--move-penalty",
        type=_penalty,
        default=math.inf,
        metavar="SCORE",
        help="score per moved working pair: a working pair moves only for a total gain of at "
        "least this much per moved pair; inf (default) keeps every working pair, 0 "
        "re-optimises everything",
    )
    rematch.add_argument(
        "--objective",
        choices=tuple(OBJECTIVES),
        help="override the latest run's objective",
    )
    rematch.add_argument("--seed", type=int, help="override the latest run's seed")
    rematch.add_argument(
        "--report",
        action="append",
        metavar="FILE",
        help="write what changed and why, with the diff and coverage (.html or .md)",
    )
    rematch.add_argument(
        "--match-report",
        action="append",
        metavar="FILE",
        help="write the full match report of the new matching (.html or .md)",
    )
    rematch.add_argument("--dry-run", action="store_true", help="show the proposal without recording it")
    rematch.add_argument("--no-progress", action="store_true", help="never show the progress display")
    _format_option(rematch)
    rematch.set_defaults(run=run_rematch)

    introduce = sub.add_parser(
        "introduce",
        help="letters, a mail-merge CSV and calendar files for the pairs a run started or changed",
        description="For each pair the run started or changed (and that is still current), write a letter for "
        "each person (Markdown and HTML), one mail-merge CSV and an .ics file proposing the first meetings "
        "in their common weekly time. Nothing is sent. Settings: [introductions] and [output] columns in "
        "--config; the options below override them.",
        epilog="examples:\n  pairmatch introduce 3 --out introductions/ --template letter.txt --email-column email\n"
        "  pairmatch introduce 1 --out intro/ --frequency monthly --meetings 6 --first-meeting 2026-04-01\n\n" + epilog,
        formatter_class=formatter,
    )
    introduce.add_argument("run_id", type=int, metavar="RUN")
    introduce.add_argument("--out", required=True, metavar="DIR", help="folder for the files (created if needed)")
    introduce.add_argument("-c", "--config", metavar="TOML", help="settings with [introductions] and [output]")
    introduce.add_argument("--template", metavar="FILE", help="the coordinator's text with $placeholders")
    introduce.add_argument("--email-column", metavar="COLUMN", help="input column with e-mail addresses")
    introduce.add_argument(
        "--column", action="append", metavar="COLUMN", help="an extra input column to show; repeat for several"
    )
    introduce.add_argument("--frequency", choices=("weekly", "fortnightly", "monthly"), help="default monthly")
    introduce.add_argument("--meetings", type=int, metavar="N", help="meetings to propose (default 6)")
    introduce.add_argument(
        "--first-meeting",
        type=_date,
        metavar="YYYY-MM-DD",
        help="first meeting on or after this day (default: a week after the run)",
    )
    introduce.add_argument(
        "--accepted-only", action="store_true", help="only pairs both people have accepted (with consent)"
    )
    introduce.add_argument("--no-progress", action="store_true", help="never show the progress display")
    _store_option(introduce)
    _format_option(introduce)
    introduce.set_defaults(run=run_introduce)

    difference = sub.add_parser(
        "diff",
        help="compare two recorded runs: pairs, partners, objective, coverage",
        epilog="example:\n  pairmatch diff 1 2 --report diff.html\n\n" + epilog,
        formatter_class=formatter,
    )
    difference.add_argument("run_a", type=int, metavar="RUN_A")
    difference.add_argument("run_b", type=int, metavar="RUN_B")
    difference.add_argument("--report", action="append", metavar="FILE", help="write the diff (.html or .md)")
    _store_option(difference)
    _format_option(difference)
    difference.set_defaults(run=run_diff)

    inspect = sub.add_parser(
        "inspect",
        help="solve a recorded run again (checking it) and explain a pair or person",
        epilog="examples:\n  pairmatch inspect 2 --pair M1 O3\n  pairmatch inspect 2 --person O3 --top 5\n\n" + epilog,
        formatter_class=formatter,
    )
    inspect.add_argument("run_id", type=int, metavar="RUN")
    inspect.add_argument("--pair", nargs=2, metavar=("MENTOR", "MENTEE"), help="explain this pair (and why not)")
    inspect.add_argument("--person", metavar="ID", help="this person's partner or reason, and alternatives")
    inspect.add_argument("--top", type=int, default=3, help="alternatives to list (default 3)")
    _store_option(inspect)
    inspect.set_defaults(run=run_inspect, format="text")

    stability = sub.add_parser(
        "stability",
        help="blocking pairs of a recorded run and the cost of stability",
        description="Solve the run again, list every blocking pair (a mentor and a mentee "
        "who would both rather be paired with each other) and compare with a "
        "stable matching of the same problem.",
        epilog=epilog,
        formatter_class=formatter,
    )
    stability.add_argument("run_id", type=int, metavar="RUN")
    stability.add_argument("--limit", type=int, default=20, help="blocking pairs to print (default 20)")
    _store_option(stability)
    _format_option(stability)
    stability.set_defaults(run=run_stability)

"""``pairmatch serve`` (the HTTP service) and the JSON-contract path of ``pairmatch match``.

``pairmatch serve`` needs the ``service`` extra and at least one API key
(``$PAIRMATCH_API_KEYS`` or a keys file), unless ``--no-auth`` is given on
the loopback address. ``run_contract_match`` answers ``pairmatch match
--input request.json --format json`` with the same documents as
``POST /v1/match``.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..contract import error_response, match
from .common import EPILOG, EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE, UsageError, emit_json

MAX_HEADER_BYTES = 64 * 1024
"""Largest request line and headers ``pairmatch serve`` reads; beyond, the connection gets 400."""

__all__ = ["MAX_HEADER_BYTES", "add_contract_input", "contract_input", "register", "run_contract_match", "run_serve"]

SERVE_EXAMPLES = """\
examples:
  PAIRMATCH_API_KEYS='crm=write:<a long random secret>' pairmatch serve --port 8000
  pairmatch serve --keys-file /etc/pairmatch/keys --store postgresql://pairmatch@db/programme --host 0.0.0.0
  pairmatch serve --no-auth        # loopback only, for trying it out

Endpoints, keys, limits and curl examples: docs/service.md
"""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_serve(args: argparse.Namespace) -> int:
    """Start the HTTP service and serve until interrupted."""
    import uvicorn

    from ..service import ServiceConfig, create_app, load_keys, logging_config, open_jobs

    keys = load_keys(keys_file=args.keys_file)
    if args.no_auth and keys:
        raise UsageError("--no-auth with API keys configured: drop one or the other")
    if not keys and not args.no_auth:
        raise UsageError(
            "no API keys: set PAIRMATCH_API_KEYS (e.g. 'crm=write:<secret of 16+ characters>') or "
            "--keys-file, or use --no-auth on the loopback address"
        )
    if args.no_auth and not _loopback(args.host):
        raise UsageError(f"--no-auth is only allowed on the loopback address, not {args.host!r}")
    mib = 1024 * 1024
    try:
        config = ServiceConfig(
            store=args.store,
            keys=keys,
            anonymous=args.no_auth,
            solve_slots=args.solve_slots,
            queue_size=args.queue_size,
            queue_wait_s=args.queue_wait,
            solve_timeout_s=args.solve_timeout,
            max_body_bytes=int(args.max_body_mb * mib),
            max_job_body_bytes=int(args.max_job_body_mb * mib),
            body_timeout_s=args.body_timeout,
            max_uploads=args.max_uploads,
            job_workers=args.job_workers,
            job_timeout_s=args.job_timeout,
            max_queued_jobs=args.max_queued_jobs,
            job_attempts=args.job_attempts,
            lease_s=args.lease,
            job_retention_s=args.retention_days * 86400,
            retry_after_s=args.retry_after,
            max_requests=args.max_requests,
            client_solves=args.client_solves,
            client_uploads=args.client_uploads,
            client_queued_jobs=args.client_queued_jobs,
            client_store_bytes=int(args.client_store_mb * mib),
            request_retention_s=args.request_retention_hours * 3600,
            docs=args.docs,
        )
    except ValidationError as err:
        raise UsageError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in err.errors())) from err
    app = create_app(config, open_jobs(args.store), log_level=args.log_level)
    # h11 (not httptools) for its bound on a request line and headers; idle connections count against
    # nothing (the application bounds requests in progress). Connection limits per address and time
    # limits for a request to start belong to the proxy in front (deploy/nginx, docs/service.md).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=logging_config(args.log_level),
        access_log=False,
        server_header=False,
        proxy_headers=False,
        http="h11",
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )
    return EXIT_OK


def add_contract_input(parser: argparse.ArgumentParser) -> None:
    """Add ``--input REQUEST.json`` (the JSON contract) to a command's parser."""
    parser.add_argument(
        "--input",
        metavar="REQUEST.json",
        help="solve a JSON match request (the contract of pairmatch.contract.MatchRequest; "
        "'-' reads stdin) instead of spreadsheets; --format json prints the response document",
    )


def contract_input(parser: argparse.ArgumentParser) -> None:
    """Give ``pairmatch match`` the ``--input`` contract path: add the option and route to `run_contract_match`."""
    add_contract_input(parser)
    spreadsheets = parser.get_default("run")

    def run(args: argparse.Namespace) -> int:
        if getattr(args, "input", None):
            ignored = _spreadsheet_options(args)
            if ignored:
                raise UsageError(
                    f"--input reads the whole problem (people, settings, parameters) from the JSON request; "
                    f"it cannot be combined with {', '.join(ignored)}: give one or the other"
                )
            return run_contract_match(args)
        if args.mentors is None or args.mentees is None:
            raise UsageError("give the mentors and the mentees files, or a JSON request with --input")
        return spreadsheets(args)

    parser.set_defaults(run=run)


# Options of ``match`` that only the spreadsheet path reads, with the value each has when not given.
_SPREADSHEET_ONLY = (
    ("mentors", "the mentors file", None),
    ("mentees", "the mentees file", None),
    ("config", "-c/--config", None),
    ("seed", "--seed", None),
    ("objective", "--objective", None),
    ("explain", "--explain", False),
    ("strict", "--strict", False),
    ("store", "--store", None),
    ("cohort", "--cohort", None),
    ("allow_repeats", "--allow-repeats", False),
    ("prefer_earlier_partners", "--prefer-earlier-partners", 0.0),
    ("feedback_weight", "--feedback-weight", 0.0),
)


def _spreadsheet_options(args: argparse.Namespace) -> list[str]:
    """The spreadsheet-only options given with ``--input`` (which would be silently ignored)."""
    return [name for attr, name, unset in _SPREADSHEET_ONLY if getattr(args, attr, unset) != unset]


def run_contract_match(args: argparse.Namespace) -> int:
    """Solve ``args.input`` (a JSON match request) and print the response (``--format json``) or a table.

    Exit codes as for every command: 0 solved, 1 infeasible (the error
    document lists the reasons), 2 an invalid request (the error document
    names each field) or an unreadable file.
    """
    if getattr(args, "output", None) or getattr(args, "report", None):
        raise UsageError("--input writes its JSON response to standard output; -o and --report read spreadsheets")
    source = args.input
    text = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    fmt = getattr(args, "format", "json")
    try:
        response = match(text)
    except Exception as err:
        document = error_response(err)
        if document.error == "internal":
            raise
        if fmt == "json":
            emit_json(document.model_dump(mode="json", exclude_none=True))
        where = "standard input" if source == "-" else source
        lines = [f"{'.'.join(map(str, d.loc)) or '(request)'}: {d.message}" for d in document.details]
        lines += [r.get("message", "") for r in document.reasons]
        print(f"pairmatch: {where}: {document.message}" + "".join(f"\n  {line}" for line in lines), file=sys.stderr)
        return EXIT_INFEASIBLE if document.error == "infeasible" else EXIT_USAGE
    if fmt == "json":
        emit_json(response.model_dump(mode="json", exclude_none=True))
        return EXIT_OK
    status = response.status_text or response.status
    print(f"{len(response.pairs)} pairs, objective {response.objective:g}, status {status} ({response.solver})")
    for pair in response.pairs:
        print(f"  {pair.mentor_id} - {pair.mentee_id}  {pair.score:.3f}")
    for person in response.unmatched:
        print(f"  {person.side} {person.person_id} unmatched: {person.reason}")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``serve`` to the ``pairmatch`` sub-command parser ``sub``."""
    serve = sub.add_parser(
        "serve",
        help="run the HTTP service (JSON contract over HTTP, API keys, jobs)",
        description="Serve the JSON contract over HTTP: /v1/validate, /v1/match, /v1/explain, /v1/diagnose and "
        "asynchronous /v1/jobs, with API keys, size and time limits and a bound on concurrent solves. "
        "Needs the 'service' extra: pip install 'pairmatch-mentoring[service]'.",
        epilog=SERVE_EXAMPLES + "\n" + EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--store",
        help="programme store for jobs: a SQLite file or a database URL (default $PAIRMATCH_STORE, else programme.db)",
    )
    serve.add_argument(
        "--keys-file",
        help="file of API keys, one '[client=]scope:secret' a line "
        "(default $PAIRMATCH_API_KEYS_FILE; adds to $PAIRMATCH_API_KEYS)",
    )
    serve.add_argument("--no-auth", action="store_true", help="accept requests without a key (loopback only)")
    serve.add_argument("--solve-slots", type=int, default=2, help="synchronous solves at once (default 2)")
    serve.add_argument("--queue-size", type=int, default=8, help="requests that may wait for a slot (default 8)")
    serve.add_argument(
        "--queue-wait", type=float, default=5.0, help="seconds a request may wait for a slot (default 5)"
    )
    serve.add_argument(
        "--solve-timeout", type=float, default=30.0, help="time limit of a synchronous request, seconds (default 30)"
    )
    serve.add_argument("--max-body-mb", type=float, default=8.0, help="largest synchronous request, MiB (default 8)")
    serve.add_argument("--max-job-body-mb", type=float, default=64.0, help="largest job request, MiB (default 64)")
    serve.add_argument(
        "--body-timeout", type=float, default=60.0, help="seconds a request body may take to arrive (default 60)"
    )
    serve.add_argument(
        "--max-uploads", type=int, default=4, help="job submissions whose bodies may arrive at once (default 4)"
    )
    serve.add_argument("--job-workers", type=int, default=1, help="jobs solved at once (default 1)")
    serve.add_argument("--job-timeout", type=float, default=1800.0, help="time limit of a job, seconds (default 1800)")
    serve.add_argument("--max-queued-jobs", type=int, default=100, help="queued jobs accepted (default 100)")
    serve.add_argument(
        "--job-attempts",
        type=int,
        default=3,
        help="runs a job may start before an interrupted job is failed (default 3)",
    )
    serve.add_argument(
        "--lease",
        type=float,
        default=30.0,
        help="seconds after which a running job of a vanished service is re-queued (default 30)",
    )
    serve.add_argument(
        "--retention-days", type=float, default=7.0, help="days finished jobs and their results are kept (default 7)"
    )
    serve.add_argument("--retry-after", type=int, default=2, help="Retry-After of a busy answer, seconds (default 2)")
    serve.add_argument(
        "--max-requests",
        "--max-connections",
        dest="max_requests",
        type=int,
        default=256,
        help="requests in progress at once, health excepted; beyond: 503 (default 256; idle connections do not count)",
    )
    serve.add_argument(
        "--client-solves",
        type=int,
        default=4,
        help="synchronous requests one client may have in progress; beyond: 429 (default 4)",
    )
    serve.add_argument(
        "--client-uploads", type=int, default=2, help="job bodies one client may be sending at once (default 2)"
    )
    serve.add_argument(
        "--client-queued-jobs", type=int, default=20, help="queued jobs of one client; beyond: 429 (default 20)"
    )
    serve.add_argument(
        "--client-store-mb",
        type=float,
        default=512.0,
        help="MiB one client's jobs may hold in the store; beyond: 429 (default 512)",
    )
    serve.add_argument(
        "--request-retention-hours",
        type=float,
        default=24.0,
        help="hours a finished job's request is kept if its result is never fetched (default 24; "
        "fetching the result deletes it at once)",
    )
    serve.add_argument(
        "--docs",
        action="store_true",
        help="serve the interactive API page at /docs (it loads Swagger UI from a CDN; off by default)",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    serve.set_defaults(run=run_serve, format="text")

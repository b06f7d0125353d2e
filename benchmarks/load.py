"""Load test of the HTTP service on the loopback address: throughput, latency, memory, no lost jobs.

Starts ``pairmatch serve`` (default limits: 2 solve slots, 1 job worker) on
127.0.0.1, then

1. **small**: ``--clients`` concurrent clients send small match requests
   (``synthetic_problem(20, seed=11)``) for ``--small-s`` seconds;
2. **jobs**: ``--jobs`` large match requests (``synthetic_problem(--job-size,
   seed=12+k)``) are submitted at once and polled until they finish, while two
   clients keep sending small requests;

and reports requests per second, latency percentiles (p50, p99), job
turnaround, the peak memory of the service (its own resident size, and the
proportional size of it with every solver process, sampled every 0.1 s from
/proc, Linux only) and the machine's load average. Every response must be 200/202, or 503 with ``Retry-After`` (the
intended answer when every slot is taken; clients then wait as told), and every
job must finish ``done``; anything else is an error and the exit code is 1.
The whole run stops itself after ``--limit-s`` seconds (60 at most).

    python benchmarks/load.py                  # under 60 s; prints a table
    python benchmarks/load.py --out benchmarks/results/load.md
    python benchmarks/load.py --smoke          # about 15 s (used by the tests)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from pairmatch.contract import MatchRequest
from pairmatch.generators import synthetic_problem
from pairmatch.service.local import LocalServer
from pairmatch.version import __version__

KEY = "load-" + os.urandom(16).hex()
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
ROOT = Path(__file__).resolve().parents[1]
HARD_LIMIT_S = 60.0


def body(n: int, seed: int) -> bytes:
    problem = synthetic_problem(n, seed=seed)
    return MatchRequest.from_problem(problem, vocabularies=False).model_dump_json(exclude_defaults=True).encode()


def tree_memory(pid: int) -> tuple[int, int]:
    """``(resident bytes of pid, proportional bytes of pid and all its descendants)`` from /proc.

    The second figure counts each shared page once in total (PSS): the solver
    processes share the pages of the fork server they came from. Zeros where
    there is no /proc.
    """
    proc = Path("/proc")
    if not proc.exists():
        return 0, 0
    parents = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, frontier = {pid}, {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - family
        family |= frontier

    def field(path: Path, name: str) -> int:
        try:
            for line in path.read_text().splitlines():
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    return (
        field(proc / str(pid) / "status", "VmRSS:"),
        sum(field(proc / str(p) / "smaps_rollup", "Pss:") for p in family),
    )


class MemorySampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_main, self.peak_total = pid, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            main, total = tree_memory(self.pid)
            self.peak_main, self.peak_total = max(self.peak_main, main), max(self.peak_total, total)


class Tally:
    """Statuses and latencies of one phase."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []

    def add(self, status: int, seconds: float, response: httpx.Response | None = None) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status in (200, 202):
            self.latencies.append(seconds)
        elif status == 503 and response is not None and response.headers.get("retry-after"):
            pass  # intended: the service is full and says when to come back
        else:
            self.errors.append(f"HTTP {status}: {response.text[:200] if response is not None else ''}")

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")


async def small_clients(client: httpx.AsyncClient, payload: bytes, clients: int, until: float, tally: Tally) -> None:
    async def one() -> None:
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                response = await client.post("/v1/match", content=payload)
            except httpx.HTTPError as err:
                tally.errors.append(f"{type(err).__name__}")
                continue
            tally.add(response.status_code, time.perf_counter() - started, response)
            if response.status_code == 503:
                told = float(response.headers.get("retry-after", 1))
                await asyncio.sleep(min(told, max(until - time.monotonic(), 0)))

    await asyncio.gather(*(one() for _ in range(clients)))


async def large_jobs(
    client: httpx.AsyncClient, payloads: list[bytes], until: float, tally: Tally
) -> tuple[list[float], list[str], list[dict[str, Any]]]:
    async def one(payload: bytes) -> tuple[float, dict[str, Any] | None]:
        started = time.perf_counter()
        while True:  # a busy answer says when to come back
            sent = time.perf_counter()
            response = await client.post("/v1/jobs", content=payload)
            tally.add(response.status_code, time.perf_counter() - sent, response)
            if response.status_code != 503 or time.monotonic() > until:
                break
            await asyncio.sleep(float(response.headers.get("retry-after", 1)))
        if response.status_code != 202:
            return float("nan"), None
        job = response.json()
        while time.monotonic() < until:
            wait = max(min(30.0, until - time.monotonic()), 0)
            status = (await client.get(job["links"]["self"], params={"wait": round(wait, 1)})).json()
            if status["state"] in ("done", "failed", "cancelled"):
                return time.perf_counter() - started, status
        return float("nan"), (await client.get(job["links"]["self"])).json()

    results = await asyncio.gather(*(one(p) for p in payloads))
    turnaround = [t for t, status in results if status is not None and status["state"] == "done"]
    # Lost: refused for good, failed, cancelled or unknown; a job still queued or running at the
    # deadline is not lost (it is in the store) but is reported as unfinished.
    lost = [
        status["id"] if status else "refused"
        for _, status in results
        if status is None or status["state"] not in ("done", "queued", "running")
    ]
    return turnaround, lost, [s for _, s in results if s is not None]


async def scenario(
    server: LocalServer, args: argparse.Namespace, small: bytes, large: list[bytes], deadline: float
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.clients + len(large) + 4)
    async with httpx.AsyncClient(base_url=server.url, headers=HEADERS, timeout=120, limits=limits) as client:
        for _ in range(3):  # warm the solver processes
            await client.post("/v1/match", content=small)
        phase_a = Tally()
        started = time.monotonic()
        await small_clients(client, small, args.clients, min(started + args.small_s, deadline - 25), phase_a)
        small_s = time.monotonic() - started

        phase_b, during = Tally(), Tally()
        started = time.monotonic()
        jobs_until = deadline - 6  # time to stop the server within the limit
        background = asyncio.create_task(small_clients(client, small, 2, jobs_until, during))
        turnaround, lost, finals = await large_jobs(client, large, jobs_until, phase_b)
        jobs_s = time.monotonic() - started
        during_stop = time.monotonic()
        background.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await background
        return {
            "small": phase_a,
            "small_s": small_s,
            "jobs": phase_b,
            "jobs_s": jobs_s,
            "during": during,
            "during_s": during_stop - started,
            "turnaround": turnaround,
            "lost": lost,
            "finals": finals,
        }


def environment() -> dict[str, str]:
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except OSError:
        commit = "unknown"
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pairmatch": __version__,
        "commit": commit,
        "load": "/".join(f"{x:.2f}" for x in load),
    }


def report(
    args: argparse.Namespace,
    env: dict[str, str],
    load_after: str,
    out: dict[str, Any],
    memory: MemorySampler,
    n_jobs: int,
) -> tuple[str, dict[str, Any]]:
    small, jobs, during = out["small"], out["jobs"], out["during"]
    turnaround = np.array(out["turnaround"]) * 1000 if out["turnaround"] else np.array([float("nan")])
    errors = small.errors + jobs.errors + during.errors
    record = {
        "small_rps": len(small.latencies) / out["small_s"],
        "small_p50_ms": small.percentile(50),
        "small_p99_ms": small.percentile(99),
        "small_statuses": small.statuses,
        "jobs_submitted": n_jobs,
        "jobs_done": len(out["turnaround"]),
        "jobs_lost": out["lost"],
        "jobs_unfinished": sum(1 for f in out["finals"] if f["state"] in ("queued", "running")),
        "jobs_per_s": len(out["turnaround"]) / out["jobs_s"],
        "job_p50_ms": float(np.percentile(turnaround, 50)),
        "job_p99_ms": float(np.percentile(turnaround, 99)),
        "during_rps": len(during.latencies) / out["during_s"],
        "during_p50_ms": during.percentile(50),
        "during_p99_ms": during.percentile(99),
        "during_statuses": during.statuses,
        "peak_rss_service_mb": memory.peak_main / 2**20,
        "peak_pss_total_mb": memory.peak_total / 2**20,
        "errors": errors,
        **env,
        "load_after": load_after,
    }
    lines = [
        "# Load test of the HTTP service",
        "",
        f"- machine: {env['machine']}; load average before {env['load']}, after {load_after}",
        f"- python {env['python']}, pairmatch {env['pairmatch']}, git commit {env['commit']}",
        "- server: `pairmatch serve` defaults (2 solve slots, 1 job worker) on 127.0.0.1; client in the same machine",
        f"- small: {args.clients} clients, `synthetic_problem(20, seed=11)` to /v1/match for {out['small_s']:.1f} s",
        f"- jobs: {n_jobs} x `synthetic_problem({args.job_size}, seed=12+k)` to /v1/jobs at once, with 2 clients "
        "still sending small requests",
        "",
        "| phase | requests/s | p50 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---|",
        f"| small match requests | {record['small_rps']:.1f} | {record['small_p50_ms']:.1f} | "
        f"{record['small_p99_ms']:.1f} | {fmt(small.statuses)} |",
        f"| small requests during jobs | {record['during_rps']:.1f} | {record['during_p50_ms']:.1f} | "
        f"{record['during_p99_ms']:.1f} | {fmt(during.statuses)} |",
        f"| large jobs (submit to done) | {record['jobs_per_s']:.2f} jobs/s | {record['job_p50_ms']:.0f} | "
        f"{record['job_p99_ms']:.0f} | {fmt(jobs.statuses)}; {record['jobs_done']}/{n_jobs} done |",
        "",
        f"Peak memory: service process {record['peak_rss_service_mb']:.0f} MB resident; service with its fork "
        f"server and solver processes {record['peak_pss_total_mb']:.0f} MB (proportional set size, shared pages "
        "counted once).",
        "",
        f"Errors: {len(errors)}"
        + (f" ({'; '.join(errors[:5])})" if errors else "")
        + f"; lost jobs: {len(out['lost'])}; jobs unfinished at the time limit: {record['jobs_unfinished']}.",
    ]
    return "\n".join(lines) + "\n", record


def fmt(statuses: dict[int, int]) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of small requests (default 8)")
    parser.add_argument("--small-s", type=float, default=12.0, help="seconds of small requests (default 12)")
    parser.add_argument("--jobs", type=int, default=6, help="large jobs submitted at once (default 6)")
    parser.add_argument("--job-size", type=int, default=1200, help="people on each side of a job (default 1200)")
    parser.add_argument("--limit-s", type=float, default=HARD_LIMIT_S, help="stop everything after this (<= 60)")
    parser.add_argument("--smoke", action="store_true", help="a short run: 4 s of small requests, 2 jobs of 300")
    parser.add_argument("--out", help="write the table here (.md) and the raw record beside it (.json)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.small_s, args.jobs, args.job_size, args.clients = 4.0, 2, 300, 4
    args.limit_s = min(args.limit_s, HARD_LIMIT_S)
    began = time.monotonic()
    deadline = began + args.limit_s

    env = environment()
    small = body(20, 11)
    large = [body(args.job_size, 12 + k) for k in range(args.jobs)]
    server = LocalServer(keys=f"load=write:{KEY}")

    def overrun() -> None:
        print(f"load test: stopped after {args.limit_s:.0f} s", file=sys.stderr)
        server.kill()
        os._exit(2)

    watchdog = threading.Timer(max(deadline - time.monotonic(), 1), overrun)
    watchdog.daemon = True
    watchdog.start()
    try:
        server.start()
        memory = MemorySampler(server.pid)
        memory.start()
        out = asyncio.run(scenario(server, args, small, large, deadline))
        memory.stopped.set()
        memory.join()
        failures = [e for e in server.log_events() if e.get("level") == "error"]
    finally:
        server.close()
        watchdog.cancel()
    load_after = "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    text, record = report(args, env, load_after, out, memory, len(large))
    record["server_errors_logged"] = len(failures)
    record["elapsed_s"] = time.monotonic() - began
    text += f"\nServer errors logged: {len(failures)}. Whole run: {record['elapsed_s']:.1f} s.\n"
    print(text)
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.with_suffix(".json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return 1 if record["errors"] or record["jobs_lost"] or failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

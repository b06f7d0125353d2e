"""The service behind the shipped nginx configuration, under a resource-exhaustion attack on loopback.

300 idle connections, 20 clients sending headers a line a second, 20 clients
with a read key sending bodies a byte a second, and one 1 MiB header, all at
once; meanwhile health answers within 2 s, a write key's ``/v1/match`` gets
200 within 5 s, and the service's memory stays under 400 MiB. Every socket is
on 127.0.0.1, every loop is bounded in count and time, and the attack stops by
itself after `ATTACK_S`. In CI nginx is installed by ``.ci/run``; elsewhere
the test is skipped without it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from pairmatch.service.local import LocalServer  # noqa: E402

from support.nginx import LocalProxy, nginx_binary  # noqa: E402
from support.service import check_error, example  # noqa: E402

WRITE_KEY = "w-attack-0123456789abcdef"
READ_KEY = "r-attack-fedcba9876543210"
KEYS = f"crm=write:{WRITE_KEY}, mallory=read:{READ_KEY}"
ATTACK_S = 14.0
ATTACKER = "127.0.0.2"  # every attacking socket comes from this loopback address; honest clients use 127.0.0.1
MIB = 1024 * 1024

if nginx_binary() is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs nginx for the attack test (.ci/run installs nginx-light)")
    pytest.skip("nginx is not installed", allow_module_level=True)


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Attack:
    """The attacking sockets, opened and fed by threads that stop by themselves at ``until``."""

    def __init__(self, port: int, until: float) -> None:
        self.port = port
        self.until = until
        self.sockets: list[socket.socket] = []
        self.closed_by_server = {"slow_header": 0, "slow_body": 0}
        self.big_header_status: list[int] = []
        self.lock = threading.Lock()

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5, source_address=(ATTACKER, 0))
        with self.lock:
            self.sockets.append(sock)
        return sock

    def idle(self, count: int) -> None:
        for _ in range(count):
            self.connect()

    def trickle(self, kind: str, head: bytes, drip: bytes) -> None:
        """Send ``head`` then ``drip`` once a second until the server closes the connection or time is up."""
        sock = self.connect()
        try:
            sock.sendall(head)
            while time.monotonic() < self.until:
                time.sleep(1.0)
                sock.sendall(drip)
        except OSError:
            with self.lock:
                self.closed_by_server[kind] += 1

    def big_header(self) -> None:
        sock = self.connect()
        with contextlib.suppress(OSError):  # refused while sending: nginx stopped reading
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * MIB + b"\r\n\r\n")
        with contextlib.suppress(OSError):
            sock.settimeout(5)
            status = sock.recv(64).split(b" ")[1]
            self.big_header_status.append(int(status))

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture(scope="module")
def deployed():
    with LocalServer(keys=KEYS, args=["--solve-slots", "2"]) as server, LocalProxy(server.port) as proxy:
        server.wait_ready()
        yield server, proxy


def test_health_and_a_write_key_answer_while_the_service_is_attacked(deployed):
    """Attackers on 127.0.0.2; the honest client on 127.0.0.1 (the per-address limit is per attacker)."""
    server, proxy = deployed
    until = time.monotonic() + ATTACK_S
    attack = Attack(proxy.port, until)
    slow_header = (b"POST /v1/validate HTTP/1.1\r\nHost: a\r\n", b"X-Slow: 1\r\n")
    slow_body = (
        b"POST /v1/validate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + READ_KEY.encode() + b"\r\nContent-Length: 100000\r\n\r\n{",
        b" ",
    )
    threads = [threading.Thread(target=attack.idle, args=(300,), daemon=True)]
    threads += [
        threading.Thread(target=attack.trickle, args=("slow_header", *slow_header), daemon=True) for _ in range(20)
    ]
    threads += [threading.Thread(target=attack.trickle, args=("slow_body", *slow_body), daemon=True) for _ in range(20)]
    threads.append(threading.Thread(target=attack.big_header, daemon=True))
    peak = {"service": 0.0, "nginx": 0.0}
    try:
        for thread in threads:
            thread.start()
        time.sleep(2.0)  # every attacking connection is open and waiting
        health, matches = [], []
        with httpx.Client(base_url=proxy.url, timeout=10) as client:
            while time.monotonic() < until - 1:
                started = time.monotonic()
                response = client.get("/v1/health")
                health.append((response.status_code, time.monotonic() - started))
                started = time.monotonic()
                response = client.post("/v1/match", json=example(), headers={"Authorization": f"Bearer {WRITE_KEY}"})
                matches.append((response.status_code, time.monotonic() - started))
                peak["service"] = max(peak["service"], rss_mib(server.pid))
                peak["nginx"] = max(peak["nginx"], sum(rss_mib(pid) for pid in proxy.pids()))
                time.sleep(0.5)
        for thread in threads:
            thread.join(timeout=ATTACK_S + 10)
    finally:
        attack.close()
    print(  # the figures, for `pytest -s`
        f"health {len(health)} max {max(t for _, t in health):.3f} s; match {len(matches)} max "
        f"{max(t for _, t in matches):.3f} s; peak memory {peak}; closed {attack.closed_by_server}"
    )
    assert health
    assert matches
    assert all(status == 200 and took < 2.0 for status, took in health), health
    assert all(status == 200 and took < 5.0 for status, took in matches), matches
    assert peak["service"] < 400, peak
    assert peak["nginx"] < 400, peak
    # The 1 MiB header was refused at once; headers a line a second were cut off at the header time limit.
    assert attack.big_header_status in ([400], [494], []), attack.big_header_status
    assert attack.closed_by_server["slow_header"] == 20


def test_nginx_refusals_are_error_documents(deployed):
    _, proxy = deployed
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        big = client.get("/healthz", headers={"X-Big": "a" * (20 * 1024)})
        check_error(big, 400, "invalid_request")
        too_large = client.post("/v1/match", content=b"{" + b" " * (9 * MIB) + b"}")
        check_error(too_large, 413, "too_large")


def test_one_address_is_limited_while_another_is_not(deployed):
    _, proxy = deployed
    # 24 requests in progress from 127.0.0.3 (bodies that never finish): beyond 16, 429 with Retry-After.
    sockets = []
    statuses = []
    try:
        for _ in range(24):
            sock = socket.socket()
            sock.bind(("127.0.0.3", 0))
            sock.settimeout(0.5)
            sock.connect(("127.0.0.1", proxy.port))
            sock.sendall(b"POST /v1/validate HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n{")
            sockets.append(sock)
            try:
                statuses.append(sock.recv(4096).decode("latin-1"))
            except TimeoutError:
                statuses.append("in progress")
        with httpx.Client(base_url=proxy.url, timeout=10) as client:
            assert client.get("/v1/health").status_code == 200
    finally:
        for sock in sockets:
            sock.close()
    limited = [s for s in statuses if s.startswith("HTTP/1.1 429")]
    assert len(limited) == 24 - 16, statuses
    assert all("Retry-After: 2" in s and '"error": "client_limit"' in s for s in limited)


def test_a_key_is_checked_before_a_body_is_read(deployed):
    _, proxy = deployed
    for header, status, error in (
        ("", 401, "unauthorized"),
        (f"Authorization: Bearer {READ_KEY}\r\n", 403, "forbidden"),
    ):
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        try:
            # Headers announcing 5 MB, and not one byte of the body: the answer comes all the same.
            sock.sendall(
                f"POST /v1/match HTTP/1.1\r\nHost: a\r\n{header}Content-Type: application/json\r\n"
                "Content-Length: 5000000\r\n\r\n".encode()
            )
            answer = b""
            while b'"request_id"' not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        finally:
            sock.close()
        text = answer.decode("latin-1")
        assert text.startswith(f"HTTP/1.1 {status}"), text
        assert f'"error": "{error}"' in text

"""A real service on the loopback address, for tests and benchmarks of systems that call it.

`LocalServer` starts ``python -m pairmatch serve`` as a subprocess on a free
loopback port, waits until ``/healthz`` answers, and stops it (politely, or
with SIGKILL to test what a crash leaves behind). Its JSON log lines are
kept in a file for inspection.

Example (``tests/test_service*.py`` use it this way)::

    with LocalServer(keys="ci=write:0123456789abcdef") as server:
        httpx.get(server.url + "/healthz")
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["LocalServer", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """``pairmatch serve`` in a subprocess on 127.0.0.1 (see the module docstring).

    Parameters
    ----------
    keys : str, optional
        Value of ``$PAIRMATCH_API_KEYS``; without it the server runs with ``--no-auth``.
    store : str or path, optional
        The job store (default: a file in a temporary folder owned by this object).
    args : sequence of str
        More ``pairmatch serve`` options (limits, workers...).
    port : int, optional
        Default: a free port. Give the old port to restart a server in place.
    startup_s : float
        How long to wait for ``/healthz``.
    """

    def __init__(
        self,
        *,
        keys: str | None = None,
        store: str | os.PathLike[str] | None = None,
        args: list[str] | tuple[str, ...] = (),
        port: int | None = None,
        startup_s: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="pairmatch-serve-"))
        self.store = os.fspath(store) if store is not None else str(self.folder / "programme.db")
        self.keys = keys
        self.args = list(args)
        self.port = port or free_port()
        self.startup_s = startup_s
        self.extra_env = dict(env or {})
        self.log_path = self.folder / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server process's id (the server must be started)."""
        assert self.process is not None, "start() the server first"
        return self.process.pid

    def start(self) -> LocalServer:
        """Start ``pairmatch serve`` and wait until ``/healthz`` answers; returns this
        object. Raises `RuntimeError`, with the server's log, if it exits or does not answer
        within ``startup_s``."""
        env = {**os.environ, **self.extra_env}
        env.pop("PAIRMATCH_API_KEYS_FILE", None)
        if self.keys is not None:
            env["PAIRMATCH_API_KEYS"] = self.keys
        else:
            env.pop("PAIRMATCH_API_KEYS", None)
        command = [
            sys.executable,
            "-m",
            "pairmatch",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--store",
            self.store,
            *([] if self.keys is not None else ["--no-auth"]),
            *self.args,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pairmatch serve exited with code {self.process.returncode}:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"pairmatch serve did not answer /healthz within {self.startup_s} s:\n{self.log_text()}")

    def wait_ready(self, timeout_s: float = 30.0) -> dict[str, Any]:
        """Wait until ``/readyz`` says ready; its document."""
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=5) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as err:
                last = err.read()
            except (urllib.error.URLError, OSError) as err:
                last = err
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {timeout_s} s: {last!r}")

    def log_text(self) -> str:
        """Everything the server wrote to stdout and stderr so far (empty before it starts)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (any other line is returned as ``{"line": ...}``)."""
        out = []
        for line in self.log_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"line": line})
        return out

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM and wait (an orderly stop: running jobs go back to the queue); the exit code.

        The server ends by re-raising the signal once it has shut down, so an
        orderly stop exits with ``-SIGTERM`` on POSIX.
        """
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """SIGKILL the service process (as a crash would); its solver processes die with it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """Stop the server if it runs, and delete its temporary folder (log, default store)."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

"""nginx in front of a `LocalServer`, configured with the files shipped in ``deploy/nginx``.

The shipped ``limits.conf`` and ``locations.conf`` are used as they are; only
the outer frame (where nginx keeps its pid, logs and temporary files, the
loopback port it listens on, and the upstream port of ``pairmatch serve``) is
written here, as the shipped ``pairmatch.conf`` does for a real deployment.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from pairmatch.service.local import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"

FRAME = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/pairmatch/limits.conf;
    upstream pairmatch {{
        server 127.0.0.1:{upstream};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {prefix}/pairmatch/locations.conf;
    }}
}}
"""


def nginx_binary() -> str | None:
    """The nginx executable, if installed (``apt-get install nginx-light``)."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


class LocalProxy:
    """nginx on a free loopback port passing requests to ``upstream_port`` (see the module docstring)."""

    def __init__(self, upstream_port: int) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        self.binary = binary
        self.upstream_port = upstream_port
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="pairmatch-nginx-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, startup_s: float = 20.0) -> LocalProxy:
        (self.prefix / "pairmatch").mkdir()
        for name in ("limits.conf", "locations.conf"):
            shutil.copy(DEPLOY / name, self.prefix / "pairmatch" / name)
        os.chmod(self.prefix, 0o755)  # nginx's workers run as an unprivileged user when started as root
        config = self.prefix / "nginx.conf"
        config.write_text(FRAME.format(prefix=self.prefix, port=self.port, upstream=self.upstream_port))
        command = [self.binary, "-p", str(self.prefix), "-c", str(config)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration:\n{checked.stderr}")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with code {self.process.returncode}:\n{self.error_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"nginx did not pass /healthz within {startup_s} s:\n{self.error_log()}")

    def pids(self) -> list[int]:
        """The master's and its workers' process ids."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [self.process.pid, *found]

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish and exit
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)

    def __enter__(self) -> LocalProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

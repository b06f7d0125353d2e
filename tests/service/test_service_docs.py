"""The curl examples of docs/service.md run against a real server and return what the page shows.

Each ```bash block of the "Examples with curl" section runs in order; a block
with a curl command is followed on the page by "HTTP <status>" and a ```json
block, which is what the response must be: ``"..."`` matches any value and a
``"...": "..."`` entry allows further keys. The examples run with curl when it
is installed, and the same requests are also sent with httpx (so the page is
checked on machines without curl too). A response that names a job sets
``$JOB_ID`` for the examples after it, as a reader would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from pairmatch.service.local import LocalServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "service.md"
WRITE_KEY = "docs-write-0123456789abcdef"
READ_KEY = "docs-read-0123456789abcdef"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def steps() -> list[tuple[str, str, int | None, object]]:
    """``(kind, command, status, expected body)`` for each command of the examples, in page order."""
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## Examples with curl") : text.index("\n## ", text.index("## Examples with curl") + 5)]
    blocks = list(FENCE.finditer(section))
    out: list[tuple[str, str, int | None, object]] = []
    k = 0
    while k < len(blocks):
        lang, code = blocks[k].group(1), blocks[k].group(2)
        k += 1
        if lang != "bash":
            continue
        # A command starts at the left margin; indented lines continue it (a quoted body may span lines).
        commands = [c.strip() for c in re.split(r"\n(?=\S)", re.sub(r"\\\n", " ", code)) if c.strip()]
        for command in commands:
            if not command.lstrip().startswith("curl"):
                out.append(("shell", command, None, None))
                continue
            answer = blocks[k]
            assert answer.group(1) == "json", f"the curl example before {answer.group(0)[:40]!r} shows no JSON"
            status = re.search(r"HTTP (\d{3})", section[blocks[k - 1].end() : answer.start()])
            assert status, f"say which status the curl example {command[:50]!r} gets (HTTP nnn)"
            out.append(("curl", command, int(status.group(1)), json.loads(answer.group(2))))
            k += 1
    return out


def check(expected: object, actual: object, where: str = "$") -> None:
    if expected == "...":
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        keys = set(expected) - {"..."}
        assert keys <= set(actual), f"{where}: missing {sorted(keys - set(actual))}"
        if expected.get("...") != "...":
            assert set(actual) == keys, f"{where}: not shown on the page: {sorted(set(actual) - keys)}"
        for key in keys:
            check(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: {actual!r}"
        assert len(actual) == len(expected), f"{where}: {actual!r}"
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            check(e, a, f"{where}[{n}]")
    else:
        assert expected == actual, f"{where}: the page shows {expected!r}, the server answered {actual!r}"


def by_httpx(command: str, env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """The request a curl command makes, sent with httpx (the options the page uses)."""

    def expand(token: str) -> str:
        return re.sub(r"\$(\w+)", lambda m: env[m.group(1)], token)

    tokens = [expand(t) for t in shlex.split(command)[1:]]
    method, headers, data, url = None, {}, None, None
    it = iter(tokens)
    for token in it:
        if token in ("-sS", "-s", "-S"):
            continue
        if token == "-X":
            method = next(it)
        elif token == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif token in ("--data-binary", "-d"):
            value = next(it)
            data = (cwd / value[1:]).read_bytes() if value.startswith("@") else value.encode()
        elif token.startswith("http"):
            url = token
        else:
            raise AssertionError(f"the docs' curl examples use an option this test does not know: {token}")
    response = httpx.request(
        method or ("POST" if data is not None else "GET"), url, headers=headers, content=data, timeout=60
    )
    return response.status_code, response.content


def by_curl(command: str, env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    body = cwd / "response.json"
    done = subprocess.run(
        ["bash", "-c", f"{command} -o {shlex.quote(str(body))} -w '%{{http_code}}'"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip()), body.read_bytes()


@pytest.fixture(scope="module")
def server():
    with LocalServer(keys=f"crm=write:{WRITE_KEY},crm=read:{READ_KEY}") as running:
        running.wait_ready()
        yield running


def test_the_page_has_examples_of_every_endpoint_and_failure():
    shown = steps()
    statuses = {status for kind, _, status, _ in shown if kind == "curl"}
    assert {200, 202, 401, 403, 409, 413, 422} <= statuses
    urls = " ".join(command for kind, command, _, _ in shown if kind == "curl")
    for path in (
        "/v1/validate",
        "/v1/match",
        "/v1/explain",
        "/v1/diagnose",
        "/v1/rematch",
        "/v1/diff",
        '/v1/jobs"',
        "/v1/jobs/$JOB_ID?wait",
        "/v1/jobs/$JOB_ID/result",
        "/v1/jobs/$JOB_ID/cancel",
    ):
        assert path in urls, path


@pytest.mark.skipif(shutil.which("bash") is None, reason="the examples are shell commands")
@pytest.mark.parametrize("client", ["curl", "httpx"])
def test_every_curl_example_returns_what_the_page_shows(server, client, tmp_path):
    if client == "curl" and shutil.which("curl") is None:
        pytest.skip("curl is not installed (the httpx run checks the same requests)")
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    env = {**os.environ, "PAIRMATCH_URL": server.url, "PAIRMATCH_KEY": WRITE_KEY, "PAIRMATCH_READ_KEY": READ_KEY}
    send = by_curl if client == "curl" else by_httpx
    for kind, command, status, expected in steps():
        if kind == "shell":
            subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, check=True, timeout=120)
            continue
        code, body = send(command, env, tmp_path)
        answer = json.loads(body)
        assert code == status, f"{command[:80]}: HTTP {code} {answer}"
        check(expected, answer, command.split('"')[1] if '"' in command else "$")
        if isinstance(answer, dict) and "links" in answer and "id" in answer:
            env["JOB_ID"] = answer["id"]

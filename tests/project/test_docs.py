"""Documentation is tested code: every Python block on every page runs, and the site builds.

The site (mkdocs.yml, docs/) is built with ``mkdocs build --strict`` when the
``docs`` extra is installed (``pip install -e ".[docs]"``); the other tests
need only the test extra.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pairmatch

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs"
DOCS = [ROOT / "README.md", *sorted(DOCS_DIR.rglob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
DIRECTIVE = re.compile(r"^::: (pairmatch[\w.]*)\s*$", re.MULTILINE)


def page_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def load_script(name: str):
    path = DOCS_DIR / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", DOCS, ids=page_id)
def test_markdown_python_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{page_id(path)}[block {number}]", "exec"), {"__name__": "__doc_example__"})


def test_pages_are_found_in_subfolders():
    assert DOCS_DIR / "how-to" / "pin-or-forbid.md" in DOCS
    assert DOCS_DIR / "reference" / "index.md" in DOCS


# --------------------------------------------------------------------------- the site


def nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"([\w./-]+\.md)\s*$", nav, re.MULTILINE)


def test_every_page_is_in_the_nav():
    pages = {p.relative_to(DOCS_DIR).as_posix() for p in DOCS_DIR.rglob("*.md")}
    assert sorted(pages - set(nav_pages())) == []
    assert sorted(set(nav_pages()) - pages) == []


def reference_targets() -> set[str]:
    found = set()
    for path in (DOCS_DIR / "reference").glob("*.md"):
        found |= set(DIRECTIVE.findall(path.read_text(encoding="utf-8")))
    return found


def resolve(dotted: str):
    """The object a ``::: dotted.path`` directive documents (a module, or a name in one)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


def test_every_public_name_is_in_the_api_reference():
    documented = []  # every object a directive documents, and the public names of documented modules
    for target in reference_targets():
        try:
            obj = resolve(target)
        except ImportError:  # a module whose optional extra is not installed exports nothing top-level
            continue
        # Directives name objects by their home, so a module target stands for its module.
        documented.append(obj)
        if inspect.ismodule(obj) and obj is not pairmatch:
            documented += [getattr(obj, name) for name in getattr(obj, "__all__", [])]
    missing = [
        name
        for name in pairmatch.__all__
        if name != "__version__" and not any(getattr(pairmatch, name) is obj for obj in documented)
    ]
    assert missing == [], f"add these to a page under docs/reference/: {missing}"
    assert "pairmatch.__version__" in reference_targets()


PUBLIC_MODULES = [
    "contract",
    "io",
    "report",
    "stability",
    "maps",
    "rematching",
    "diffs",
    "store",
    "service",
    "consent",
    "introductions",
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_public_modules_have_a_reference_page(module):
    assert f"pairmatch.{module}" in reference_targets()


def test_the_layer_diagram_is_drawn_from_the_layering_test():
    hooks = load_script("site_hooks")
    source = (ROOT / "tests" / "project" / "test_layering.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    (node,) = [n for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "LAYERS"]
    expected = [ast.literal_eval(element) for element in node.value.elts]
    stack = hooks.layers()
    assert [set(units) for units, _ in stack] == expected
    drawn = hooks.layers_markdown(stack)
    lines = drawn.splitlines()
    for k, (units, what) in enumerate(stack):
        line = next(line for line in lines if line.startswith(f"│ {k}  "))
        assert all(unit in line for unit in units)
        assert any(row.startswith(f"| {k} |") and what in row for row in lines)
    # Top of the stack first: the package's face above the command line above the vocabularies.
    assert drawn.index("__init__") < drawn.index("cli") < drawn.index("geography")
    assert "<!-- generated: layers -->" in (DOCS_DIR / "architecture.md").read_text(encoding="utf-8")


def test_the_benchmark_page_shows_every_committed_result(tmp_path):
    hooks = load_script("site_hooks")
    page = hooks.benchmarks_markdown()
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        assert f"benchmarks/results/{path.name}" in page
        table_rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
        assert all(row in page for row in table_rows)
    assert "<!-- generated: benchmarks -->" in (DOCS_DIR / "benchmarks.md").read_text(encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\n## Part\n\n| a |\n|---|\n| 1 |\n", encoding="utf-8")
    (tmp_path / "b.png").write_bytes(b"png")
    (tmp_path / "a.md").write_text("no heading\n", encoding="utf-8")
    made = hooks.benchmarks_markdown(tmp_path)
    assert made.index("## a") < made.index("## Title") < made.index("### Part")
    assert f"]({hooks.IMAGES}/b.png)" in made
    assert "No benchmark results" in hooks.benchmarks_markdown(tmp_path / "empty")


def test_doctest_paragraphs_outside_examples_become_code():
    fences = load_script("griffe_doctests").fence_doctests
    text = "Summary.\n\n>>> f()[:1]\n['a']\n\nExamples\n--------\n>>> g()\n1\n"
    assert fences(text) == "Summary.\n\n```pycon\n>>> f()[:1]\n['a']\n```\n\nExamples\n--------\n>>> g()\n1"
    assert fences("```python\n>>> x\n```") == "```python\n>>> x\n```"
    # After a section of named items the example would be read as one more item: it opens Examples.
    attributes = "Summary.\n\nAttributes\n----------\nx : int\n    The x.\n\n>>> X(x=1).x\n1"
    assert fences(attributes) == (
        "Summary.\n\nAttributes\n----------\nx : int\n    The x.\n\nExamples\n--------\n>>> X(x=1).x\n1"
    )


def test_simple_tables_become_markdown_tables():
    tables = load_script("griffe_doctests").simple_tables
    text = "Columns:\n\n=====  ====\nname   kind\n=====  ====\n``id``  text\na|b    x y\n=====  ====\n\nEnd."
    assert tables(text) == "Columns:\n\n| name | kind |\n|---|---|\n| ``id`` | text |\n| a\\|b | x y |\n\nEnd."
    assert tables("a\n=====\nb") == "a\n=====\nb"


def test_site_builds_strictly(tmp_path):
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason='the docs extra is not installed: pip install -e ".[docs]"')
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,  # the notebooks are executed (once: build/executed-notebooks keeps them)
    )
    assert run.returncode == 0, run.stdout + run.stderr
    site = tmp_path / "site"
    assert (site / "reference" / "solve" / "index.html").exists()
    architecture = (site / "architecture" / "index.html").read_text(encoding="utf-8")
    assert "generated: layers" not in architecture
    assert "io · maps · report" in architecture
    benchmarks = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    assert "generated: benchmarks" not in benchmarks
    assert "pairmatch" in benchmarks
    # Every notebook is a page with its outputs: the objects' own tables and the pictures.
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = (site / "notebooks" / notebook.stem / "index.html").read_text(encoding="utf-8")
        assert 'class="pairmatch-display"' in page, notebook.name
        assert "data:image/png;base64," in page, notebook.name
    # A docstring example is never read as one more attribute or parameter row.
    item = re.compile(r"<td><code>(?:<span[^>]*>)?\s*(?:```|&gt;&gt;&gt;)")
    for page in (site / "reference").rglob("*.html"):
        assert not item.search(page.read_text(encoding="utf-8")), f"an example renders as a table row in {page}"
    store = (site / "reference" / "store" / "index.html").read_text(encoding="utf-8")
    examples = store[store.index('id="pairmatch.store.HistoryOptions"') :]
    assert "Examples:" in examples[: examples.index('id="pairmatch.store.PastPairing"')]


# --------------------------------------------------------------------------- shell blocks

SHELL_BLOCK = re.compile(r"```(?:bash|sh|shell|console)\n(.*?)```", re.DOTALL)
# A shell block that cannot run here says why, on the line before it: <!-- not run: REASON -->.
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*\n(?:\s*\n)?$")
INSTALL = re.compile(r"^(?:\S*/)?(?:pip3?\s+install|python3?\s+-m\s+(?:venv|pip\s+install))\b")
# The curl examples of the service guide run against a live server in tests/service/test_service_docs.py.
RUN_ELSEWHERE = {"docs/service.md": "## Examples with curl"}
# Lines a page says the commands before it print: "This prints `...`" ("..." for anything).
PRINTS = re.compile(r"This prints `([^`]+)`")


def shell_blocks(path: Path) -> list[tuple[str, str | None, str]]:
    """``(code, reason it is not run or None, the text after it)`` of each shell block of a page."""
    text = path.read_text(encoding="utf-8")
    elsewhere = RUN_ELSEWHERE.get(page_id(path))
    cut = text.index(elsewhere) if elsewhere else len(text)
    out = []
    for match in SHELL_BLOCK.finditer(text):
        if match.start() >= cut:
            break
        note = NOT_RUN.search(text[: match.start()])
        out.append((match.group(1), note["reason"] if note else None, text[match.end() : match.end() + 400]))
    return out


def commands(code: str) -> list[str]:
    """The block's commands: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def extras() -> set[str]:
    import tomllib

    return set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"])


def check_install(segment: str) -> None:
    """An install command is checked, not run: each extra it names exists in pyproject.toml."""
    for group in re.findall(r"\[([\w,\s-]+)\]", segment):
        for extra in group.split(","):
            assert extra.strip() in extras(), f"{segment!r} names the unknown extra {extra.strip()!r}"
    for name in re.findall(r"(?<![\w.-])([A-Za-z][\w.-]*)\[", segment):
        assert name == "pairmatch-mentoring", f"{segment!r}: the package is pairmatch-mentoring"


def pairmatch_arguments(command: str) -> list[str] | None:
    """The arguments of a ``pairmatch`` command line (up to a pipe, ``&`` or comment), or None."""
    import shlex

    words = shlex.split(command, comments=True)
    for k, word in enumerate(words):
        if word == "pairmatch" or word.endswith("/pairmatch"):
            rest = words[k + 1 :]
            stop = next((n for n, w in enumerate(rest) if w in ("|", "&", "&&", ";", ">")), len(rest))
            return rest[:stop]
    return None


SHELL_PAGES = [p for p in DOCS if SHELL_BLOCK.search(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", SHELL_PAGES, ids=page_id)
def test_every_shell_block_runs_as_written(path, tmp_path):
    """Every command line of a page runs, in order, in a fresh folder (install commands are
    checked against the extras instead; a block that cannot run says why, and its pairmatch
    commands must still be accepted by the command-line parser)."""
    from pairmatch.cli import build_parser

    bin_dir = Path(sys.executable).parent
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(bin_dir, target_is_directory=True)
    (tmp_path / "docs").symlink_to(DOCS_DIR, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k != "PAIRMATCH_STORE"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1", PAGER="cat")
    for number, (code, reason, after) in enumerate(shell_blocks(path), 1):
        where = f"{page_id(path)}, shell block {number}"
        runnable = []
        for command in commands(code):
            segments = [s.strip() for s in command.split(" && ")]
            for segment in segments:
                if INSTALL.match(segment):
                    check_install(segment)
            kept = [s for s in segments if not INSTALL.match(s)]
            if kept:
                runnable.append(" && ".join(kept))
        if reason is not None:
            assert reason.strip(), f"{where}: say why the block is not run"
            for command in runnable:
                argv = pairmatch_arguments(command)
                if argv is not None:
                    build_parser().parse_args(argv)  # the options are still the command's own
            continue
        if not runnable:
            continue
        assert not any(c.rstrip().endswith("&") for c in runnable), f"{where}: a command left running needs a reason"
        script = "set -euo pipefail\nless() { cat; }\n" + "\n".join(runnable) + "\n"
        code, out, err = run_script(script, tmp_path, env)
        assert code == 0, f"{where} failed:\n{script}\n{out[-3000:]}\n{err[-3000:]}"
        for claim in PRINTS.findall(after.split("```")[0]):
            position = 0
            for part in (p.strip("( ") for p in claim.split("...") if p.strip("() ")):
                position = out.find(part, position)
                assert position >= 0, f"{where}: the page says it prints {claim!r}; it printed:\n{out[:2000]}"


def run_script(script: str, folder: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run a bash script in its own process group, output to files (a stray background process
    can hold no pipe open), and end whatever it left running."""
    import signal

    out_path, err_path = folder / ".stdout", folder / ".stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            ["bash", "-c", script], cwd=folder, env=env, stdout=out, stderr=err, start_new_session=True
        )
        try:
            code = proc.wait(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    return code, out_path.read_text(encoding="utf-8"), err_path.read_text(encoding="utf-8")

"""MkDocs hook: every notebook in ``notebooks/`` becomes a page of the site, executed, with its outputs.

The notebooks are stored without outputs. When the site is built, each one is
executed top to bottom in a fresh Jupyter kernel (nbclient, in a temporary
working directory) and handed to the mkdocs-jupyter plugin as
``notebooks/<name>.ipynb``, so a reader sees the tables and pictures without
running anything. A cell that raises fails the build.

Executed notebooks are kept in ``build/executed-notebooks/``, named by a digest
of the notebook and of the package's source, so building again after a change
to the docs only does not run them again.

Run this file to execute the notebooks and print where the executed copies are:

    python docs/scripts/notebook_pages.py
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = ROOT / "src" / "pairmatch"
CACHE = ROOT / "build" / "executed-notebooks"
TIMEOUT_S = 900  # per cell


def package_digest() -> str:
    """A digest of the package's source and data: executed notebooks depend on it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".md", ".toml", ".csv"):
            digest.update(str(path.relative_to(PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def execute(path: Path, out: Path) -> None:
    """Run ``path`` top to bottom and write it, with its outputs, to ``out``; raise on any error."""
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="notebook-") as folder:
        env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1"}  # the current Jupyter paths, without a notice
        client = nbclient.NotebookClient(
            notebook, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        client.execute(cwd=folder, env=env)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_suffix(".tmp")
    nbformat.write(notebook, staged)
    staged.replace(out)


def executed(path: Path, digest: str | None = None) -> Path:
    """The executed copy of notebook ``path``, from the cache when the notebook and the package
    are unchanged, else executed now (older copies of the same notebook are removed)."""
    key = hashlib.sha256(path.read_bytes() + (digest or package_digest()).encode()).hexdigest()[:16]
    out = CACHE / f"{path.stem}-{key}.ipynb"
    if not out.exists():
        for stale in CACHE.glob(f"{path.stem}-*.ipynb"):  # older copies of this notebook
            stale.unlink()
        execute(path, out)
    return out


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


try:
    from mkdocs.plugins import event_priority
except ImportError:  # pragma: no cover - run as a script without mkdocs

    def event_priority(priority: float) -> Any:
        return lambda f: f


@event_priority(100)  # before the mkdocs-jupyter plugin picks the notebook pages up
def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    digest = package_digest()
    pages = CACHE / "pages"  # the executed copies under their own names, as the site's source
    (pages / "notebooks").mkdir(parents=True, exist_ok=True)
    for path in notebooks():
        (pages / "notebooks" / path.name).write_bytes(executed(path, digest).read_bytes())
        files.append(File(f"notebooks/{path.name}", str(pages), config.site_dir, config.use_directory_urls))
    return files


if __name__ == "__main__":
    digest = package_digest()
    for path in notebooks():
        print(executed(path, digest))

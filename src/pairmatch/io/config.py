"""Settings from a TOML file (or a dict): weights, rules, solve parameters, vocabularies.

Every problem names the line and the key, so a coordinator can go straight
to it; unknown keys come with the closest known one.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..geography import Geography
from ..models import Rules
from ..params import SolveParams, Weights
from ..taxonomy import Taxonomy
from ..text import TextError, clean_text, excerpt, quoted
from .issues import InputIssue, IssueLog
from .readers import decode
from .vocabularies import geography_from_file, taxonomy_from_file

__all__ = ["CONFIG_KEYS", "Config", "TomlLines", "config_from_mapping", "read_config", "read_config_into"]

CONFIG_KEYS = ("name", "description", "meeting_minutes", "weights", "rules", "solve", "vocabularies")
VOCABULARY_KEYS = ("geography", "taxonomy")

# A table header line: [name] or [[name]] with a bare dotted name (an array value never matches).
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*)\s*\]\]?\s*(?:#.*)?$")


@dataclass(frozen=True)
class Config:
    """Settings from a TOML file: weights, rules, solve parameters, programme details
    and, optionally, the programme's own geography and taxonomy.

    ``seed`` is the ``[solve]`` table's seed (0 when absent).

    Examples
    --------
    >>> Config().weights.focus, Config().seed
    (0.5, 0)
    >>> Config.from_dict({"rules": {"min_overlap_minutes": 60}}).rules.min_overlap_minutes
    60
    """

    weights: Weights = Weights()
    rules: Rules = Rules()
    params: SolveParams = SolveParams()
    meeting_minutes: int = 60
    name: str = ""
    description: str = ""
    source: str | None = None
    geography: Geography | None = field(default=None, compare=False)
    taxonomy: Taxonomy | None = field(default=None, compare=False)
    text: str = field(default="", repr=False, compare=False)

    @property
    def seed(self) -> int:
        return self.params.seed

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: str | os.PathLike[str] | None = None) -> Config:
        """Settings from a dict with the keys of the TOML file (vocabulary paths relative to ``base``).

        Raises
        ------
        InputFileError
            Listing every bad key or value.
        """
        log = IssueLog()
        config = config_from_mapping(data, log, base=base)
        log.raise_if_any()
        return config


class TomlLines:
    """Where keys and values sit in a TOML text, for messages that give a line number.

    >>> lines = TomlLines('name = "x"\\n[rules]\\nforbidden_pairs = [\\n  ["M1", "O9"],\\n]\\n')
    >>> lines.key(("rules", "forbidden_pairs")), lines.value(("rules", "forbidden_pairs"), "O9")
    (3, 4)
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (table name, occurrence, first line index, end index); the root table first.
        self.sections: list[tuple[str, int, int, int]] = []
        seen: dict[str, int] = {}
        starts: list[tuple[str | None, int]] = [(None, -1)]
        for n, line in enumerate(self.lines):
            match = _HEADER.match(line)
            if match:
                starts.append((match[2].replace(" ", ""), n))
        for k, (name, start) in enumerate(starts):
            end = starts[k + 1][1] if k + 1 < len(starts) else len(self.lines)
            label = name or ""
            occurrence = seen.get(label, 0)
            seen[label] = occurrence + 1
            self.sections.append((label, occurrence, start, end))

    def _section(self, name: str, occurrence: int = 0) -> tuple[int, int] | None:
        for label, k, start, end in self.sections:
            if label == name and k == occurrence:
                return start, end
        return None

    def _key_in(self, bounds: tuple[int, int], key: str) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for n in range(bounds[0] + 1, bounds[1]):
            if pattern.match(self.lines[n]):
                return n
        return None

    def key(self, path: tuple[Any, ...]) -> int | None:
        """1-based line of the setting at ``path`` (e.g. ``("rules", "quotas", 0, "min_pairs")``),
        or of the nearest enclosing table or key found."""
        names = [p for p in path if isinstance(p, str)]
        # An array of tables: [[rules.quotas]] ... the k-th one, then a key inside it.
        for cut in range(len(path), 0, -1):
            head = path[:cut]
            if len(head) >= 2 and isinstance(head[-1], int) and all(isinstance(p, str) for p in head[:-1]):
                bounds = self._section(".".join(head[:-1]), head[-1])
                if bounds is not None:
                    rest = [p for p in path[cut:] if isinstance(p, str)]
                    line = self._key_in(bounds, rest[0]) if rest else None
                    return (line if line is not None else bounds[0]) + 1
        for split in range(len(names), -1, -1):
            table, keys = ".".join(names[:split]), names[split:]
            bounds = self._section(table)
            if bounds is None:
                continue
            if not keys:
                return bounds[0] + 1 if bounds[0] >= 0 else None
            line = self._key_in(bounds, keys[0])
            if line is not None:
                return line + 1
        return None

    def value(self, path: tuple[Any, ...], value: str) -> int | None:
        """1-based line where ``value`` is written as a string within the setting at ``path``."""
        start = self.key(path)
        if start is None:
            return None
        quoted = (f'"{value}"', f"'{value}'")
        for n in range(start - 1, len(self.lines)):
            line = self.lines[n]
            if n >= start and (_HEADER.match(line) or re.match(r"^\s*[\w\"'.-]+\s*=", line)):
                break
            if any(q in line for q in quoted):
                return n + 1
        return start


class _Reporter:
    """Adds config issues with their line and dotted key."""

    def __init__(self, file: str, lines: TomlLines | None, log: IssueLog) -> None:
        self.file, self.lines, self.log = file, lines, log

    def __call__(
        self, path: tuple[Any, ...], value: Any, message: str, suggestion: str | None = None, *, line: int | None = None
    ) -> None:
        label = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or None
        shown = None if value is None or isinstance(value, (dict, list)) else excerpt(value)
        if shown is not None and not message.startswith(quoted(value)):
            message = f"{quoted(value)}: {message}"
        if line is None and self.lines is not None:
            line = self.lines.key(path)
        self.log.add(InputIssue(self.file, line, label, shown, message, suggestion, "line", "setting"))


def _model_issues(report: _Reporter, table: str, model: type[BaseModel], err: ValidationError) -> None:
    for e in err.errors():
        loc = tuple(e["loc"])
        message = str(e["msg"]).removeprefix("Value error, ")
        suggestion = None
        value = e.get("input")
        if e["type"] == "extra_forbidden" and loc:
            message, value = "unknown setting", None
            close = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc), n=1)
            suggestion = close[0] if close else None
        elif e["type"] == "value_error" and "error" in (e.get("ctx") or {}):
            message = str(e["ctx"]["error"])
        report((table, *loc), value, message, suggestion)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that holds the unknown key at ``loc`` (e.g. a quota)."""
    if len(loc) >= 3 and loc[0] == "quotas":
        from ..models import Quota

        return list(Quota.model_fields)
    return list(model.model_fields)


def config_from_mapping(
    data: Mapping[str, Any],
    log: IssueLog,
    *,
    file: str = "settings",
    lines: TomlLines | None = None,
    base: str | os.PathLike[str] | None = None,
    text: str = "",
) -> Config:
    """Check settings given as a dict (the parsed TOML), adding every problem to ``log``."""
    report = _Reporter(file, lines, log)
    for key in data:
        if key not in CONFIG_KEYS:
            close = difflib.get_close_matches(str(key), CONFIG_KEYS, n=1)
            report((str(key),), None, "unknown setting", close[0] if close else None)
    parts: dict[str, Any] = {}
    for key, model in (("weights", Weights), ("rules", Rules), ("solve", SolveParams)):
        table = data.get(key, {})
        if not isinstance(table, Mapping):
            report((key,), table, f"must be a table ([{key}])")
            continue
        try:
            parts[key] = model(**table)
        except ValidationError as err:
            _model_issues(report, key, model, err)
    weights = parts.get("weights", Weights())
    if "weights" in parts and weights.total <= 0:
        report(("weights",), None, "every weight is 0; at least one must be positive")
    meeting = data.get("meeting_minutes", 60)
    if isinstance(meeting, bool) or not isinstance(meeting, int) or not 0 < meeting <= 1440 or meeting % 30:
        report(("meeting_minutes",), meeting, "must be a whole number of half hours (30, 60, 90, ...) up to 1440")
        meeting = 60
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            report((key,), data[key], "must be text")
    name = str(data.get("name", ""))
    try:
        name = clean_text(name)
    except TextError as err:
        report(("name",), None, str(err))
    geography, taxonomy = _vocabularies(data.get("vocabularies", {}), report, base)
    return Config(
        weights=weights,
        rules=parts.get("rules", Rules()),
        params=parts.get("solve", SolveParams()),
        meeting_minutes=meeting,
        name=name,
        description=str(data.get("description", "")),
        source=None if file == "settings" else file,
        geography=geography,
        taxonomy=taxonomy,
        text=text,
    )


def _vocabularies(
    table: Any, report: _Reporter, base: str | os.PathLike[str] | None
) -> tuple[Geography | None, Taxonomy | None]:
    if not isinstance(table, Mapping):
        report(("vocabularies",), table, "must be a table ([vocabularies]) with geography and taxonomy files")
        return None, None
    found: dict[str, Any] = {}
    folder = Path(base) if base is not None else Path.cwd()
    for key, value in table.items():
        if key not in VOCABULARY_KEYS:
            close = difflib.get_close_matches(str(key), VOCABULARY_KEYS, n=1)
            report(("vocabularies", str(key)), None, "unknown setting", close[0] if close else None)
            continue
        if not isinstance(value, str) or not value.strip():
            report(("vocabularies", key), value, f"must be the path of a {key} JSON file")
            continue
        path = folder / value
        if not path.is_file():
            report(("vocabularies", key), value, f"no such file (looked for {excerpt(path, 200)})")
            continue
        loader = geography_from_file if key == "geography" else taxonomy_from_file
        found[key] = loader(path, report.log)
    return found.get("geography"), found.get("taxonomy")


def read_config_into(path: str | os.PathLike[str] | None, log: IssueLog) -> Config:
    """`read_config` that adds problems to ``log`` instead of raising (defaults when None)."""
    if path is None:
        return Config()
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        log.add(InputIssue(file, None, None, None, f"cannot read the file ({err.strerror or err})"))
        return Config(source=file)
    text = decode(file, raw, log)
    if text is None:
        return Config(source=file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib puts the position only in its message.
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        log.add(
            InputIssue(
                file,
                int(match[1]) if match else None,
                None,
                None,
                f"not valid TOML: {message}" + (f" (column {match[2]})" if match else ""),
                row_kind="line",
            )
        )
        return Config(source=file)
    return config_from_mapping(data, log, file=file, lines=TomlLines(text), base=Path(path).parent, text=text)


def config_files(path: str | os.PathLike[str] | None) -> list[Path]:
    """The files a settings file names (its ``[vocabularies]``), so that no output replaces them.

    Best effort: a settings file that cannot be read names nothing here; loading
    it reports why.

    >>> from pairmatch.io import sample_path
    >>> config_files(sample_path("pilot", "config.toml"))
    []
    """
    if path is None:
        return []
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8-sig")).get("vocabularies", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    if not isinstance(table, Mapping):
        return []
    folder = Path(path).parent  # as `_vocabularies` resolves them
    return [
        folder / value
        for key, value in table.items()
        if key in VOCABULARY_KEYS and isinstance(value, str) and value.strip()
    ]


def read_config(path: str | os.PathLike[str]) -> Config:
    """Read weights, rules, solve parameters and programme details from a TOML file.

    Top-level keys: ``name``, ``description``, ``meeting_minutes``; tables
    ``[weights]`` (`Weights`), ``[rules]`` (`Rules`), ``[solve]``
    (`SolveParams`, including ``seed``) and ``[vocabularies]`` (``geography``
    and ``taxonomy`` JSON files, relative to the settings file).

    Raises
    ------
    InputFileError
        Listing every bad key or value with its line.

    Examples
    --------
    >>> from pairmatch.io import sample_path
    >>> config = read_config(sample_path("pilot", "config.toml"))
    >>> config.weights.focus, config.meeting_minutes
    (0.5, 60)
    """
    log = IssueLog()
    config = read_config_into(path, log)
    log.raise_if_any()
    return config

"""Settings from a TOML file (or a dict): one document model, `ConfigDocument`.

The settings document has top-level keys (``name``, ``description``,
``meeting_minutes``) and tables (``[weights]``, ``[rules]``, ``[solve]``,
``[vocabularies]``, ``[input]``, ``[output]``, ``[consent]``,
``[introductions]``); `ConfigDocument` is its only definition, so a new
setting is a new field there. Every problem names the line and the key, so
a coordinator can go straight to it; unknown keys come with the closest
known one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..consent import ConsentOptions
from ..geography import Geography
from ..models import Rules
from ..params import SolveParams, Weights
from ..preferences import Preference, Ranking, RankScore
from ..taxonomy import Taxonomy
from ..text import CleanStr, excerpt, quoted
from ..vocabulary_documents import document_problems, key_label
from .issues import InputIssue, IssueLog
from .rankings import read_rankings_into
from .readers import decode
from .vocabularies import geography_from_file, taxonomy_from_file

__all__ = [
    "CONFIG_KEYS",
    "Config",
    "ConfigDocument",
    "InputOptions",
    "IntroductionOptions",
    "OutputOptions",
    "TomlLines",
    "VocabularyFiles",
    "config_from_mapping",
    "read_config",
    "read_config_into",
]

# A table header line: [name] or [[name]] with a bare dotted name (an array value never matches).
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*)\s*\]\]?\s*(?:#.*)?$")


class VocabularyFiles(BaseModel):
    """The ``[vocabularies]`` table: a programme's own geography and taxonomy JSON files.

    Paths are relative to the settings file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    geography: str | None = Field(None, min_length=1, description="a geography JSON file (`GeographySpec`)")
    taxonomy: str | None = Field(None, min_length=1, description="a taxonomy JSON file (`TaxonomySpec`)")


class InputOptions(BaseModel):
    """The ``[input]`` table: how spreadsheets are read.

    ``sheet`` is the ``.xlsx`` worksheet: one name for both files, or
    ``["mentors' sheet", "mentees' sheet"]`` (``--sheet`` on the command line wins).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    sheet: str | tuple[str, str] | None = Field(None, description="the worksheet, or [mentors', mentees']")


class OutputOptions(BaseModel):
    """The ``[output]`` table: extra input columns shown beside each person in the matches,
    the report and the letters (``columns = ["email", "team", "pronouns"]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: tuple[str, ...] = ()


Frequency = Literal["weekly", "fortnightly", "monthly"]


class IntroductionOptions(BaseModel):
    """How introductions and calendar invitations are written (``[introductions]`` in the settings).

    Attributes
    ----------
    template : str or None
        The coordinator's own text, a file of plain text or Markdown with
        ``$placeholders`` (`pairmatch.introductions.letters.PLACEHOLDERS`);
        relative to the settings file. None: a short built-in text.
    subject : str
        Subject line of the letters and title of the calendar events.
    coordinator : str
        Who signs the letters.
    email_column : str or None
        The input column holding each person's e-mail address (mail-merge
        ``to`` column and calendar attendees); None: no addresses.
    frequency : {"weekly", "fortnightly", "monthly"}
        How often the pair meets (the 2021 pilot met monthly).
    meetings : int
        How many meetings to propose (e.g. 6 monthly ones for a six-month programme).
    first_meeting_after : date or None
        The first meeting is on or after this day (None: a week after the run).
    time_zone : {"Europe/London", "floating"}
        Time zone of the availability windows: ``Europe/London`` (with its
        VTIMEZONE, so a calendar elsewhere shows the right time across the
        clock changes) or ``floating`` (the same wall-clock time wherever the
        calendar is).
    location : str
        Where the meetings happen (the pilot met online).

    Examples
    --------
    >>> IntroductionOptions(frequency="monthly", meetings=6).time_zone
    'Europe/London'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: str | None = None
    subject: str = Field("Introducing your reverse-mentoring partner", min_length=1, max_length=200)
    coordinator: str = Field("The programme coordinator", max_length=200)
    email_column: str | None = None
    frequency: Frequency = "monthly"
    meetings: int = Field(6, ge=1, le=52)
    first_meeting_after: dt.date | None = None
    time_zone: Literal["Europe/London", "floating"] = "Europe/London"
    location: str = Field("online", max_length=200)


class ConfigDocument(BaseModel):
    """The settings document: what a TOML settings file (or the dict of `Config.from_dict`) holds.

    Examples
    --------
    >>> doc = ConfigDocument.model_validate({"meeting_minutes": 90, "rules": {"min_overlap_minutes": 60}})
    >>> doc.meeting_minutes, doc.rules.min_overlap_minutes, doc.solve.seed
    (90, 60, 0)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: CleanStr = ""
    description: str = ""
    meeting_minutes: int = Field(60, description="length of a meeting: whole half hours, up to 1440")
    weights: Weights = Weights()
    rules: Rules = Rules()
    preferences: tuple[Preference, ...] = Field((), description="soft preferences, each a named score component")
    rank_scores: tuple[RankScore, ...] = Field((), description="score components from the people's own rankings")
    rankings: str | None = Field(
        None, min_length=1, description="a rankings file (columns id, partner_id, rank), relative to this file"
    )
    solve: SolveParams = SolveParams()
    vocabularies: VocabularyFiles = VocabularyFiles()
    input: InputOptions = InputOptions()
    output: OutputOptions = OutputOptions()
    consent: ConsentOptions = ConsentOptions()
    introductions: IntroductionOptions = IntroductionOptions()

    @field_validator("meeting_minutes", mode="before")
    @classmethod
    def _half_hours(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1440 or value % 30:
            raise ValueError("must be a whole number of half hours (30, 60, 90, ...) up to 1440")
        return value

    @model_validator(mode="after")
    def _some_weight(self) -> ConfigDocument:
        if "weights" in self.model_fields_set and self.weights.total <= 0:
            error = PydanticCustomError("no_weight", "every weight is 0; at least one must be positive")
            raise ValidationError.from_exception_data(
                type(self).__name__, [InitErrorDetails(type=error, loc=("weights",), input=None)]
            )
        return self


CONFIG_KEYS = tuple(ConfigDocument.model_fields)
VOCABULARY_KEYS = tuple(VocabularyFiles.model_fields)


@dataclass(frozen=True)
class Config:
    """Settings read from a TOML file: the validated `ConfigDocument` and the
    programme's own geography and taxonomy, if its ``[vocabularies]`` names them.

    ``weights``, ``rules``, ``params`` (the ``[solve]`` table), ``seed``,
    ``meeting_minutes``, ``name`` and ``description`` read the document.

    Examples
    --------
    >>> Config().weights.focus, Config().seed
    (0.5, 0)
    >>> Config.from_dict({"rules": {"min_overlap_minutes": 60}}).rules.min_overlap_minutes
    60
    """

    document: ConfigDocument = field(default_factory=ConfigDocument)
    source: str | None = None
    geography: Geography | None = field(default=None, compare=False)
    taxonomy: Taxonomy | None = field(default=None, compare=False)
    text: str = field(default="", repr=False, compare=False)
    rankings: Mapping[str, Ranking] = field(default_factory=dict, compare=False)

    @property
    def weights(self) -> Weights:
        """The ``[weights]`` table: each score component's weight."""
        return self.document.weights

    @property
    def rules(self) -> Rules:
        """The ``[rules]`` table: the hard rules."""
        return self.document.rules

    @property
    def params(self) -> SolveParams:
        """The ``[solve]`` table as `SolveParams`."""
        return self.document.solve

    @property
    def seed(self) -> int:
        """The ``[solve]`` seed, recorded in the result."""
        return self.params.seed

    @property
    def meeting_minutes(self) -> int:
        """Length of a meeting in minutes (default 60)."""
        return self.document.meeting_minutes

    @property
    def preferences(self) -> tuple[Preference, ...]:
        """The soft preferences, each a named score component."""
        return self.document.preferences

    @property
    def rank_scores(self) -> tuple[RankScore, ...]:
        """The score components read from the people's own rankings."""
        return self.document.rank_scores

    @property
    def name(self) -> str:
        """The programme's name (empty when not given)."""
        return self.document.name

    @property
    def description(self) -> str:
        """The programme's description (empty when not given)."""
        return self.document.description

    @property
    def consent(self) -> ConsentOptions:
        """``[consent]``: whether new pairs wait for both people (`pairmatch.consent`)."""
        return self.document.consent

    @property
    def introductions(self) -> IntroductionOptions:
        """``[introductions]``: letters and calendar files (`pairmatch.introductions`)."""
        return self.document.introductions

    @property
    def columns(self) -> tuple[str, ...]:
        """``[output] columns``: extra input columns carried into the outputs."""
        return self.document.output.columns

    @property
    def sheets(self) -> str | tuple[str, str] | None:
        """``[input] sheet``: the ``.xlsx`` worksheet(s) to read."""
        return self.document.input.sheet

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
        shown = None if value is None or isinstance(value, (dict, list)) else excerpt(value)
        if shown is not None and not message.startswith(quoted(value)):
            message = f"{quoted(value)}: {message}"
        if line is None and self.lines is not None:
            line = self.lines.key(path)
        self.log.add(
            InputIssue(self.file, line, key_label(path) or None, shown, message, suggestion, "line", "setting")
        )


def config_from_mapping(
    data: Mapping[str, Any],
    log: IssueLog,
    *,
    file: str = "settings",
    lines: TomlLines | None = None,
    base: str | os.PathLike[str] | None = None,
    text: str = "",
) -> Config:
    """Check settings given as a dict (the parsed TOML), adding every problem to ``log``.

    The settings are validated as one `ConfigDocument`; each validation error
    becomes an issue at its key and line. Settings with problems come back as
    defaults (the log says why).
    """
    report = _Reporter(file, lines, log)
    source = None if file == "settings" else file
    try:
        document = ConfigDocument.model_validate(data)
    except ValidationError as err:
        problems = document_problems(err, ConfigDocument)
        for problem in problems:
            report(problem.loc, problem.value, problem.message, problem.suggestion)
        # The settings that passed still count, so the vocabulary files' problems are reported now too.
        try:
            document = ConfigDocument.model_validate(_without(data, [p.loc for p in problems]))
        except ValidationError:
            return Config(source=source, text=text)
    geography, taxonomy = _vocabularies(document.vocabularies, report, base)
    rankings = _rankings(document.rankings, report, base)
    return Config(
        document=document, source=source, geography=geography, taxonomy=taxonomy, text=text, rankings=rankings
    )


def _rankings(value: str | None, report: _Reporter, base: str | os.PathLike[str] | None) -> dict[str, Ranking]:
    """The rankings file the settings name (relative to them), read with its own issues."""
    if value is None:
        return {}
    path = (Path(base) if base is not None else Path.cwd()) / value
    if not path.is_file():
        report(("rankings",), value, f"no such file (looked for {excerpt(path, 200)})")
        return {}
    return read_rankings_into(path, report.log)


def _without(data: Mapping[str, Any], locs: list[tuple[str | int, ...]]) -> dict[str, Any]:
    """``data`` without the settings at ``locs`` (a list is dropped whole when an item of it fails)."""
    out: dict[str, Any] = dict(data)
    for loc in locs:
        keys: list[str] = []
        for step in loc:
            if not isinstance(step, str):
                break
            keys.append(step)
        table = out
        for key in keys[:-1]:
            inner = table.get(key)
            if not isinstance(inner, Mapping):
                break
            table[key] = table = dict(inner)
        else:
            if keys:
                table.pop(keys[-1], None)
    return out


def _vocabularies(
    files: VocabularyFiles, report: _Reporter, base: str | os.PathLike[str] | None
) -> tuple[Geography | None, Taxonomy | None]:
    folder = Path(base) if base is not None else Path.cwd()
    found: dict[str, Any] = {}
    for key, loader in (("geography", geography_from_file), ("taxonomy", taxonomy_from_file)):
        value = getattr(files, key)
        if value is None:
            continue
        path = folder / value
        if not path.is_file():
            report(("vocabularies", key), value, f"no such file (looked for {excerpt(path, 200)})")
            continue
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
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    table = data.get("vocabularies", {})
    folder = Path(path).parent  # as `_vocabularies` and `_rankings` resolve them
    named = [data.get("rankings")]
    if isinstance(table, Mapping):
        named += [value for key, value in table.items() if key in VOCABULARY_KEYS]
    return [folder / value for value in named if isinstance(value, str) and value.strip()]


def read_config(path: str | os.PathLike[str]) -> Config:
    """Read weights, rules, solve parameters and programme details from a TOML file.

    Top-level keys: ``name``, ``description``, ``meeting_minutes``,
    ``rankings`` (a rankings file, see `read_rankings`); tables ``[weights]``
    (`Weights`), ``[rules]`` (`Rules`), ``[[preferences]]`` (`Preference`),
    ``[[rank_scores]]`` (`RankScore`), ``[solve]`` (`SolveParams`, including
    ``seed``) and ``[vocabularies]`` (``geography`` and ``taxonomy`` JSON
    files); file paths are relative to the settings file.

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

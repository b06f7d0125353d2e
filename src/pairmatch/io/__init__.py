"""Files in and out: people from CSV, XLSX, JSON or DataFrames, settings from TOML, matches out.

Column layout (one row per person; the header names are matched ignoring
case, spaces and dashes, so ``Focus areas`` is ``focus_areas``):

=================  ========  ==============================================================
column             required  content
=================  ========  ==============================================================
``id``             yes       unique across both files
``name``           no        display name
``focus_areas``    yes       ``;``-separated topics, most important first (cell may be empty)
``boroughs``       yes       ``;``-separated borough names (case, ``&`` / ``and`` ignored)
``availability``   yes       ``;``-separated weekly windows, ``Mon 18:00-20:00; Sat 10:00-12:00``
``min_partners``   no        whole number >= 0 (default 0)
``max_partners``   no        whole number >= 0 (default 1)
``ranking``        no        the person's own ranking of the other side, ``M3 > M1 = M2``
anything else      no        a free attribute (rank, BCU, age band, ...) for rules and quotas
=================  ========  ==============================================================

Every reader checks every row with the models' own validators and raises one
`InputFileError` listing every problem found (file, row as numbered in the
spreadsheet, column, value, what is wrong and what was expected, a
suggestion). Writers render in memory, then replace all their targets
together or not at all (`write_atomically`); CSV cells that a spreadsheet
would run as formulas are neutralised. pandas and openpyxl are optional:
they are imported only when an XLSX file or a DataFrame is used.

Modules: `issues` (problems and how they are collected), `readers` (raw
tables and header detection), `people` (rows to people), `config`
(settings), `rankings` (people's own rankings from a file of their own),
`vocabularies` (a programme's own geography and taxonomy),
`problem` (everything into a `Problem`), `preflight` (warnings before
solving), `writers` (files out) and `samples` (shipped files).
"""

from __future__ import annotations

from ..exceptions import MissingExtraError
from .config import Config, config_files, read_config
from .issues import MAX_ISSUES_PER_FILE, InputFileError, InputIssue
from .people import read_mentees, read_mentors, read_people
from .preflight import problem_warnings
from .problem import load_problem, problem_from_frames
from .rankings import read_rankings
from .readers import COLUMNS, REQUIRED_COLUMNS
from .samples import guide_text, sample_path
from .vocabularies import load_geography, load_taxonomy
from .writers import csv_safe, matches_bytes, people_bytes, write_atomically, write_matches, write_people

__all__ = [
    "COLUMNS",
    "MAX_ISSUES_PER_FILE",
    "REQUIRED_COLUMNS",
    "Config",
    "InputFileError",
    "InputIssue",
    "MissingExtraError",
    "config_files",
    "csv_safe",
    "guide_text",
    "load_geography",
    "load_problem",
    "load_taxonomy",
    "matches_bytes",
    "people_bytes",
    "problem_from_frames",
    "problem_warnings",
    "read_config",
    "read_mentees",
    "read_mentors",
    "read_people",
    "read_rankings",
    "sample_path",
    "write_atomically",
    "write_matches",
    "write_people",
]

"""The malformed input files under ``tests/data/malformed`` and where each one's first problem is."""

from __future__ import annotations

from pathlib import Path

MALFORMED = Path(__file__).resolve().parents[1] / "data" / "malformed"

# file -> (row, column) of the first issue; column None where a whole row or file is wrong.
EXPECTED = {
    "missing_column.csv": (1, "boroughs"),
    "unknown_borough.csv": (3, "boroughs"),
    "duplicate_id.csv": (4, "id"),
    "bad_time_window.csv": (3, "availability"),
    "time_off_grid.csv": (2, "availability"),
    "window_ends_before_start.csv": (2, "availability"),
    "negative_capacity.csv": (2, "max_partners"),
    "non_numeric_capacity.csv": (2, "max_partners"),
    "min_greater_than_max.csv": (2, "min_partners"),
    "unknown_focus_area.csv": (3, "focus_areas"),
    "empty_id.csv": (2, "id"),
    "empty_file.csv": (1, None),
    "header_only.csv": (2, None),
    "wrong_encoding_latin1.csv": (2, "name"),
    "wrong_encoding_utf16.csv": (1, None),
    "semicolon_separated.csv": (1, None),
    "unknown_borough.json": (2, "boroughs"),
}

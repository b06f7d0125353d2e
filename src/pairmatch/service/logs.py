"""Structured logs: one JSON object per line, with the request id, and no person data.

What is logged: events (``request``, ``job``, ``startup``...), request ids,
routes, status codes, sizes, counts of people and pairs, and timings. What is
never logged: ids, names, boroughs or any other value from a request body,
API keys, query strings, and exception messages (they can quote input);
an unexpected error is logged by its type and the code locations it passed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["LOGGER", "JsonFormatter", "error_summary", "log_event", "logging_config"]

LOGGER = logging.getLogger("pairmatch.service")
_PACKAGE = Path(__file__).resolve().parents[1]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, event and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line; another library's record gives its message, and an
        exception only its summary (never its text)."""
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        else:
            # Third-party records (uvicorn): their message, never an exception text.
            data["event"] = "message"
            data["message"] = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            data.update(error_summary(record.exc_info[1]))
        return json.dumps(data, ensure_ascii=False, default=str)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with ``fields`` (counts, timings, ids of requests and jobs; never person data)."""
    LOGGER.log(level, event, extra={"fields": {"event": event, **fields}})


def error_summary(err: BaseException) -> dict[str, Any]:
    """An exception as its type and the code locations it passed, without its message."""
    where = []
    for frame in traceback.extract_tb(err.__traceback__):
        path = Path(frame.filename)
        try:
            name = "pairmatch/" + path.resolve().relative_to(_PACKAGE).as_posix()
        except ValueError:
            name = path.name
        where.append(f"{name}:{frame.lineno} in {frame.name}")
    return {"exception": type(err).__name__, "where": where[-8:]}


def logging_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and uvicorn: JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "pairmatch": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Access lines carry the raw path and query string and the client's address;
            # the service writes its own request line instead.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }

"""The HTTP service: the JSON contract over HTTP for other programme systems.

Run it with ``pairmatch serve`` (see ``docs/service.md``). Needs the
``service`` extra: ``pip install 'pairmatch-mentoring[service]'``.

`create_app` builds the FastAPI application from a `ServiceConfig` (keys
and limits) and a `JobBackend` (`open_jobs` gives the one kept in the
programme store).
"""

from __future__ import annotations

from ..exceptions import require

require("fastapi", "service", "the HTTP service")
require("uvicorn", "service", "the HTTP service")
require("sqlalchemy", "service", "the HTTP service's job store")
require("alembic", "service", "the HTTP service's job store")

from .app import MAX_WAIT_S, Service, ServiceError, create_app  # noqa: E402
from .auth import authenticate  # noqa: E402
from .config import ApiKey, KeyConfigError, ServiceConfig, load_keys, parse_keys  # noqa: E402
from .jobs import JobBackend, JobRecord, SqlJobs  # noqa: E402
from .logs import logging_config  # noqa: E402
from .storage import migrate_jobs, open_jobs  # noqa: E402

__all__ = [
    "MAX_WAIT_S",
    "ApiKey",
    "JobBackend",
    "JobRecord",
    "KeyConfigError",
    "Service",
    "ServiceConfig",
    "ServiceError",
    "SqlJobs",
    "authenticate",
    "create_app",
    "load_keys",
    "logging_config",
    "migrate_jobs",
    "open_jobs",
    "parse_keys",
]

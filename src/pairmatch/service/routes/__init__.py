"""The service's routers: operations (health, readiness), the tasks (generated from the task table), jobs.

`ROUTERS` lists them; `pairmatch.service.routes.proxy` (the key check nginx asks for) reads the scope of
every route in them.
"""

from __future__ import annotations

from . import jobs, operations, tasks

__all__ = ["ROUTERS"]

ROUTERS = (operations.router, tasks.router, jobs.router)

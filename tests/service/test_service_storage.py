"""A full store: job submissions get 507 with a storage message, and readiness says not ready."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

import asyncio

import httpx
from sqlalchemy import event

from pairmatch.service import ServiceConfig, create_app, open_jobs

from support.service import check_error, example


def test_a_full_store_answers_507_and_is_not_ready(tmp_path):
    backend = open_jobs(tmp_path / "programme.db")
    backend.engine.dispose()

    @event.listens_for(backend.engine, "connect")
    def no_room(dbapi_connection, _record):
        # The file may not grow by a single page: exactly what a full disk does to SQLite.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    app = create_app(ServiceConfig(anonymous=True, solve_slots=1), backend)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://pairmatch.test", timeout=60) as client,
        ):
            assert (await client.get("/readyz")).json()["checks"]["store"] == "ok"
            request = {**example(), "mentors": [{**example()["mentors"][0], "name": "x" * 200_000}]}
            body = check_error(await client.post("/v1/jobs/match", json=request), 507, "storage_full")
            assert "no room" in body["message"]
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["store"].startswith("full")
            # What only reads still works.
            assert (await client.post("/v1/validate", json=example())).status_code == 200

    asyncio.run(scenario())
    backend.engine.dispose()

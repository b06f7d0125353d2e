"""Who is calling, as FastAPI dependencies: `Reader` and `Writer` authenticate before anything else runs.

A route that takes ``key: Reader`` (or ``Writer``) refuses a request without a
valid key (401) or with too small a scope (403) before the route's own code
runs, so before its body is read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from .auth import ANONYMOUS, authenticate, presented_key
from .config import ApiKey, Scope, ServiceConfig
from .context import ServiceError, note

__all__ = ["Reader", "Writer", "caller", "needs", "reader", "writer"]

_BEARER = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")
_HEADER_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in `X-API-Key`")


def caller(request: Request, scope: Scope) -> ApiKey:
    """The key of the request, which must allow ``scope`` (`ServiceError` 401 or 403 otherwise)."""
    config: ServiceConfig = request.app.state.service.config
    if config.anonymous and not config.keys:
        key = ANONYMOUS
    else:
        found = authenticate(config.keys, presented_key(request.headers))
        if found is None:
            raise ServiceError(
                401,
                "unauthorized",
                "send a valid API key: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": 'Bearer realm="pairmatch"'},
            )
        key = found
    note(client=key.client)
    if not key.allows(scope):
        raise ServiceError(403, "forbidden", f"this endpoint needs a {scope} key; this key is {key.scope}-only")
    return key


# The security parameters only describe the two ways of sending a key in the OpenAPI document;
# `caller` reads the headers itself.
async def reader(
    request: Request, bearer: Annotated[Any, Security(_BEARER)], header: Annotated[Any, Security(_HEADER_KEY)]
) -> ApiKey:
    """The caller, who needs a read (or write) key (also kept as ``request.state.key``)."""
    request.state.key = caller(request, "read")
    return request.state.key


async def writer(
    request: Request, bearer: Annotated[Any, Security(_BEARER)], header: Annotated[Any, Security(_HEADER_KEY)]
) -> ApiKey:
    """The caller, who needs a write key (also kept as ``request.state.key``)."""
    request.state.key = caller(request, "write")
    return request.state.key


Reader = Annotated[ApiKey, Depends(reader)]
Writer = Annotated[ApiKey, Depends(writer)]


def needs(scope: Scope) -> Any:
    """The dependency of a generated endpoint that needs ``scope``; it finds the key in ``request.state.key``."""
    return Depends(reader if scope == "read" else writer)

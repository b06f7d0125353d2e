"""``GET /v1/access``: the key check alone, for a proxy to ask before it reads a request's body.

nginx's ``auth_request`` (see ``deploy/nginx/locations.conf``) sends the method and
path of each request it is about to pass on, with its key headers but never its
body; the answer is 204 when the key may call that endpoint, or the 401/403
error document otherwise. So behind nginx, as without it, no body is read for a
caller without a valid key of the right scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.routing import Match

from ..access import caller, reader, writer
from ..config import Scope
from ..openapi import responses
from . import ROUTERS

__all__ = ["router", "scope_of"]

router = APIRouter(tags=["operations"])


def scope_of(method: str, path: str) -> Scope | None:
    """The scope the route answering ``method path`` needs (None: no key, or no such route).

    >>> scope_of("POST", "/v1/match"), scope_of("GET", "/v1/jobs/abc"), scope_of("GET", "/healthz")
    ('write', 'read', None)
    """
    probe = {"type": "http", "method": method.upper(), "path": path, "path_params": {}, "root_path": ""}
    for route in (route for router in ROUTERS for route in router.routes):
        if isinstance(route, APIRoute) and route.matches(probe)[0] == Match.FULL:
            calls = {dependency.call for dependency in route.dependant.dependencies}
            if writer in calls:
                return "write"
            return "read" if reader in calls else None
    return None


@router.get(
    "/v1/access",
    summary="Whether the key may call the endpoint named by X-Original-Method and X-Original-URI (for a proxy)",
    status_code=204,
    responses={
        204: {"description": "the key may call it (or it needs none)"},
        **{status: answer for status, answer in responses(200, ["error"], "", 401, 403).items() if status != 200},
    },
    response_class=Response,
)
async def access(request: Request) -> Response:
    method = request.headers.get("x-original-method", "GET")
    path = request.headers.get("x-original-uri", "/").split("?", 1)[0]
    scope = scope_of(method, path)
    if scope is not None:
        caller(request, scope)
    return Response(status_code=204)

"""Who is calling: the key in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` is either the
admin key (environment) or a stored key (:mod:`newsmon.api.keys`) of one owner. Keys are never
accepted in the URL (URLs end up in access logs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from newsmon.api.backend import Backend
from newsmon.api.errors import ApiProblem

__all__ = ["ADMIN_OWNER", "Principal", "backend", "caller", "require_admin"]

ADMIN_OWNER = "admin"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <key>` (a key from `newsmon api keys create`, or the admin key)",
)
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="apiKey", description="`X-API-Key: <key>` (same keys)"
)


@dataclass(frozen=True)
class Principal:
    """The caller of one request: an owner's key (sees that owner's objects only) or the admin key
    (sees everything, manages keys; acts as owner ``admin`` unless it names another)."""

    owner: str
    admin: bool
    key_id: str | None = None


def backend(request: Request) -> Backend:
    """The app's :class:`Backend` (a FastAPI dependency)."""
    found: Backend = request.app.state.backend
    return found


def _unauthorized(message: str) -> ApiProblem:
    return ApiProblem(401, message, headers={"WWW-Authenticate": 'Bearer realm="newsmon"'})


def caller(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header)],
    api: Annotated[Backend, Depends(backend)],
) -> Principal:
    """The authenticated caller; 401 for a missing, malformed, unknown or revoked key."""
    token = (bearer.credentials if bearer else None) or header_key
    if not token:
        raise _unauthorized(
            "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`"
        )
    token = token.strip()
    if api.admin.matches(token):
        return Principal(owner=ADMIN_OWNER, admin=True)
    key = api.keys.authenticate(token)
    if key is None:
        raise _unauthorized("invalid API key (unknown, revoked or mistyped)")
    return Principal(owner=key.owner, admin=False, key_id=key.key_id)


def require_admin(who: Annotated[Principal, Depends(caller)]) -> Principal:
    """The caller, who must hold the admin key (403 otherwise)."""
    if not who.admin:
        raise ApiProblem(403, "this endpoint needs the admin key")
    return who

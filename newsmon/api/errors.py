"""One error shape for every answer that is not a success, ``{"error": {"code", "message",
"field"?, "position"?}}``, and the handlers that produce it: request validation (422 with the field
path, never echoing the input, which may hold credentials), unknown routes and methods, Elasticsearch
being unreachable or overloaded (503), and anything unexpected (500, logged without the request)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsmon.api.models import ErrorDetail, ErrorResponse

__all__ = ["ApiProblem", "error_response", "install_handlers", "query_error_position"]

logger = logging.getLogger("newsmon.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}
_POSITION = re.compile(r"\bat position (\d+)")


class ApiProblem(Exception):
    """Raised by an endpoint to answer with an error (status, code, message, optional field and
    position); rendered by the handler :func:`install_handlers` adds."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        position: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _STATUS_CODES.get(status, "error")
        self.message = message
        self.field = field
        self.position = position
        self.headers = headers


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
    position: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    detail = ErrorDetail(
        code=code or _STATUS_CODES.get(status, "error"), message=message, field=field, position=position
    )
    body = ErrorResponse(error=detail).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def query_error_position(message: str, query: str) -> int | None:
    """The character offset a query error names (``at position N``; ``at the end``: the length)."""
    match = _POSITION.search(message)
    if match:
        return int(match.group(1))
    if "at the end" in message:
        return len(query)
    return None


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:
        return error_response(422, "invalid request")
    parts = []
    for err in errors[:5]:
        loc = [p for p in err.get("loc", ()) if p not in ("function-after",)]
        where = _field_path(loc)
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            msg = f"not valid JSON ({(err.get('ctx') or {}).get('error', 'decode error')})"
        parts.append(f"{where}: {msg}" if where else msg)
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    first = errors[0]
    return error_response(
        422,
        "; ".join(parts) + more,
        code="invalid_request",
        field=_field_path(list(first.get("loc", ()))) or None,
    )


def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return error_response(
        exc.status,
        exc.message,
        code=exc.code,
        field=exc.field,
        position=exc.position,
        headers=exc.headers,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):  # not UTF-8 / not JSON at all
        return error_response(422, "the body is not valid JSON (UTF-8)", code="invalid_request", field="body")
    if exc.status_code == 404:
        message = f"no such endpoint: {request.url.path} (see /openapi.json)"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, message, headers=headers)


def _elasticsearch_api(request: Request, exc: Exception) -> JSONResponse:
    status = int(getattr(getattr(exc, "meta", None), "status", 0) or 0)
    logger.warning("elasticsearch answered %s to %s %s", status, request.method, request.url.path)
    if status == 429 or status >= 500 or status in (401, 403):
        return error_response(
            503,
            f"Elasticsearch cannot serve the request now (status {status}); try again shortly",
            headers={"Retry-After": "5"},
        )
    return error_response(502, f"Elasticsearch refused the request (status {status})")


def _elasticsearch_down(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "elasticsearch unreachable (%s) for %s %s", type(exc).__name__, request.method, request.url.path
    )
    return error_response(
        503,
        "Elasticsearch is unreachable; the API works again as soon as it is back (`newsmon status`)",
        headers={"Retry-After": "5"},
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error: the server log says more")


def install_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` in the one error shape."""
    from elasticsearch import ApiError, TransportError

    app.add_exception_handler(ApiProblem, _problem)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ApiError, _elasticsearch_api)
    app.add_exception_handler(TransportError, _elasticsearch_down)
    app.add_exception_handler(Exception, _unexpected)

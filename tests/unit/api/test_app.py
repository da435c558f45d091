"""The API app without Elasticsearch: authentication answers, the one error shape, Elasticsearch
outages as 503 (never 500), the body size limit, the published OpenAPI schema."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders
from elasticsearch import ApiError, ConnectionError
from fastapi.testclient import TestClient

from newsmon.api import create_app
from newsmon.api.limits import BodySizeLimit
from newsmon.core.settings import Settings

ADMIN = "unit-admin-key-0123456789abcdef"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


class BrokenEs:
    """Every call fails the way ``error`` says."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def options(self, **_: Any) -> BrokenEs:
        return self

    def __getattr__(self, name: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise self.error

        return fail


def _api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=None)  # type: ignore[arg-type]
    return ApiError(f"status {status}", meta=meta, body={})


def _client(es: Any, environ: dict[str, str] | None = None, **api: Any) -> TestClient:
    settings = Settings()
    if api:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update=api)})
    env = {settings.api.admin_key_env: ADMIN} if environ is None else environ
    return TestClient(create_app(settings, es, environ=env), raise_server_exceptions=False)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and body["error"]["code"] == code, body
    detail: dict[str, Any] = body["error"]
    return detail


def test_missing_and_malformed_keys_are_401_without_asking_elasticsearch() -> None:
    client = _client(BrokenEs(AssertionError("no call expected")))
    _error(client.get("/api/v1/subscriptions"), 401, "unauthorized")
    _error(client.get("/api/v1/subscriptions", headers={"Authorization": "Basic eDp5"}), 401, "unauthorized")
    _error(client.get("/api/v1/subscriptions", headers={"X-API-Key": "not-a-key"}), 401, "unauthorized")
    # the key is never read from the URL
    _error(client.get(f"/api/v1/me?api_key={ADMIN}"), 401, "unauthorized")
    me = client.get("/api/v1/me", headers=ADMIN_HEADERS).json()
    assert me == {"owner": "admin", "admin": True, "key_id": None}
    assert client.get("/api/v1/me", headers={"X-API-Key": ADMIN}).json()["admin"] is True


def test_admin_endpoints_without_an_admin_key_configured() -> None:
    client = _client(BrokenEs(AssertionError("no call expected")), environ={})
    _error(client.get("/api/v1/keys", headers=ADMIN_HEADERS), 401, "unauthorized")
    assert "No admin key is configured" in client.get("/openapi.json").json()["info"]["description"]


def test_elasticsearch_unreachable_is_503() -> None:
    client = _client(BrokenEs(ConnectionError("connection refused")))
    detail = _error(client.get("/api/v1/subscriptions", headers=ADMIN_HEADERS), 503, "unavailable")
    assert "Elasticsearch is unreachable" in detail["message"]
    user = {"Authorization": "Bearer nmk_0123456789abcdef_" + "A" * 43}
    _error(client.get("/api/v1/alerts", headers=user), 503, "unavailable")  # the key lookup itself
    _error(
        client.post("/api/v1/query/test", json={"query": "minsk"}, headers=ADMIN_HEADERS), 503, "unavailable"
    )
    assert client.get("/healthz").json() == {"status": "ok", "elasticsearch": "unavailable"}


@pytest.mark.parametrize(("status", "answer"), [(429, 503), (500, 503), (503, 503), (400, 502)])
def test_elasticsearch_refusals(status: int, answer: int) -> None:
    client = _client(BrokenEs(_api_error(status)))
    response = client.get("/api/v1/deliveries", headers=ADMIN_HEADERS)
    _error(response, answer, "unavailable" if answer == 503 else "bad_gateway")


def test_unexpected_errors_keep_the_error_shape(caplog: pytest.LogCaptureFixture) -> None:
    client = _client(BrokenEs(RuntimeError("bug")))
    with caplog.at_level(logging.ERROR, logger="newsmon.api"):
        detail = _error(client.get("/api/v1/alerts", headers=ADMIN_HEADERS), 500, "internal_error")
    assert "bug" not in detail["message"] and "RuntimeError" in caplog.text
    assert ADMIN not in caplog.text


def test_validation_errors_name_the_field_without_echoing_input() -> None:
    client = _client(BrokenEs(AssertionError("no call expected")))
    secret = "mailtos://me:hunter2@"
    body = {"name": "x", "query": "minsk", "channels": [{"url": secret, "secret_env": "lower"}]}
    detail = _error(
        client.post("/api/v1/subscriptions", json=body, headers=ADMIN_HEADERS), 422, "invalid_request"
    )
    assert detail["field"] == "body.channels[0].secret_env"
    assert "hunter2" not in str(detail)
    detail = _error(client.get("/api/v1/alerts?limit=0", headers=ADMIN_HEADERS), 422, "invalid_request")
    assert detail["field"] == "query.limit"
    detail = _error(
        client.get("/api/v1/subscriptions/Not%20An%20Id", headers=ADMIN_HEADERS), 422, "invalid_request"
    )
    assert detail["field"] == "path.sub_id"
    _error(client.get("/api/v1/nothing", headers=ADMIN_HEADERS), 404, "not_found")
    _error(client.patch("/api/v1/subscriptions", headers=ADMIN_HEADERS), 405, "method_not_allowed")


def test_body_over_the_limit_is_413() -> None:
    client = _client(BrokenEs(AssertionError("no call expected")), max_body_bytes=1024)
    big = {"query": "x" * 2000}
    _error(client.post("/api/v1/query/test", json=big, headers=ADMIN_HEADERS), 413, "payload_too_large")


def _run(
    middleware: BodySizeLimit, messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]
) -> Any:
    sent: list[dict[str, Any]] = []
    seen: list[bytes] = []
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware.app = app
    asyncio.run(middleware({"type": "http", "headers": headers}, receive, send))  # type: ignore[arg-type]
    return sent[0]["status"], seen


def test_body_limit_middleware_counts_chunks_and_declared_lengths() -> None:
    limit = BodySizeLimit(app=None, max_bytes=10)  # type: ignore[arg-type]
    chunks = [{"type": "http.request", "body": b"x" * 6, "more_body": True}] * 2
    assert _run(limit, chunks, []) == (413, [])  # no Content-Length: refused while reading
    declared = [(b"content-length", b"11")]
    assert _run(limit, [], declared) == (413, [])  # refused before reading
    parts = [
        {"type": "http.request", "body": b"12345", "more_body": True},
        {"type": "http.request", "body": b"67890", "more_body": False},
    ]
    assert _run(limit, parts, []) == (200, [b"1234567890"])  # within: replayed in one piece


def test_openapi_documents_every_error_response() -> None:
    schema = _client(BrokenEs(AssertionError("no call expected"))).get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    operations = [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items()]
    assert len(operations) == 15
    for path, method, op in operations:
        if path == "/healthz":
            assert "security" not in op
            continue
        assert {"401", "422", "503"} <= set(op["responses"]), (method, path)
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorResponse", (method, path, status)

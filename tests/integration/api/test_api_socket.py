"""The API over a real socket (uvicorn): oversized bodies refused with 413 with and without
Content-Length (chunked), before the body is read; keys and a round trip over HTTP."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.api.conftest import ApiEnv
from tests.integration.api.helpers import LiveServer

pytestmark = pytest.mark.integration


def _raw(server: LiveServer, request: bytes, *, then: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` (head and maybe part of a body), then ``then``; the parsed response."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        if then:
            with contextlib.suppress(OSError):  # the server may have answered and closed already
                sock.sendall(then)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


def _length(data: bytes) -> int:
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    for line in head.split("\r\n"):
        if line.startswith("content-length:"):
            return int(line.split(":", 1)[1])
    return 0


def _head(server: LiveServer, env: ApiEnv, extra: str) -> bytes:
    host = urlsplit(server.url).netloc
    auth = env.alice["Authorization"]
    return (
        f"POST /api/v1/query/test HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_declared_oversized_body_is_refused_before_reading(live_api: LiveServer, api_env: ApiEnv) -> None:
    limit = api_env.settings.api.max_body_bytes
    # headers only: the 10 MB body is never sent, the answer comes anyway
    status, headers, body = _raw(
        live_api, _head(live_api, api_env, f"Content-Length: {10 * 1024 * 1024}\r\n")
    )
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert str(limit) in json.loads(body)["error"]["message"]


def test_chunked_oversized_body_is_refused_while_reading(live_api: LiveServer, api_env: ApiEnv) -> None:
    limit = api_env.settings.api.max_body_bytes
    chunk = b"x" * 8192
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 2))
    status, _, body = _raw(
        live_api, _head(live_api, api_env, "Transfer-Encoding: chunked\r\n"), then=chunks + b"0\r\n\r\n"
    )
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_oversized_bodies_with_httpx(live_api: LiveServer, api_env: ApiEnv) -> None:
    limit = api_env.settings.api.max_body_bytes
    big = json.dumps({"query": "x" * (limit + 10)}).encode()

    def stream() -> Iterator[bytes]:  # no Content-Length: chunked
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    with httpx.Client(base_url=live_api.url, headers=api_env.alice, timeout=15) as http:
        sized = http.post("/api/v1/query/test", content=big, headers={"Content-Type": "application/json"})
        assert sized.status_code == 413 and sized.json()["error"]["code"] == "payload_too_large"
        chunked = http.post(
            "/api/v1/query/test", content=stream(), headers={"Content-Type": "application/json"}
        )
        assert chunked.request.headers.get("transfer-encoding") == "chunked"
        assert chunked.status_code == 413
        # a chunked body within the limit is read and answered normally
        small = json.dumps({"query": "Bialiatski"}).encode()
        ok = http.post(
            "/api/v1/query/test",
            content=iter([small[:5], small[5:]]),
            headers={"Content-Type": "application/json"},
        )
        assert ok.status_code == 200, ok.text
        assert [a["id"] for a in ok.json()["articles"]] == ["apitest-article-001", "apitest-article-002"]


def test_round_trip_over_http(live_api: LiveServer, api_env: ApiEnv) -> None:
    with httpx.Client(base_url=live_api.url, timeout=15) as http:
        assert http.get("/healthz").json()["status"] == "ok"
        assert http.get("/api/v1/subscriptions").status_code == 401
        assert http.get("/api/v1/keys", headers=api_env.bob).status_code == 403
        created = http.post("/api/v1/keys", json={"owner": "erin", "name": "socket"}, headers=api_env.admin)
        assert created.status_code == 201
        erin = {"X-API-Key": created.json()["key"]}
        sub = http.post(
            "/api/v1/subscriptions", json={"name": "socket", "query": "Minsk"}, headers=erin
        ).json()
        assert sub["owner"] == "erin"
        assert http.get(f"/api/v1/subscriptions/{sub['id']}", headers=api_env.alice).status_code == 404
        assert http.delete(f"/api/v1/subscriptions/{sub['id']}", headers=erin).status_code == 204
        assert (
            http.delete(f"/api/v1/keys/{created.json()['key_id']}", headers=api_env.admin).status_code == 204
        )
        assert http.get("/api/v1/me", headers=erin).status_code == 401
        assert http.get("/openapi.json").json()["info"]["title"] == "newsmon API"

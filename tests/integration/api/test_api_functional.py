"""The REST API against the real Elasticsearch (in-process over ASGI): CRUD with versions, invalid
queries, authentication and owner scoping, query tests on seeded articles, alerts and deliveries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from newsmon.api.models import encode_cursor
from tests.integration.api.conftest import ALICE_SUB, BOB_SUB, ApiEnv

pytestmark = pytest.mark.integration

API = "/api/v1"
SPEC: dict[str, Any] = {
    "name": "Bialiatski watch",
    "query": "Bialiatski AND tags:belarus",
    "filters": {"languages": ["en"]},
    "channels": [
        {"url": "mailtos://alice:hunter2@smtp.example.org?to=alice@example.org"},
        {"url": "tgram://123456:SECRET-TOKEN/987"},
    ],
    "mode": "instant",
}


def _error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    detail: dict[str, Any] = body["error"]
    return detail


def _create(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post(f"{API}/subscriptions", json={**SPEC, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_crud_round_trip_with_versions(client: TestClient, api_env: ApiEnv) -> None:
    alice = api_env.alice
    response = client.post(f"{API}/subscriptions", json=SPEC, headers=alice)
    assert response.status_code == 201, response.text
    sub = response.json()
    sid = sub["id"]
    assert response.headers["Location"] == f"{API}/subscriptions/{sid}"
    assert response.headers["ETag"] == '"1"'
    assert sub["owner"] == "alice" and sub["version"] == 1 and sub["query"] == SPEC["query"]
    # channel secrets are never echoed back
    assert sub["channels"] == [
        {"url": "mailtos://alice:***@smtp.example.org?***", "secret_env": None},
        {"url": "tgram://***", "secret_env": None},
    ]
    assert "hunter2" not in response.text and "SECRET-TOKEN" not in response.text
    # ... but stored in full
    assert api_env.es.get(index=api_env.settings.alerts.subscriptions_index, id=sid)["_source"]["channels"][
        0
    ]["url"].endswith("hunter2@smtp.example.org?to=alice@example.org")

    got = client.get(f"{API}/subscriptions/{sid}", headers=alice)
    assert got.status_code == 200 and got.json() == sub and got.headers["ETag"] == '"1"'
    listed = client.get(f"{API}/subscriptions", headers=alice).json()
    assert sid in [s["id"] for s in listed["items"]]

    # replace with If-Match of the current version
    changed = {**SPEC, "name": "Bialiatski (renamed)", "mode": "daily"}
    put = client.put(f"{API}/subscriptions/{sid}", json=changed, headers={**alice, "If-Match": '"1"'})
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2 and put.json()["name"] == "Bialiatski (renamed)"
    assert put.headers["ETag"] == '"2"'
    # a stale If-Match: 412; a stale body version: 409
    stale = client.put(f"{API}/subscriptions/{sid}", json=changed, headers={**alice, "If-Match": '"1"'})
    _error(stale, 412, "precondition_failed")
    assert stale.headers["ETag"] == '"2"'
    _error(client.put(f"{API}/subscriptions/{sid}", json={**changed, "version": 1}, headers=alice), 409)
    ok = client.put(f"{API}/subscriptions/{sid}", json={**changed, "version": 2}, headers=alice)
    assert ok.status_code == 200 and ok.json()["version"] == 3
    # without any precondition: last writer wins
    assert client.put(f"{API}/subscriptions/{sid}", json=changed, headers=alice).json()["version"] == 4

    # a masked URL sent back is refused (it would overwrite the secret with its mask)
    masked = {**changed, "channels": [{"url": "mailtos://alice:***@smtp.example.org?***"}]}
    detail = _error(client.put(f"{API}/subscriptions/{sid}", json=masked, headers=alice), 422)
    assert detail["field"] == "body.channels[0].url"

    _error(client.delete(f"{API}/subscriptions/{sid}?version=1", headers=alice), 409)
    _error(client.delete(f"{API}/subscriptions/{sid}", headers={**alice, "If-Match": '"3"'}), 412)
    gone = client.delete(f"{API}/subscriptions/{sid}", headers={**alice, "If-Match": '"4"'})
    assert gone.status_code == 204 and gone.content == b""
    _error(client.get(f"{API}/subscriptions/{sid}", headers=alice), 404, "not_found")
    _error(client.delete(f"{API}/subscriptions/{sid}", headers=alice), 404)


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("Bialiatski AND", 14, "unexpected end"),
        ("Bialiatski~2", 0, "fuzzy"),
        ("minsk AND fo*o", 10, "wildcards"),
        ("minsk && grodno", 6, "use AND"),
    ],
)
def test_invalid_query_is_refused_with_position(
    client: TestClient, api_env: ApiEnv, query: str, position: int, reason: str
) -> None:
    for path, body in [
        (f"{API}/subscriptions", {**SPEC, "query": query}),
        (f"{API}/query/test", {"query": query}),
    ]:
        detail = _error(client.post(path, json=body, headers=api_env.alice), 422)
        assert detail["field"] == "body.query", detail
        assert detail["position"] == position, detail
        assert reason in detail["message"], detail


def test_invalid_body_names_the_field(client: TestClient, api_env: ApiEnv) -> None:
    detail = _error(
        client.post(
            f"{API}/subscriptions", json={**SPEC, "filters": {"languages": ["EN!"]}}, headers=api_env.alice
        ),
        422,
        "invalid_request",
    )
    assert detail["field"] == "body.filters.languages[0]"
    detail = _error(
        client.post(f"{API}/subscriptions", json={**SPEC, "surprise": 1}, headers=api_env.alice), 422
    )
    assert detail["field"] == "body.surprise"
    broken = client.post(
        f"{API}/subscriptions",
        content=b'{"name": ',
        headers={**api_env.alice, "Content-Type": "application/json"},
    )
    assert "JSON" in _error(broken, 422)["message"]
    detail = _error(
        client.post(
            f"{API}/subscriptions",
            json={**SPEC, "channels": [{"url": "mailtos://alice:topsecret@"}]},
            headers=api_env.alice,
        ),
        422,
    )
    assert detail["field"] == "body.channels[0]" and "topsecret" not in str(detail)
    _error(client.get(f"{API}/subscriptions?limit=501", headers=api_env.alice), 422)
    _error(client.get(f"{API}/alerts?after=not-a-cursor", headers=api_env.alice), 422)
    _error(client.get(f"{API}/alerts?since=yesterday", headers=api_env.alice), 422)
    wrong_types = encode_cursor(["not-a-date", 1])
    for path, headers in [("alerts", api_env.alice), ("deliveries", api_env.alice), ("keys", api_env.admin)]:
        detail = _error(client.get(f"{API}/{path}?after={wrong_types}", headers=headers), 422)
        assert detail["field"] == "query.after"


def test_missing_or_invalid_key_is_401(client: TestClient, api_env: ApiEnv) -> None:
    for headers in [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic YWxpY2U6cHc="},
        {"X-API-Key": "nmk_0123456789abcdef_" + "A" * 43},
        {"X-API-Key": api_env.alice["Authorization"].split()[1][:-1] + "x"},
    ]:
        for method, path in [("GET", "/subscriptions"), ("GET", "/keys"), ("POST", "/query/test")]:
            response = client.request(method, f"{API}{path}", headers=headers, json={"query": "x"})
            detail = _error(response, 401, "unauthorized")
            assert "key" in detail["message"]
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/healthz").json() == {"status": "ok", "elasticsearch": "available"}


def test_user_key_on_admin_endpoints_is_403(client: TestClient, api_env: ApiEnv) -> None:
    alice = api_env.alice
    _error(client.get(f"{API}/keys", headers=alice), 403, "forbidden")
    _error(client.post(f"{API}/keys", json={"owner": "alice", "name": "more"}, headers=alice), 403)
    _error(client.delete(f"{API}/keys/0123456789abcdef", headers=alice), 403)
    _error(client.get(f"{API}/subscriptions?owner=bob", headers=alice), 403)
    _error(client.post(f"{API}/subscriptions?owner=bob", json=SPEC, headers=alice), 403)
    _error(client.get(f"{API}/alerts?owner=bob", headers=alice), 403)


def test_admin_manages_keys(client: TestClient, api_env: ApiEnv) -> None:
    admin = api_env.admin
    created = client.post(f"{API}/keys", json={"owner": "carol", "name": "carol's phone"}, headers=admin)
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key"].startswith(f"nmk_{key['key_id']}_")
    assert created.headers["Location"] == f"{API}/keys/{key['key_id']}"
    carol = {"Authorization": f"Bearer {key['key']}"}
    assert client.get(f"{API}/me", headers=carol).json() == {
        "owner": "carol",
        "admin": False,
        "key_id": key["key_id"],
    }
    listed = client.get(f"{API}/keys?owner=carol", headers=admin).json()["items"]
    assert [k["key_id"] for k in listed] == [key["key_id"]]
    assert "key" not in listed[0] and key["key"] not in str(listed)
    one = client.get(f"{API}/keys/{key['key_id']}", headers=admin).json()  # real-time, unlike a listing
    assert one["last_used_at"] is not None and one["owner"] == "carol" and "key" not in one
    stored = api_env.es.get(index=api_env.settings.api.keys_index, id=key["key_id"])["_source"]
    assert key["key"] not in str(stored) and len(stored["hash"]) == 64
    assert client.delete(f"{API}/keys/{key['key_id']}", headers=admin).status_code == 204
    _error(client.get(f"{API}/me", headers=carol), 401)
    _error(client.delete(f"{API}/keys/{key['key_id']}", headers=admin), 404)
    _error(client.post(f"{API}/keys", json={"owner": "bad owner!", "name": "x"}, headers=admin), 422)
    # the admin sees and acts on everybody's subscriptions
    sub = _create(client, admin, name="for dave")
    assert sub["owner"] == "admin"
    dave = client.post(f"{API}/subscriptions?owner=dave", json=SPEC, headers=admin).json()
    assert dave["owner"] == "dave"
    everyone = client.get(f"{API}/subscriptions?limit=500", headers=admin).json()["items"]
    assert {"admin", "dave"} <= {s["owner"] for s in everyone}
    assert client.delete(f"{API}/subscriptions/{dave['id']}", headers=admin).status_code == 204
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=admin).status_code == 204


def test_owners_cannot_reach_each_other(client: TestClient, api_env: ApiEnv) -> None:
    alice, bob = api_env.alice, api_env.bob
    theirs = _create(client, bob, name="bob's")
    sid = theirs["id"]
    not_found = _error(client.get(f"{API}/subscriptions/{sid}", headers=alice), 404)
    nonexistent = _error(client.get(f"{API}/subscriptions/{sid}x", headers=alice), 404)
    assert not_found["message"].replace(sid, "ID") == nonexistent["message"].replace(f"{sid}x", "ID")
    _error(client.put(f"{API}/subscriptions/{sid}", json=SPEC, headers=alice), 404)
    _error(client.put(f"{API}/subscriptions/{sid}", json=SPEC, headers={**alice, "If-Match": '"1"'}), 404)
    _error(client.delete(f"{API}/subscriptions/{sid}", headers=alice), 404)
    _error(client.post(f"{API}/subscriptions/{sid}/test", headers=alice), 404)
    assert sid not in [s["id"] for s in client.get(f"{API}/subscriptions", headers=alice).json()["items"]]
    # still there, unchanged
    mine = client.get(f"{API}/subscriptions/{sid}", headers=bob).json()
    assert mine["version"] == 1 and mine["name"] == "bob's"

    alerts = client.get(f"{API}/alerts", headers=alice).json()["items"]
    assert alerts and {a["owner"] for a in alerts} == {"alice"}
    assert {a["subscription_id"] for a in alerts} == {ALICE_SUB}
    assert client.get(f"{API}/alerts?subscription_id={BOB_SUB}", headers=alice).json()["items"] == []
    deliveries = client.get(f"{API}/deliveries", headers=alice).json()["items"]
    assert deliveries and {d["owner"] for d in deliveries} == {"alice"}
    assert client.get(f"{API}/deliveries?subscription_id={BOB_SUB}", headers=alice).json()["items"] == []
    bobs = client.get(f"{API}/deliveries", headers=bob).json()["items"]
    assert {d["owner"] for d in bobs} == {"bob"}
    assert client.delete(f"{API}/subscriptions/{sid}", headers=bob).status_code == 204


def test_alerts_and_deliveries_filters_and_pages(client: TestClient, api_env: ApiEnv) -> None:
    alice = api_env.alice
    first = client.get(f"{API}/alerts?limit=1", headers=alice).json()
    assert len(first["items"]) == 1 and first["next"]
    second = client.get(f"{API}/alerts?limit=1&after={first['next']}", headers=alice).json()
    assert len(second["items"]) == 1 and second["items"][0]["alert_id"] != first["items"][0]["alert_id"]
    assert first["items"][0]["matched_at"] > second["items"][0]["matched_at"]  # newest first
    assert client.get(f"{API}/alerts?since=5m", headers=alice).json()["items"] == first["items"]
    failed = client.get(f"{API}/deliveries?status=failed", headers=alice).json()["items"]
    assert [d["status"] for d in failed] == ["failed"] and failed[0]["attempts"] == 2
    by_alert = client.get(f"{API}/deliveries?alert_id=alice-alert-0", headers=alice).json()["items"]
    assert [d["delivery_id"] for d in by_alert] == ["alice-delivery-0"]
    # channel credentials stored by the delivery service are masked
    assert by_alert[0]["channel"] == "tgram://***"
    everybody = client.get(f"{API}/deliveries", headers=api_env.admin).json()["items"]
    assert {d["owner"] for d in everybody} >= {"alice", "bob"}
    assert "SECRET-TOKEN" not in str(everybody)


def test_query_test_returns_seeded_articles(client: TestClient, api_env: ApiEnv) -> None:
    alice = api_env.alice

    def ids(body: dict[str, Any]) -> list[str]:
        response = client.post(f"{API}/query/test", json=body, headers=alice)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["articles"]]

    # newest first; the 20-day-old article is outside the default week
    assert ids({"query": "Bialiatski"}) == ["apitest-article-001", "apitest-article-002"]
    assert ids({"query": "Bialiatski", "since": "30d"}) == [
        "apitest-article-001",
        "apitest-article-002",
        "apitest-article-005",
    ]
    assert ids({"query": "Minsk", "filters": {"min_relevance": 0.65}}) == [
        "apitest-article-001",
        "apitest-article-003",
    ]
    assert ids(
        {"query": "political_prisoners OR Minsk", "filters": {"tags_any": ["political_prisoners"]}}
    ) == [
        "apitest-article-001",
        "apitest-article-003",
    ]
    assert ids({"query": "политзаключенный", "filters": {"languages": ["ru"]}}) == ["apitest-article-003"]
    assert ids({"query": "detained", "filters": {"sources": ["grodno-feed"]}}) == ["apitest-article-002"]
    assert ids({"query": "Bialiatski", "limit": 1}) == ["apitest-article-001"]
    result = client.post(f"{API}/query/test", json={"query": "Bialiatski", "limit": 1}, headers=alice).json()
    assert result["total"] == 2
    article = result["articles"][0]
    assert article["title"] == "Court jails Bialiatski in Minsk"
    assert article["url"] == "https://news.example.org/1" and article["source"] == "Example News"
    assert "»Bialiatski«" in article["snippet"]

    # a stored subscription's own query and filters
    sub = _create(client, alice, query="Bialiatski", filters={"tags_all": ["press_freedom"]}, channels=[])
    tested = client.post(f"{API}/subscriptions/{sub['id']}/test", headers=alice)
    assert [a["id"] for a in tested.json()["articles"]] == ["apitest-article-002"]
    tested = client.post(
        f"{API}/subscriptions/{sub['id']}/test", json={"since": "1h", "limit": 5}, headers=alice
    )
    assert tested.json()["articles"] == []
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=alice).status_code == 204


def test_openapi_is_published_with_error_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "ErrorResponse" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path == "/healthz":
                continue
            assert {"401", "422", "503"} <= set(operation["responses"]), (method, path)
            assert operation.get("security"), (method, path)

"""Channels: the webhook's signature, headers and failure classes (against httpx's mock transport),
secret scrubbing, and Apprise's failure reason and URL handling (no network beyond loopback)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket

import httpx
import pytest

from alerts.delivery.channels import (
    SIGNATURE_HEADER,
    AppriseChannel,
    ChannelFactory,
    Outgoing,
    WebhookChannel,
    scrub,
    sign,
    url_secrets,
)
from alerts.delivery.render import Rendered
from alerts.model import Channel

OUT = Outgoing(
    Rendered("Title", "text", "<p>html</p>"), {"alert_id": "a1", "title": "Über <b>"}, "delivery-1"
)


def test_signature_is_hex_hmac_sha256_of_the_body_as_before() -> None:
    body = b'{"alert_id":"a1"}'
    assert sign(b"s3cret", body) == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


def _webhook(
    status: int | Exception, secret: bytes = b"s3cret"
) -> tuple[WebhookChannel, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, text="nope")

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return WebhookChannel(Channel(url="https://hooks.example/x?token=t0ps3cret"), client, secret), seen


def test_webhook_posts_signed_json_with_the_idempotency_key() -> None:
    channel, seen = _webhook(204)
    assert channel.send(OUT).ok
    request = seen[0]
    assert request.headers["Idempotency-Key"] == "delivery-1"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == OUT.payload
    assert request.headers[SIGNATURE_HEADER] == sign(b"s3cret", request.content)


def test_webhook_without_secret_is_unsigned() -> None:
    channel, seen = _webhook(200, secret=b"")
    assert channel.send(OUT).ok and SIGNATURE_HEADER not in seen[0].headers


@pytest.mark.parametrize(
    ("status", "ok", "permanent"),
    [
        (200, True, False),
        (299, True, False),
        (400, False, True),
        (404, False, True),
        (410, False, True),
        (408, False, False),
        (429, False, False),
        (500, False, False),
        (503, False, False),
        (302, False, False),
    ],
)
def test_webhook_status_classes(status: int, ok: bool, permanent: bool) -> None:
    result = _webhook(status)[0].send(OUT)
    assert (result.ok, result.permanent) == (ok, permanent)
    if not ok:
        assert result.error.startswith(f"HTTP {status}")


def test_webhook_network_errors_are_transient_and_scrubbed() -> None:
    channel, _ = _webhook(httpx.ConnectError("cannot reach https://hooks.example/x?token=t0ps3cret"))
    result = channel.send(OUT)
    assert not result.ok and not result.permanent
    assert "ConnectError" in result.error and "t0ps3cret" not in result.error


def test_factory_reads_the_secret_named_by_the_channel_or_the_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory = ChannelFactory(
        5.0, "NEWSMON_WEBHOOK_SECRET", environ={"NEWSMON_WEBHOOK_SECRET": "d", "MINE": "m"}
    )
    assert factory.secret_for(Channel(url="https://h.example/")) == b"d"
    assert factory.secret_for(Channel(url="https://h.example/", secret_env="MINE")) == b"m"
    with caplog.at_level(logging.WARNING):
        assert factory.secret_for(Channel(url="https://h.example/", secret_env="MISSING")) == b""
        factory.secret_for(Channel(url="https://h.example/", secret_env="MISSING"))
    assert sum("MISSING is not set" in r.getMessage() for r in caplog.records) == 1
    assert isinstance(factory.sender(Channel(url="https://h.example/")), WebhookChannel)
    assert isinstance(factory.sender(Channel(url="mailto://u:p@example.org")), AppriseChannel)
    factory.close()


def test_url_secrets_cover_passwords_query_values_and_tokens_the_public_form_hides() -> None:
    assert {"pa55word", "abc123"} <= url_secrets("mailtos://me:pa55word@smtp.example.org?key=abc123")
    token = "123456789:AAH-token-value"
    found = url_secrets(f"tgram://{token}/chat42", public="tgram://1...e/chat42")
    assert "AAH-token-value" in found and "chat42" not in found
    assert (
        scrub(f"failed for tgram://{token}/chat42\nretry", found) == "failed for tgram://***:***/chat42 retry"
    )


def test_apprise_refuses_urls_it_cannot_use_for_good_and_says_why() -> None:
    result = AppriseChannel(Channel(url="nosuchservice://x"), 2.0).send(OUT)
    assert not result.ok and result.permanent and "cannot use" in result.error
    # no sender address can be made from "bob@127.0.0.1": Apprise says so
    result = AppriseChannel(Channel(url="mailtos://bob:hunter22@127.0.0.1?to=a@example.org"), 2.0).send(OUT)
    assert result.permanent and "Invalid ~From~ email" in result.error and "hunter22" not in result.error


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_apprise_failures_carry_the_reason_it_logged_without_secrets() -> None:
    port = _closed_port()
    url = f"mailtos://bob:hunter22@127.0.0.1:{port}?to=a@example.org&from=n@example.org"
    channel = AppriseChannel(Channel(url=url), 3.0)
    assert channel.is_email
    result = channel.send(OUT)
    assert not result.ok and not result.permanent
    assert "127.0.0.1" in result.error and "refused" in result.error.lower()
    assert "hunter22" not in result.error
    assert not AppriseChannel(Channel(url="ntfy://localhost/topic"), 1.0).is_email

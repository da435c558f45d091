"""Sending one rendered message to one channel: newsmon's signed webhook, or any Apprise URL.

Each send returns a :class:`SendResult` (never raises for a receiver's failure): delivered, a
permanent failure (no retry can help: dead letter now) or a transient one (retry with backoff).
Error texts are scrubbed of the channel's secrets before anyone stores or logs them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import httpx

from alerts.delivery.render import Rendered
from alerts.model import Channel

__all__ = [
    "SIGNATURE_HEADER",
    "AppriseChannel",
    "ChannelFactory",
    "Outgoing",
    "SendResult",
    "Sender",
    "WebhookChannel",
    "scrub",
    "sign",
    "url_secrets",
]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Newsmon-Signature"  # value: "sha256=" + hex HMAC-SHA256 of the raw body
USER_AGENT = "newsmon-notify/0.1"
_MAX_ERROR = 500


@dataclass(frozen=True)
class SendResult:
    """The outcome of one attempt, returned by every channel and recorded by the worker: ``ok``; else
    ``permanent`` (give up now) and ``error`` (scrubbed)."""

    ok: bool
    permanent: bool = False
    error: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One message for one channel, built by the worker for each attempt: the rendered text/HTML, the
    webhook's JSON body, and the ``Idempotency-Key`` (the delivery id, the same on every attempt)."""

    rendered: Rendered
    payload: Mapping[str, Any]
    idempotency_key: str


class Sender(Protocol):
    """Something that delivers an :class:`Outgoing` to one channel (what :class:`ChannelFactory` hands
    the worker for each attempt)."""

    def send(self, outgoing: Outgoing) -> SendResult: ...


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of body>`` (as newsmon's webhook always had)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


_SPLIT = re.compile(r"[/:@?&=#,;+\s]+")


def url_secrets(url: str, public: str = "") -> set[str]:
    """Strings of ``url`` that must not appear in logs: its password and query values, and every
    part of at least 6 characters that its ``public`` (privacy-masked) form does not show."""
    found: set[str] = set()
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        parts, password = None, None
    if password and len(password) >= 3:
        found |= {password, unquote(password)}
    if parts is not None and parts.query:
        for pair in parts.query.split("&"):
            value = pair.partition("=")[2]
            if len(value) >= 3:
                found |= {value, unquote(value)}
    if public:
        shown = unquote(public)
        for token in _SPLIT.split(url):
            for candidate in {token, unquote(token)}:
                if len(candidate) >= 6 and candidate not in shown:
                    found.add(candidate)
    return found


def scrub(text: str, secrets: Iterable[str], limit: int = _MAX_ERROR) -> str:
    """``text`` with every secret replaced by ``***``, on one line, at most ``limit`` characters."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class WebhookChannel:
    """newsmon's own webhook (``http(s)://`` channels): POST the JSON body with ``Idempotency-Key``
    and, when a secret is configured, ``X-Newsmon-Signature: sha256=<HMAC-SHA256 of the body>``.
    2xx: delivered; 4xx other than 408/429: permanent; anything else (5xx, 3xx, timeouts,
    connection errors): transient."""

    def __init__(self, channel: Channel, client: httpx.Client, secret: bytes = b"") -> None:
        self.channel = channel
        self._client = client
        self._secret = secret
        self._secrets = url_secrets(channel.url) | {channel.url}

    def body(self, outgoing: Outgoing) -> bytes:
        return json.dumps(
            outgoing.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode()

    def send(self, outgoing: Outgoing) -> SendResult:
        body = self.body(outgoing)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": outgoing.idempotency_key,
            "User-Agent": USER_AGENT,
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        try:
            response = self._client.post(self.channel.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(False, False, scrub(f"{type(exc).__name__}: {exc}", self._secrets))
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(True)
        reason = scrub(f"HTTP {status} {response.reason_phrase}: {response.text[:200]}", self._secrets)
        permanent = 400 <= status < 500 and status not in (408, 429)
        return SendResult(False, permanent, reason)


_apprise_lock = threading.Lock()
_apprise_ready = False


def _prepare_apprise_logging() -> None:
    """Let Apprise's per-call log capture see its DEBUG lines (the socket errors that explain a
    failure) without printing them: the ``apprise`` logger stops propagating to ours."""
    global _apprise_ready
    with _apprise_lock:
        if _apprise_ready:
            return
        apprise_logger = logging.getLogger("apprise")
        apprise_logger.setLevel(logging.DEBUG)
        apprise_logger.propagate = False
        apprise_logger.addHandler(logging.NullHandler())
        _apprise_ready = True


class AppriseChannel:
    """Any non-HTTP channel, through Apprise (``mailto://``, ``mailtos://``, ``tgram://``,
    ``slack://``, ``matrix://``, ``signal://``, ``discord://``, ``ntfy://``...).

    E-mail gets HTML: Apprise 2.2.0 sends an HTML body as ``multipart/alternative`` with a
    ``text/plain`` part it derives from the HTML and the HTML part; it cannot take our own text part.
    Every other service gets the plain text, which Apprise converts to the service's format
    (escaping it for HTML or Markdown services). Apprise reports failure without raising; the reason
    comes from the log lines it captured for this call (:attr:`apprise.AppriseResult.logs`). All
    failures count as transient except a URL Apprise cannot use."""

    def __init__(self, channel: Channel, timeout_s: float) -> None:
        import apprise
        from apprise.plugins.email import NotifyEmail

        _prepare_apprise_logging()
        self.channel = channel
        self.timeout_s = timeout_s
        self._asset = apprise.AppriseAsset(storage_mode="memory")
        self._plugin = apprise.Apprise.instantiate(channel.url, asset=self._asset)
        self._unusable = ""
        if self._plugin is None:  # ask again, listening: Apprise logs why (rare, so a shared capture)
            capture: Any = apprise.LogCapture
            with capture(level=logging.WARNING, fmt="%(message)s") as captured:
                apprise.Apprise.instantiate(channel.url, asset=self._asset)
            self._unusable = " | ".join(dict.fromkeys(captured.getvalue().splitlines()))
        plugin: Any = self._plugin
        public = str(plugin.url(privacy=True)) if plugin is not None else ""
        self._secrets = url_secrets(channel.url, public) | {channel.url}
        self.is_email = isinstance(self._plugin, NotifyEmail)

    def send(self, outgoing: Outgoing) -> SendResult:
        import apprise

        if self._plugin is None:
            why = f": {self._unusable}" if self._unusable else ""
            error = f"Apprise cannot use the URL {self.channel.redacted}{why}"
            return SendResult(False, True, scrub(error, self._secrets))
        notifier = apprise.Apprise(asset=self._asset)
        notifier.add(self._plugin)
        rendered = outgoing.rendered
        if self.is_email:
            body, body_format = rendered.html, apprise.NotifyFormat.HTML
        else:
            body, body_format = rendered.text, apprise.NotifyFormat.TEXT
        try:
            result = notifier.notify(
                body=body,
                title=rendered.title,
                body_format=body_format,
                timeout=self.timeout_s,
                log_level=logging.DEBUG,
            )
        except Exception as exc:  # Apprise raises only for unusable input
            return SendResult(False, True, scrub(f"Apprise: {type(exc).__name__}: {exc}", self._secrets))
        if result:
            return SendResult(True)
        lines = [
            entry.message
            for entry in result.logs()
            if entry.level in ("WARNING", "ERROR", "CRITICAL", "DEPRECATION WARNING")
            or "xception" in entry.message
            or "rror" in entry.message
        ]
        status = getattr(result.status, "name", str(result.status))
        reason = " | ".join(dict.fromkeys(lines)) or "no reason given"
        return SendResult(False, False, scrub(f"Apprise {status}: {reason}", self._secrets))


class ChannelFactory:
    """Builds the sender of a channel (one shared HTTP client for all webhooks); used by the
    delivery worker. Webhook secrets are read from the environment at build time."""

    def __init__(
        self,
        timeout_s: float,
        default_secret_env: str,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.default_secret_env = default_secret_env
        self._environ = os.environ if environ is None else environ
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, transport=transport)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def secret_for(self, channel: Channel) -> bytes:
        name = channel.secret_env or self.default_secret_env
        value = self._environ.get(name, "")
        if not value:
            with self._lock:
                if name not in self._warned:
                    self._warned.add(name)
                    logger.warning(
                        "webhook secret variable %s is not set: webhooks to %s go out unsigned",
                        name,
                        channel.redacted,
                    )
        return value.encode()

    def sender(self, channel: Channel) -> Sender:
        if channel.is_webhook:
            return WebhookChannel(channel, self._client, self.secret_for(channel))
        return AppriseChannel(channel, self.timeout_s)

    def close(self) -> None:
        self._client.close()

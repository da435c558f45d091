"""``type: webhook`` — POST each alert as JSON, signed with HMAC-SHA256 when a secret is set.

The ``Idempotency-Key`` header carries the alert id, so receivers can drop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time

import httpx
from pydantic import Field, HttpUrl

from pipeline.alerts.notifiers.base import Alert, Notifier, NotifierOptions, NotifyError
from pipeline.alerts.notifiers.registry import register


class WebhookOptions(NotifierOptions):
    """``url``; ``secret_env``: name of the env var holding the signing secret (never the secret)."""

    url: HttpUrl
    secret_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)


@register
class WebhookNotifier(Notifier):
    """Posts alerts with retries and exponential backoff on network errors and 5xx/429."""

    type_name = "webhook"
    options_model = WebhookOptions

    def __init__(self, options: NotifierOptions) -> None:
        super().__init__(options)
        opts: WebhookOptions = options  # type: ignore[assignment]
        self._opts = opts
        self._secret = os.environ.get(opts.secret_env, "").encode() if opts.secret_env else b""
        self._client = httpx.Client(timeout=opts.timeout_s, headers={"User-Agent": "newsmon-alerts/0.1"})

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.as_json(), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Idempotency-Key": alert.alert_id}
        if self._secret:
            headers["X-Newsmon-Signature"] = (
                "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            )
        error = ""
        for attempt in range(self._opts.retries + 1):
            try:
                response = self._client.post(str(self._opts.url), content=body, headers=headers)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    return
                error = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break
            if attempt < self._opts.retries:
                time.sleep(min(10.0, 0.5 * 2**attempt))
        raise NotifyError(f"webhook {self._opts.url} failed: {error}")

    def close(self) -> None:
        self._client.close()

"""The REST API of alert subscriptions (``newsmon api``): FastAPI app, API keys, error shape.

Top layer: imports ``alerts`` and ``newsmon.core``; nothing below imports it."""

from __future__ import annotations

from newsmon.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]

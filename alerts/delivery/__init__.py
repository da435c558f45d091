"""Alert delivery (``newsmon notify``): from the alerts topic to webhooks, e-mail and chat services,
each delivery recorded in Elasticsearch, at least once, with idempotency keys (ADR 0010).

Modules, one job each: ``ids`` (deterministic delivery and digest ids), ``periods`` (digest periods),
``records`` (the deliveries index), ``store`` (its reads and conditional writes), ``render`` (message
text, HTML, webhook JSON), ``channels`` (signed webhook, Apprise), ``ratelimit``, ``subscriptions``
(cache), ``intake`` (alert messages to records), ``worker`` (claim, send, record, retry, dead
letter), ``dead_letters``, ``metrics``, ``backoff``, and ``service`` (the process).
"""

from __future__ import annotations

__all__: list[str] = []

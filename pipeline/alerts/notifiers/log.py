"""``type: log`` — write alerts to the newsmon log (always available, used by the demo)."""

from __future__ import annotations

import logging

from pipeline.alerts.notifiers.base import Alert, Notifier
from pipeline.alerts.notifiers.registry import register

logger = logging.getLogger("newsmon.alerts")


@register
class LogNotifier(Notifier):
    """Logs one line per alert (``newsmon.alerts`` logger, INFO: the CLI shows it as a calm line)."""

    type_name = "log"

    def send(self, alert: Alert) -> None:
        logger.info(
            "alert [%s] %s — %s",
            alert.subscription_id,
            alert.article.get("title") or "(no title)",
            alert.article.get("url"),
        )

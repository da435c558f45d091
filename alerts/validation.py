"""Checks a subscription must pass before it is saved: a query the stream matcher can evaluate
(refused with position and reason otherwise) and channel URLs a notifier can send to."""

from __future__ import annotations

import logging

from alerts.model import Channel, SubscriptionSpec
from alerts.query import QueryError, parse_subscription_query

__all__ = ["InvalidSubscription", "check_channel", "check_spec"]


class InvalidSubscription(ValueError):
    """A subscription cannot be saved; the message names the field and says what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def check_channel(channel: Channel) -> None:
    """Raise ``ValueError`` when ``channel.url`` is neither a webhook nor a URL Apprise understands."""
    if channel.is_webhook:
        return
    import apprise

    log = logging.getLogger("apprise")
    previous = log.level
    log.setLevel(logging.CRITICAL)  # its own "unsupported URL" line; restored: the notifier reads its logs
    try:
        known = apprise.Apprise.instantiate(channel.url) is not None
    finally:
        log.setLevel(previous)
    if not known:
        raise ValueError(
            f"{channel.redacted} is not a channel URL newsmon can send to: use https://... for a signed "
            "webhook, or an Apprise URL such as mailtos://user:pass@smtp.example.org?to=me@example.org, "
            "tgram://TOKEN/CHAT_ID, slack://..., ntfy://topic (https://github.com/caronc/apprise/wiki)"
        )


def check_spec(spec: SubscriptionSpec) -> None:
    """Raise :class:`InvalidSubscription` when ``spec`` cannot be saved."""
    try:
        parse_subscription_query(spec.query)
    except QueryError as exc:
        raise InvalidSubscription("query", str(exc)) from exc
    for n, channel in enumerate(spec.channels):
        try:
            check_channel(channel)
        except ValueError as exc:
            raise InvalidSubscription(f"channels[{n}]", str(exc)) from exc

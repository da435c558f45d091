"""Notifier base class and the alert payload every notifier receives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Alert", "Notifier", "NotifierOptions"]


@dataclass(frozen=True)
class Alert:
    """What subscribers are told: which subscription, which article, and why it matched."""

    alert_id: str
    subscription_id: str
    subscription_name: str
    article: dict[str, Any]  # id, title, url, published_at, tags, entities, language
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "subscription": {"id": self.subscription_id, "name": self.subscription_name},
            "article": self.article,
            "reasons": list(self.reasons),
        }


class NotifierOptions(BaseModel):
    """Typed options of a notifier (subclass per notifier; unknown keys are errors)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Notifier(ABC):
    """One delivery channel. ``__init__`` gets validated options once per worker (in ``setup``);
    ``send`` is called for each new alert and raises ``NotifyError`` when delivery failed;
    ``close`` is called at worker teardown."""

    type_name: ClassVar[str]
    options_model: ClassVar[type[NotifierOptions]] = NotifierOptions

    def __init__(self, options: NotifierOptions) -> None:
        self.options = options

    @abstractmethod
    def send(self, alert: Alert) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, files)."""


class NotifyError(RuntimeError):
    """Delivery failed; the message says what to check."""

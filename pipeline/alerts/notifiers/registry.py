"""Registry of notifier types: ``@register`` on a ``Notifier`` subclass makes it usable in YAML."""

from __future__ import annotations

from typing import TypeVar

from pipeline.alerts.notifiers.base import Notifier, NotifierOptions

__all__ = ["NOTIFIERS", "register"]

NOTIFIERS: dict[str, type[Notifier]] = {}
N = TypeVar("N", bound=type[Notifier])


def register(cls: N) -> N:
    if cls.type_name in NOTIFIERS:
        raise ValueError(f"notifier type {cls.type_name!r} registered twice")
    NOTIFIERS[cls.type_name] = cls
    return cls


def options_for(cls: type[Notifier], raw: dict[str, object]) -> NotifierOptions:
    return cls.options_model.model_validate(raw)

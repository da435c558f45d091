"""Built-in notifiers (one per module) and helpers to build them from subscription specs."""

from __future__ import annotations

from pydantic import ValidationError

from pipeline.alerts.notifiers import jsonl_file, log, webhook  # noqa: F401 - registration side effect
from pipeline.alerts.notifiers.base import Alert, Notifier, NotifyError
from pipeline.alerts.notifiers.registry import NOTIFIERS, options_for
from pipeline.alerts.subscriptions import NotifierSpec

__all__ = ["NOTIFIERS", "Alert", "Notifier", "NotifyError", "build_notifier", "validate_spec"]


def validate_spec(spec: NotifierSpec) -> None:
    """Raise ``ValueError`` naming the problem if ``spec`` cannot build a notifier."""
    cls = NOTIFIERS.get(spec.type)
    if cls is None:
        raise ValueError(f"unknown notifier type {spec.type!r}; known: {', '.join(sorted(NOTIFIERS))}")
    try:
        options_for(cls, spec.options())
    except ValidationError as exc:
        raise ValueError(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc


def build_notifier(spec: NotifierSpec) -> Notifier:
    validate_spec(spec)
    cls = NOTIFIERS[spec.type]
    return cls(options_for(cls, spec.options()))

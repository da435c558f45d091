"""``type: file`` — append alerts as JSON Lines to a file (for scripts, mail bridges, audits)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.alerts.notifiers.base import Alert, Notifier, NotifierOptions, NotifyError
from pipeline.alerts.notifiers.registry import register


class FileOptions(NotifierOptions):
    """``path``: the JSON Lines file; parent folders are created."""

    path: Path


@register
class JsonLinesFileNotifier(Notifier):
    """Appends one JSON object per alert and flushes it immediately."""

    type_name = "file"
    options_model = FileOptions

    def send(self, alert: Alert) -> None:
        path = self.options.path  # type: ignore[attr-defined]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(alert.as_json(), ensure_ascii=False) + "\n")
        except OSError as exc:
            raise NotifyError(f"cannot append alert to {path}: {exc}") from exc

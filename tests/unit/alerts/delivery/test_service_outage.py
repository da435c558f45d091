"""The service waits out an unreachable Elasticsearch with one calm line, and stops promptly."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from alerts.delivery.service import NotifyService, ServiceOptions
from newsmon.core.settings import Settings


def test_an_unreachable_elasticsearch_is_waited_out_calmly_and_stop_is_prompt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings().pointed_at(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    service = NotifyService(settings, ServiceOptions())
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run()
        except BaseException as exc:
            errors.append(exc)

    with caplog.at_level(logging.INFO, logger="alerts.delivery"):
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(3)
        assert thread.is_alive(), errors
        started = time.monotonic()
        service.stop()
        thread.join(10)
    assert not thread.is_alive() and not errors
    assert time.monotonic() - started < 5
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("alerts.delivery")]
    assert sum("elasticsearch unavailable" in line for line in lines) == 1, lines
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.INFO)

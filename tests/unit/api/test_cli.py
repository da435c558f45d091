"""``newsmon api``: loopback unless --public, a too short admin key refused, calm uvicorn logging."""

from __future__ import annotations

import logging.config

import pytest

from newsmon.cli.api_cmd import is_loopback, log_config
from newsmon.cli.main import main


def test_cli_guards(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert is_loopback("127.0.0.2") and not is_loopback("0.0.0.0") and not is_loopback("example.org")
    assert main(["api", "--host", "0.0.0.0"]) == 2
    assert "--public" in capsys.readouterr().err
    monkeypatch.setenv("NEWSMON_ADMIN_API_KEY", "short")
    assert main(["api"]) == 2
    assert "too short" in capsys.readouterr().err
    logging.config.dictConfig(log_config(access_log=True))  # a valid logging configuration

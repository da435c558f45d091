"""User mistakes get one clear line naming the file/field and exit code 2, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.cli.main import main


def test_bad_feed_list_fails_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "version: 1\nfeeds:\n  - id: 'bad id'\n    url: https://example.org/rss\n", encoding="utf-8"
    )
    assert main(["run", "--feeds", str(feeds)]) == 2
    err = capsys.readouterr().err
    assert str(feeds) in err and "bad id" in err and "Traceback" not in err


def test_bad_settings_file_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newsmon.yaml"
    cfg.write_text("elasticsearch:\n  bulk_size: -1\n", encoding="utf-8")
    assert main(["--config", str(cfg), "pipeline", "init"]) == 2
    err = capsys.readouterr().err
    assert "elasticsearch.bulk_size" in err and str(cfg) in err


def test_bad_subscriptions_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = tmp_path / "subs.yaml"
    subs.write_text(
        "version: 2\nsubscriptions:\n  - id: x\n    name: X\n    query: 'title:(a AND \"b'\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSMON_ALERTS__SUBSCRIPTIONS_PATH", str(subs))
    assert main(["alerts", "check"]) == 2
    err = capsys.readouterr().err
    assert str(subs) in err and "subscription 'x'" in err and "query" in err and "position" in err
    subs.write_text("version: 2\nsubscriptions:\n  - {id: y, name: Y, query: q, mode: weekly}\n")
    assert main(["alerts", "check"]) == 2
    err = capsys.readouterr().err
    assert "subscription 'y': mode" in err
    subs.write_text("version: 1\nsubscriptions: []\n")
    assert main(["alerts", "check"]) == 2
    assert "version 1" in capsys.readouterr().err

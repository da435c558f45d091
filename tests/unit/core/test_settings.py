from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.core.settings import SettingsError, load_settings


def test_defaults_and_project_file_load() -> None:
    settings = load_settings(environ={})
    assert settings.kafka.articles_topic == "newsmon.articles.v1"
    assert settings.elasticsearch.url.startswith("http://127.0.0.1")


def test_env_overrides_win_and_secrets_are_masked(tmp_path: Path) -> None:
    cfg = tmp_path / "s.yaml"
    cfg.write_text("elasticsearch:\n  url: http://es:9200\n  username: elastic\n")
    settings = load_settings(cfg, environ={"NEWSMON_ELASTICSEARCH__PASSWORD": "hunter2"})
    assert settings.elasticsearch.url == "http://es:9200"
    assert settings.elasticsearch.client_kwargs()["basic_auth"] == ("elastic", "hunter2")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.redacted())


def test_error_names_file_and_field(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("kafka:\n  partitions: 0\n")
    with pytest.raises(SettingsError) as err:
        load_settings(cfg, environ={})
    assert str(cfg) in str(err.value) and "kafka.partitions" in str(err.value)


@pytest.mark.parametrize("value", ["0s", "-1", "fast", "1 s", "1h"])
def test_refresh_interval_must_be_a_positive_duration(tmp_path: Path, value: str) -> None:
    cfg = tmp_path / "refresh.yaml"
    cfg.write_text(f"elasticsearch:\n  refresh_interval: '{value}'\n")
    with pytest.raises(SettingsError, match=r"elasticsearch\.refresh_interval"):
        load_settings(cfg, environ={})
    assert (
        load_settings(
            environ={"NEWSMON_ELASTICSEARCH__REFRESH_INTERVAL": "500ms"}
        ).elasticsearch.refresh_interval
        == "500ms"
    )


def test_alert_retention_is_off_or_longer_than_the_alerts_topic_keeps_records(tmp_path: Path) -> None:
    cfg = tmp_path / "retention.yaml"
    cfg.write_text("alerts:\n  retention_days: 3\n")
    with pytest.raises(SettingsError, match=r"alerts\.retention_days"):
        load_settings(cfg, environ={})
    assert load_settings(environ={}).alerts.retention_days == 90
    assert load_settings(environ={"NEWSMON_ALERTS__RETENTION_DAYS": "0"}).alerts.retention_days == 0


def test_unknown_field_rejected(tmp_path: Path) -> None:
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("elasticsearch:\n  urll: http://x\n")
    with pytest.raises(SettingsError, match=r"elasticsearch\.urll"):
        load_settings(cfg, environ={})


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.yaml", environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("kafka: [unclosed\n")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(bad, environ={})

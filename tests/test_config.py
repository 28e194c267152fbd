"""Deployment settings: environment first, then the TOML file, then defaults; one home for all state."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from minhu.config import Settings


def test_home_holds_the_database_and_attachments(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MINHU_DATABASE_URL", raising=False)
    monkeypatch.setenv("MINHU_HOME", str(tmp_path / "city"))
    settings = Settings()
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'city' / 'minhu.db').resolve()}"
    assert settings.attachments_dir == tmp_path / "city" / "attachments"


def test_toml_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch):
    config = tmp_path / "minhu.toml"
    config.write_text('timezone = "Asia/Urumqi"\ntoken_ttl_hours = 4\n', "utf-8")
    monkeypatch.setenv("MINHU_CONFIG", str(config))
    monkeypatch.setenv("MINHU_TOKEN_TTL_HOURS", "8")
    settings = Settings()
    assert settings.timezone == "Asia/Urumqi"
    assert settings.token_ttl_hours == 8


def test_an_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("MINHU_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings()


def test_the_session_key_is_generated_once_and_kept(tmp_path: Path):
    settings = Settings(home=tmp_path)
    first = settings.effective_secret_key()
    assert len(first) > 40
    assert Settings(home=tmp_path).effective_secret_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_a_stuck_timeout_shorter_than_a_send_is_refused(monkeypatch):
    # Otherwise a slow but live send would be taken for a crashed one and sent a second time.
    monkeypatch.setenv("MINHU_SMTP_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("MINHU_NOTIFY_STUCK_SECONDS", "60")
    with pytest.raises(ValidationError, match="notify_stuck_seconds"):
        Settings()


def test_the_retry_schedule_is_a_json_list_of_seconds(monkeypatch):
    monkeypatch.setenv("MINHU_NOTIFY_BACKOFF_SECONDS", "[10, 20]")
    assert Settings().notify_backoff_seconds == [10, 20]

import subprocess
import sys

import pytest

from zoombridge.app import create_app
from zoombridge.config import ConfigError, load_settings

PRODUCTION_SECRETS = {
    "ZOOMBRIDGE_DATABASE_URL": "postgresql+psycopg://db/zoombridge",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ZOOMBRIDGE_SECRET_KEY": "k" * 32,
    "ZOOM_ACCOUNT_ID": "a",
    "ZOOM_CLIENT_ID": "c",
    "ZOOM_CLIENT_SECRET": "s",
    "ZOOM_WEBHOOK_SECRET_TOKEN": "w" * 22,
    "ZOOM_HOST_USER": "host@example.org",
    "ZOOMBRIDGE_SMTP_URL": "smtp://mail:25",
}


def test_production_without_secrets_names_each_missing_setting_in_one_line():
    with pytest.raises(ConfigError) as raised:
        load_settings({"ZOOMBRIDGE_ENV": "production", "ZOOM_CLIENT_ID": "c"})
    message = str(raised.value)
    assert "\n" not in message
    for name in set(PRODUCTION_SECRETS) - {"ZOOM_CLIENT_ID"}:
        assert name in message
    assert "ZOOM_CLIENT_ID" not in message


def test_production_with_every_secret_loads():
    settings = load_settings({"ZOOMBRIDGE_ENV": "production", **PRODUCTION_SECRETS})
    assert settings.is_production
    assert not settings.uses_zoom_standin


def test_development_needs_nothing_and_uses_the_embedded_defaults(tmp_path):
    settings = load_settings({"ZOOMBRIDGE_INSTANCE_DIR": str(tmp_path)})
    assert settings.env == "development"
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/zoombridge.sqlite3"
    assert settings.redis_url is None
    assert settings.uses_zoom_standin
    app = create_app(settings)
    assert app.config["SECRET_KEY"]


def test_environment_overrides_the_toml_defaults(tmp_path):
    settings = load_settings({"ZOOMBRIDGE_PUBLIC_BASE_URL": "https://sessions.example.org",
                              "ZOOMBRIDGE_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS": "60"})
    assert settings.public_base_url == "https://sessions.example.org"
    assert settings.webhook_timestamp_tolerance_seconds == 60
    assert load_settings({}).public_base_url == "http://127.0.0.1:5000"  # from config/zoombridge.toml


def test_a_malformed_number_is_a_clear_error():
    with pytest.raises(ConfigError, match="whole number"):
        load_settings({"ZOOMBRIDGE_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS": "soon"})


def test_cli_refuses_production_without_secrets_in_one_line(tmp_path):
    env = {"ZOOMBRIDGE_ENV": "production", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "zoombridge.cli", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "production settings missing" in lines[0]
    assert "Traceback" not in result.stderr


def test_retention_periods_come_from_the_environment_and_must_be_at_least_a_day(tmp_path):
    settings = load_settings({"ZOOMBRIDGE_RAW_COPY_RETENTION_DAYS": "45", "ZOOMBRIDGE_INSTANCE_DIR": str(tmp_path)})
    assert (settings.raw_copy_retention_days, settings.email_body_retention_days) == (45, 30)
    with pytest.raises(ConfigError, match="ZOOMBRIDGE_EMAIL_BODY_RETENTION_DAYS must be at least 1 day"):
        load_settings({"ZOOMBRIDGE_EMAIL_BODY_RETENTION_DAYS": "0"})


def test_the_meeting_ended_grace_is_24_hours_unless_set(tmp_path):
    assert load_settings({"ZOOMBRIDGE_INSTANCE_DIR": str(tmp_path)}).meeting_ended_grace_hours == 24
    settings = load_settings({"ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS": "48", "ZOOMBRIDGE_INSTANCE_DIR": str(tmp_path)})
    assert settings.meeting_ended_grace_hours == 48
    for hours in ("1", "168"):  # the edges are allowed
        assert load_settings({"ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS": hours}).meeting_ended_grace_hours == int(hours)


@pytest.mark.parametrize("hours", ["0", "-3", "169", "1000"])
def test_a_meeting_ended_grace_outside_an_hour_to_a_week_is_refused_naming_the_setting(hours):
    with pytest.raises(ConfigError) as raised:
        load_settings({"ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS": hours})
    message = str(raised.value)
    assert message.startswith("ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS must be a whole number of hours from 1 to 168")
    assert "\n" not in message


def test_a_meeting_ended_grace_that_is_not_a_whole_number_is_refused():
    with pytest.raises(ConfigError, match="whole number"):
        load_settings({"ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS": "a day"})


@pytest.mark.parametrize("value", ["24", 24.5, True])
def test_a_meeting_ended_grace_in_the_toml_must_be_a_whole_number_of_hours(tmp_path, value):
    toml_value = f'"{value}"' if isinstance(value, str) else str(value).lower()
    (tmp_path / "zoombridge.toml").write_text(f"[settings]\nmeeting_ended_grace_hours = {toml_value}\n")
    with pytest.raises(ConfigError, match="ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS must be a whole number of hours"):
        load_settings({}, config_dir=tmp_path)

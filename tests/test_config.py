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

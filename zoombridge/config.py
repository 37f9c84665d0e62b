"""Settings: environment variables over `config/zoombridge.toml`.

Development needs nothing set: SQLite in `var/`, an embedded Redis, the Zoom stand-in and an
outbox folder instead of SMTP. Production refuses to start while a required secret is missing,
and says which ones in a single line, because a half-configured service that takes webhooks
and then cannot reach Zoom or send email loses data quietly.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"

# Settings read from the environment under a name of their own (the design card's names).
ENVIRONMENT_NAMES = {
    "database_url": "ZOOMBRIDGE_DATABASE_URL",
    "redis_url": "REDIS_URL",
    "zoom_account_id": "ZOOM_ACCOUNT_ID",
    "zoom_client_id": "ZOOM_CLIENT_ID",
    "zoom_client_secret": "ZOOM_CLIENT_SECRET",
    "zoom_webhook_secret_token": "ZOOM_WEBHOOK_SECRET_TOKEN",
    "zoom_host_user": "ZOOM_HOST_USER",
    "smtp_url": "ZOOMBRIDGE_SMTP_URL",
    "secret_key": "ZOOMBRIDGE_SECRET_KEY",
    "zoom_signin_client_id": "ZOOM_SIGNIN_CLIENT_ID",
    "zoom_signin_client_secret": "ZOOM_SIGNIN_CLIENT_SECRET",
}

# What production cannot run without.
REQUIRED_IN_PRODUCTION = (
    "database_url",
    "redis_url",
    "secret_key",
    "zoom_account_id",
    "zoom_client_id",
    "zoom_client_secret",
    "zoom_webhook_secret_token",
    "zoom_host_user",
    "smtp_url",
)

DEVELOPMENT_SECRET_KEY = "development-only-secret-key"
DEVELOPMENT_WEBHOOK_SECRET = "development-webhook-secret"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for a person."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_dir: str = str(PROJECT_ROOT / "var")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    zoom_account_id: str | None = None
    zoom_client_id: str | None = None
    zoom_client_secret: str | None = None
    zoom_webhook_secret_token: str | None = None
    zoom_host_user: str | None = None
    zoom_api_base: str = "https://api.zoom.us/v2"
    zoom_oauth_base: str = "https://zoom.us"
    # Staff sign-in is a separate Zoom app (user OAuth, authorization code): the Server-to-Server
    # app above cannot sign people in. Unset with the stand-in: it accepts its own client.
    zoom_signin_client_id: str | None = None
    zoom_signin_client_secret: str | None = None
    smtp_url: str | None = None
    mail_from: str = "zoombridge <sessions@example.org>"
    public_base_url: str = "http://127.0.0.1:5000"
    timezone: str = "Europe/London"
    webhook_timestamp_tolerance_seconds: int = 2 * 60 * 60
    # Retention (README, "Privacy"): raw copies of attendance (webhook bodies, who-joined details
    # copied from Zoom) this many days after a session's attendance is final; rendered email
    # bodies (the development outbox) this many days after sending.
    raw_copy_retention_days: int = 90
    email_body_retention_days: int = 30
    # Staff see who a payment would take over this much income from the organisation in one UK tax
    # year before they approve it (docs/payments.md; limits change in April: set it then).
    tax_year_income_threshold_pence: int = 1_000_00
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_zoom_standin(self) -> bool:
        """No Zoom credentials: talk to the local stand-in instead of Zoom."""
        return not (self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret)

    @property
    def webhook_secret(self) -> str:
        return self.zoom_webhook_secret_token or DEVELOPMENT_WEBHOOK_SECRET

    @property
    def effective_secret_key(self) -> str:
        return self.secret_key or DEVELOPMENT_SECRET_KEY

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.instance_dir) / 'zoombridge.sqlite3'}"

    @property
    def outbox_dir(self) -> Path:
        return Path(self.instance_dir) / "outbox"

    def missing_for_production(self) -> list[str]:
        return [ENVIRONMENT_NAMES[name] for name in REQUIRED_IN_PRODUCTION if not getattr(self, name)]

    def check(self) -> Settings:
        """Refuse to run in production without its secrets; return self otherwise."""
        if self.env not in ("development", "production", "testing"):
            raise ConfigError(f"ZOOMBRIDGE_ENV must be development, production or testing, not {self.env!r}")
        for name in ("raw_copy_retention_days", "email_body_retention_days"):
            if getattr(self, name) < 1:
                raise ConfigError(f"ZOOMBRIDGE_{name.upper()} must be at least 1 day")
        if self.is_production:
            missing = self.missing_for_production()
            if missing:
                raise ConfigError("production settings missing: " + ", ".join(missing))
        return self

    def with_changes(self, **changes) -> Settings:
        return replace(self, **changes)


def _read_toml(config_dir: Path) -> dict:
    path = config_dir / "zoombridge.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return data.get("settings", {})


def _coerce(name: str, raw: str):
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "int":
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    return raw


def load_settings(environ: dict[str, str] | None = None, config_dir: Path | None = None) -> Settings:
    """Build settings from the TOML defaults, then the environment (which wins)."""
    environ = dict(os.environ if environ is None else environ)
    config_dir = Path(environ.get("ZOOMBRIDGE_CONFIG_DIR", config_dir or DEFAULT_CONFIG_DIR))
    known = {f.name for f in fields(Settings)} - {"extra"}
    values: dict = {}
    for key, value in _read_toml(config_dir).items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} in {config_dir / 'zoombridge.toml'}")
        values[key] = value
    for name in known:
        env_name = ENVIRONMENT_NAMES.get(name, f"ZOOMBRIDGE_{name.upper()}")
        raw = environ.get(env_name)
        if raw not in (None, ""):
            values[name] = _coerce(name, raw)
    return Settings(**values).check()

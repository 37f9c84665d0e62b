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
# The secret key signs cookies and CSRF tokens: 32 bytes of randomness, as Flask's docs suggest
# (`secrets.token_hex(32)`). Zoom generates the webhook secret token itself and makes it shorter
# than that, so it is held to 16 bytes: enough to refuse a placeholder, not to refuse Zoom's.
MIN_SECRET_KEY_BYTES = 32
MIN_WEBHOOK_SECRET_BYTES = 16
ZOOM_CREDENTIALS = ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")
# The exit code for "cannot start with these settings": gunicorn's arbiter stops the whole server
# when a worker exits with it (Arbiter.WORKER_BOOT_ERROR), instead of respawning workers forever.
BOOT_ERROR = 3


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
    # A session whose `meeting.ended` never came (a lost delivery, a Zoom outage, a meeting left
    # running) is finalised from Zoom's report this many hours after its scheduled end, so its
    # raw copies do not wait for an end that will not come (`zoombridge.attendance.finality`).
    meeting_ended_grace_hours: int = 24
    # Staff see who a payment would take over this much income from the organisation in one UK tax
    # year before they approve it (docs/payments.md; limits change in April: set it then).
    tax_year_income_threshold_pence: int = 1_000_00
    staff_token_days: int = 90  # how long a new staff API token works (ZOOMBRIDGE_STAFF_TOKEN_DAYS)
    # How many reverse proxies in front add X-Forwarded-For/-Proto/-Host (ZOOMBRIDGE_TRUSTED_PROXIES);
    # 0 trusts none, so a client cannot pose as another address by sending the header itself.
    trusted_proxies: int = 0
    # The longest a request body may take to arrive (a 1 MiB body at 50 KiB/s); a slower client is cut off.
    body_read_seconds: int = 20
    # Prometheus scrapes /metrics with `Authorization: Bearer <this>` (a staff API token also works).
    metrics_token: str | None = None
    # /healthz says a worker or the scheduler is missing after this long without a heartbeat
    liveness_silence_seconds: int = 180
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

    def unsafe_for_production(self) -> list[str]:
        """Secrets that are set but cannot be trusted: the published development values, or too short."""
        problems = []
        if self.secret_key == DEVELOPMENT_SECRET_KEY:
            problems.append("ZOOMBRIDGE_SECRET_KEY is the published development key")
        elif self.secret_key and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            problems.append(f"ZOOMBRIDGE_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} bytes")
        token = self.zoom_webhook_secret_token
        if token == DEVELOPMENT_WEBHOOK_SECRET:
            problems.append("ZOOM_WEBHOOK_SECRET_TOKEN is the published development secret")
        elif token and len(token.encode()) < MIN_WEBHOOK_SECRET_BYTES:
            problems.append(f"ZOOM_WEBHOOK_SECRET_TOKEN is shorter than {MIN_WEBHOOK_SECRET_BYTES} bytes")
        if self.metrics_token and len(self.metrics_token.encode()) < MIN_SECRET_KEY_BYTES:
            problems.append(f"ZOOMBRIDGE_METRICS_TOKEN is shorter than {MIN_SECRET_KEY_BYTES} bytes")
        return problems

    def check(self) -> Settings:
        """Refuse to run in production without its secrets, or with secrets anyone could know;
        refuse real Zoom credentials with the published webhook secret anywhere. Return self."""
        if self.env not in ("development", "production", "testing"):
            raise ConfigError(f"ZOOMBRIDGE_ENV must be development, production or testing, not {self.env!r}")
        for name in ("raw_copy_retention_days", "email_body_retention_days"):
            if getattr(self, name) < 1:
                raise ConfigError(f"ZOOMBRIDGE_{name.upper()} must be at least 1 day")
        grace = self.meeting_ended_grace_hours
        if isinstance(grace, bool) or not isinstance(grace, int) or not 1 <= grace <= 168:
            raise ConfigError("ZOOMBRIDGE_MEETING_ENDED_GRACE_HOURS must be a whole number of hours from 1 to 168 "
                              f"(a week), not {grace!r}")
        if not 1 <= self.staff_token_days <= 3650:
            raise ConfigError("ZOOMBRIDGE_STAFF_TOKEN_DAYS must be from 1 to 3650")
        if not 1 <= self.body_read_seconds <= 300:
            raise ConfigError("ZOOMBRIDGE_BODY_READ_SECONDS must be from 1 to 300")
        if not 0 <= self.trusted_proxies <= 10:
            raise ConfigError("ZOOMBRIDGE_TRUSTED_PROXIES must be how many proxies are in front, from 0 to 10")
        if self.is_production:
            missing, unsafe = self.missing_for_production(), self.unsafe_for_production()
            if missing or unsafe:
                parts = (["production settings missing: " + ", ".join(missing)] if missing else []) + \
                    (["production settings unsafe: " + "; ".join(unsafe)] if unsafe else [])
                raise ConfigError("; ".join(parts))
        elif not self.uses_zoom_standin and self.webhook_secret == DEVELOPMENT_WEBHOOK_SECRET:
            raise ConfigError("Zoom credentials are set but ZOOM_WEBHOOK_SECRET_TOKEN is not: anyone could sign "
                              "webhooks with the published development secret")
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
    if not environ.get("ZOOMBRIDGE_ENV") and any(environ.get(name) for name in ZOOM_CREDENTIALS):
        # Real Zoom credentials with no word on the environment: this is a deployment that forgot
        # ZOOMBRIDGE_ENV, not a developer's machine. Refuse rather than run with development defaults.
        raise ConfigError("Zoom credentials are set but ZOOMBRIDGE_ENV is not: set ZOOMBRIDGE_ENV=production "
                          "(or development, to try a real Zoom account on your machine)")
    return Settings(**values).check()

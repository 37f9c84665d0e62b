"""The Flask app factory: `create_app()` builds the web app (and the app jobs run inside).

Flask's own command line finds it here: `flask --app zoombridge.app routes` lists every route,
and `flask --app zoombridge.app shell` opens a Python shell inside the app, with `db` (a unit of
work: `with db() as s: ...`), `models`, `settings`, `redis` and `now` at hand.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from zoombridge.clock import Clock, SystemClock
from zoombridge.config import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the web app. Nothing here talks to the network: connections are made on first use."""
    from zoombridge import logs
    from zoombridge.store.db import EXTENSION_KEY as DB_KEY
    from zoombridge.store.db import Database
    from zoombridge.web import register_blueprints

    settings = (settings or load_settings()).check()
    logs.configure(production=settings.is_production)
    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=str(Path(settings.instance_dir).resolve()))
    app.config.update(
        ZOOMBRIDGE_SETTINGS=settings,
        SECRET_KEY=settings.effective_secret_key,
        MAX_CONTENT_LENGTH=1024 * 1024,  # webhook bodies over 1 MiB are refused (413)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        JSON_SORT_KEYS=False,
    )
    app.extensions[DB_KEY] = Database(settings.effective_database_url)
    app.extensions["zoombridge.clock"] = clock or SystemClock()
    register_blueprints(app)
    app.shell_context_processor(_shell_context)
    return app


def _shell_context() -> dict:
    """What `flask --app zoombridge.app shell` has at hand (inside the app context)."""
    from zoombridge import runtime
    from zoombridge.queue.connection import current_redis
    from zoombridge.store import current_database, models

    return {"db": current_database().session, "models": models, "settings": runtime.settings(),
            "redis": current_redis(), "now": runtime.now}

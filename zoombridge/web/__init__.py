"""HTTP: the Zoom webhook, the staff JSON API, staff pages, public registration, health."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from zoombridge.web import errors, health, sessions_api, staff_api

    errors.register(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(staff_api.blueprint)
    app.register_blueprint(sessions_api.blueprint)

"""HTTP: the Zoom webhook, the staff JSON API, staff pages, public registration, health."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from zoombridge.web import breakout_plans, errors, health, payments_api, staff_api

    errors.register(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(staff_api.blueprint)
    app.register_blueprint(breakout_plans.blueprint)
    app.register_blueprint(payments_api.blueprint)

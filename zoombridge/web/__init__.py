"""HTTP: the Zoom webhook, the staff JSON API, staff pages, public registration, health."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from zoombridge.web import deployment, input_guards

    input_guards.init_app(app)  # before any route is added: `<int:...>` binds the id converter
    deployment.init_app(app)  # ProxyFix outermost: the body limit and the views see the client's address
    # live_attendance adds its route to the staff API blueprint, so it is imported before that is registered.
    from zoombridge.web import (  # noqa: F401
        breakout_plans,
        errors,
        health,
        live_attendance,
        payments_api,
        sessions_api,
        staff_api,
        webhooks,
    )

    errors.register(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(staff_api.blueprint)
    app.register_blueprint(sessions_api.blueprint)
    app.register_blueprint(breakout_plans.blueprint)
    app.register_blueprint(payments_api.blueprint)
    register_pages(app)


def register_pages(app: Flask) -> None:
    """The HTML side: layout, staff sign-in, staff pages, the outbox and public registration."""
    from zoombridge.web import (  # noqa: F401 - staff_session_forms adds its pages to staff_pages' blueprint
        layout,
        public_registration,
        staff_outbox,
        staff_pages,
        staff_session_forms,
        staff_sign_in,
    )

    layout.init_app(app)
    staff_sign_in.init_app(app)
    app.register_blueprint(staff_pages.blueprint)
    app.register_blueprint(staff_outbox.blueprint)
    app.register_blueprint(public_registration.blueprint)

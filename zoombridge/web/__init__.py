"""HTTP: the Zoom webhook, the staff JSON API, staff pages, public registration, health.

Every blueprint is listed here, in one place; no module adds routes to another's blueprint.
Views are thin adapters: they read the request, call the service layer (or a read model) and
shape the answer.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from zoombridge.web import deployment, input_guards

    input_guards.init_app(app)  # before any route is added: `<int:...>` binds the id converter
    deployment.init_app(app)  # ProxyFix outermost: the body limit and the views see the client's address
    from zoombridge.web import (
        api_contract,
        breakout_plans,
        errors,
        health,
        live_attendance,
        payments_api,
        sessions_api,
        staff_api,
        timing,
        webhooks,
    )

    errors.register(app)
    timing.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(webhooks.blueprint)
    # /api/v1: the staff token is checked once, by the parent, for all of these.
    app.register_blueprint(staff_api.api_v1(
        sessions_api.blueprint,
        breakout_plans.blueprint,
        live_attendance.blueprint,
        payments_api.blueprint,
    ))
    app.register_blueprint(api_contract.blueprint)  # /api/v1/openapi.json and /api/v1/docs, open to read
    register_pages(app)


def register_pages(app: Flask) -> None:
    """The HTML side: layout, staff sign-in, staff pages, the outbox and public registration."""
    from zoombridge.web import (
        details_confirmation,
        layout,
        public_registration,
        staff_jobs,
        staff_outbox,
        staff_pages,
        staff_session_forms,
        staff_sign_in,
    )

    layout.init_app(app)
    app.register_blueprint(layout.blueprint)
    staff_sign_in.init_app(app)
    app.register_blueprint(staff_sign_in.blueprint)
    app.register_blueprint(staff_pages.blueprint)
    app.register_blueprint(staff_session_forms.blueprint)
    app.register_blueprint(staff_outbox.blueprint)
    app.register_blueprint(staff_jobs.blueprint)
    app.register_blueprint(public_registration.blueprint)
    app.register_blueprint(details_confirmation.blueprint)

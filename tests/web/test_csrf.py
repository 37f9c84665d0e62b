from flask import Blueprint, render_template_string

from zoombridge.web import csrf


def _app_with_form(app):
    bp = csrf.protect(Blueprint("csrf_probe", __name__, url_prefix="/probe"))

    @bp.route("/", methods=["GET", "POST"])
    def form():
        return render_template_string('<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>')

    app.register_blueprint(bp)
    return app.test_client()


def _token(client) -> str:
    client.get("/probe/")
    with client.session_transaction() as session:
        return session["csrf_token"]


def test_a_form_post_with_this_sessions_token_is_accepted(app):
    client = _app_with_form(app)
    assert client.post("/probe/", data={"csrf_token": _token(client)}).status_code == 200


def test_a_post_without_a_token_or_with_another_sessions_token_is_refused(app):
    client = _app_with_form(app)
    other = app.test_client()
    other_token = _token(other)
    _token(client)
    assert client.post("/probe/").status_code == 400
    assert client.post("/probe/", data={"csrf_token": ""}).status_code == 400
    assert client.post("/probe/", data={"csrf_token": other_token}).status_code == 400


def test_a_post_from_a_browser_that_never_loaded_a_form_is_refused(app):
    client = _app_with_form(app)
    assert client.post("/probe/", data={"csrf_token": "guessed"}).status_code == 400


def test_the_token_may_come_in_a_header_for_small_scripts(app):
    client = _app_with_form(app)
    assert client.post("/probe/", headers={"X-CSRF-Token": _token(client)}).status_code == 200


def test_safe_methods_need_no_token(app):
    client = _app_with_form(app)
    assert client.get("/probe/").status_code == 200

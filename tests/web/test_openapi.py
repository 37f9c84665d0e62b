"""The staff API's published contract: an OpenAPI 3.1 document made from the views' declarations,
served at /api/v1/openapi.json and rendered at /api/v1/docs."""

from __future__ import annotations

import re

import pytest
import schemathesis
from jsonschema import Draft202012Validator

from tests.api_contract import problems_with
from zoombridge.web import openapi


@pytest.fixture
def document(client) -> dict:
    resp = client.get("/api/v1/openapi.json")  # no token: the contract is published
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.json


def test_every_api_route_and_method_is_in_the_document(app, document):
    """A new route under /api/v1 must declare its operation (`@openapi.operation`) next to the view."""
    routes = openapi.api_routes(app)
    assert len(routes) >= 30
    missing = [f"{method} {rule.rule} ({rule.endpoint})" for rule, method in routes
               if method.lower() not in document["paths"].get(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), {})]
    assert missing == [], "routes missing from the OpenAPI document; declare them with @openapi.operation:\n" + \
        "\n".join(missing)


def test_the_missing_route_check_names_a_route_without_a_declaration(app):
    from flask import Blueprint

    extra = Blueprint("late_arrival", __name__, url_prefix="/api/v1")
    extra.add_url_rule("/sessions/<int:session_id>/undeclared", "undeclared", lambda session_id: "", methods=["GET"])
    app.register_blueprint(extra)
    built = openapi.build(app)
    assert "/api/v1/sessions/{session_id}/undeclared" not in built["paths"]
    assert any(rule.rule.endswith("/undeclared") for rule, _method in openapi.api_routes(app))


def test_the_document_is_openapi_3_1_that_a_real_tool_loads(document):
    assert document["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(document)  # schemathesis validates the document as it loads it
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in document["paths"].values())
    for component in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)  # raises naming what is wrong


def test_every_operation_but_the_contract_itself_needs_the_staff_token(document):
    assert document["components"]["securitySchemes"]["staffToken"] == {
        "type": "http", "scheme": "bearer", "description": "A staff API token"}
    assert document["security"] == [{"staffToken": []}]
    public = sorted(f"{method.upper()} {path}" for path, item in document["paths"].items()
                    for method, op in item.items() if op.get("security") == [])
    assert public == ["GET /api/v1/docs", "GET /api/v1/openapi.json"]
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op.get("security") != []:
                assert op["responses"]["401"] == {"$ref": "#/components/responses/Error401"}, (method, path)


def test_every_error_answer_is_the_one_error_shape(document):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "field"} and detail["required"] == ["code", "message"]
    for name, answer in document["components"]["responses"].items():
        assert answer["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, name
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if status.startswith("4"):
                    assert answer == {"$ref": f"#/components/responses/Error{status}"}, (method, path, status)


def test_bodies_parameters_and_answers_come_from_the_views(document):
    create = document["paths"]["/api/v1/sessions"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NewSession"}
    new_session = document["components"]["schemas"]["NewSession"]
    assert new_session["additionalProperties"] is False and new_session["required"] == ["kind", "start"]
    assert set(new_session["properties"]["kind"]["enum"]) == {"cuppa", "themed-cuppa", "co-production", "network",
                                                               "strategy"}  # config/formats.toml
    assert set(create["responses"]) == {"201", "400", "401"}
    get = document["paths"]["/api/v1/sessions/{session_id}"]["get"]
    assert get["parameters"] == [{"name": "session_id", "in": "path", "required": True,
                                  "schema": {"type": "integer", "minimum": 0}, "example": 1}]
    audit = {p["name"]: p for p in document["paths"]["/api/v1/audit"]["get"]["parameters"]}
    assert audit["limit"]["required"] is False and audit["limit"]["schema"]["default"] == 200
    assert audit["limit"]["schema"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert {"type": "null"} not in audit["before_id"]["schema"]["anyOf"]  # a query parameter is left out, not null
    csv = document["paths"]["/api/v1/payments/export"]["post"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


def test_the_suite_wide_answer_check_catches_an_answer_off_its_contract(document):
    """The `app` fixture holds every API answer in the suite to the document (tests/api_contract.py)."""
    rule = "/api/v1/sessions/<int:session_id>"
    assert problems_with(document, rule, "GET", 404, "application/json",
                         {"error": {"code": "not_found", "message": "There is no session 9."}}) == []
    assert problems_with(document, rule, "GET", 404, "application/json", {"message": "no"}) == [
        "GET /api/v1/sessions/<int:session_id> -> 404: $: 'error' is a required property"]
    assert problems_with(document, rule, "GET", 409, "application/json", {}) == [
        "GET /api/v1/sessions/<int:session_id> -> 409: status not declared"]
    assert problems_with(document, rule, "GET", 200, "text/html", "<p>") == [
        "GET /api/v1/sessions/<int:session_id> -> 200: text/html not declared (declared: application/json)"]


def test_the_docs_page_shows_every_operation_with_nothing_from_another_origin(client, document):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert f'id="{op["operationId"]}"' in html and f"{method.upper()} {path}" in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert "<script" not in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert '{"error": {"code": "invalid", "message": "must be in the future", "field": "start"}}' in html

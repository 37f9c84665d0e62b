"""Every answer the staff API gives in the suite is checked against its published contract.

The `app` fixture installs `AnswerCheck`: after each request to `/api/v1`, the answer's status
must be one the operation declares, and a JSON body must match the declared schema (jsonschema,
Draft 2020-12, which is OpenAPI 3.1's dialect). A test that made the API answer off-contract
fails at teardown, naming the operation. So every API test is also a contract test, and a view
that changes its answer without changing its declaration cannot pass.
"""

from __future__ import annotations

import re

from flask import Flask, request
from jsonschema import Draft202012Validator

from zoombridge.web import openapi

# Statuses any operation may answer without declaring them: a method the route does not have
# (Werkzeug's 405), and the unexpected-error 500 that tests of the error handler provoke.
ALWAYS_POSSIBLE = {405, 500}
_ROUTE_ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def declared_answer(document: dict, rule: str, method: str, status: int) -> dict | None:
    """The response object the document declares, or None when the status is not declared."""
    path = _ROUTE_ARGUMENT.sub(r"{\1}", rule)
    answers = document["paths"].get(path, {}).get(method.lower(), {}).get("responses", {})
    answer = answers.get(str(status))
    if answer is not None and "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    return answer


def problems_with(document: dict, rule: str, method: str, status: int, mimetype: str, body) -> list[str]:
    operation = f"{method} {rule} -> {status}"
    answer = declared_answer(document, rule, method, status)
    if answer is None:
        return [] if status in ALWAYS_POSSIBLE else [f"{operation}: status not declared"]
    content = answer.get("content", {})
    if mimetype not in content:
        return [f"{operation}: {mimetype} not declared (declared: {', '.join(content) or 'no body'})"]
    schema = content[mimetype]["schema"]
    if mimetype != openapi.JSON:
        return []
    validator = Draft202012Validator({**schema, "components": document["components"]})
    return [f"{operation}: {error.json_path}: {error.message[:200]}" for error in validator.iter_errors(body)]


class AnswerCheck:
    def __init__(self, app: Flask):
        self.app = app
        self.problems: list[str] = []
        app.after_request(self._check)

    def _check(self, response):
        rule = request.url_rule
        # Routes a test adds for itself declare nothing; a real route that declares nothing is
        # caught by tests/web/test_openapi.py.
        if (rule is not None and rule.rule.startswith(openapi.API_PREFIX) and request.method != "HEAD"
                and openapi.declared(self.app.view_functions[rule.endpoint]) is not None):
            body = response.get_json(silent=True) if response.mimetype == openapi.JSON else None
            self.problems += problems_with(openapi.document(self.app), rule.rule, request.method,
                                           response.status_code, response.mimetype, body)
        return response

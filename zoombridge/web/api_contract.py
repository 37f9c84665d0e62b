"""The staff API's published contract: `/api/v1/openapi.json`, and `/api/v1/docs` to read it.

Both are open (no staff token): the contract says what the API takes and answers, not what it
holds. The page is rendered on the server from the same document, with the site's own
stylesheet: no script, nothing from another origin.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from zoombridge.web import layout, openapi

blueprint = Blueprint("api_contract", __name__, url_prefix=openapi.API_PREFIX)


@blueprint.get("/openapi.json")
@openapi.operation(responses={200: dict[str, Any]}, public=True)
def openapi_document():
    """This document: the staff API as OpenAPI 3.1."""
    return jsonify(openapi.document(current_app))


@blueprint.get("/docs")
@openapi.operation(responses={200: {"text/html": None}}, public=True)
def docs():
    """The API's reference, for people: every operation, its body, answers and errors."""
    document = openapi.document(current_app)
    operations = [(path, method, op) for path, item in document["paths"].items()
                  for method, op in item.items()]
    tags = sorted({op["tags"][0] for _path, _method, op in operations})
    response = current_app.make_response(render_template(
        "api/docs.html", document=document, tags=tags, operations=operations,
        schemas=document["components"]["schemas"], responses=document["components"]["responses"]))
    response.headers["Content-Security-Policy"] = layout.CONTENT_SECURITY_POLICY
    return response

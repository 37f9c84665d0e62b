"""The staff API's contract: an OpenAPI 3.1 document made from what each view declares.

A view declares its operation next to itself, with pydantic models for its bodies:

    @blueprint.post("/sessions")
    @openapi.operation(body=NewSession, responses={201: Session | Series}, errors=(400,))
    def create_session(): ...

`document(app)` walks the app's URL map: every route under `/api/v1` becomes an operation, with
its path parameters read from the route (`<int:session_id>`), its body and answers from the
declaration (pydantic writes JSON Schema 2020-12, which is OpenAPI 3.1's own schema dialect),
the error shape `{"error": {"code", "message", "field"}}` for each error status it declares,
and 401 for the staff token on every operation that needs one. apispec assembles the document.
A route with no declaration is left out of it, and `tests/web/test_openapi.py` fails naming it.

The declarations describe; they do not decide. Each view still checks its input itself (the
same checks the staff pages rely on, through the service layer), and the contract is held to
the code from both sides: the suite checks every JSON answer of every API test against the
declared schema, and schemathesis fuzzes a running server against the document in CI
(`.ci/schemathesis.sh`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
ATTRIBUTE = "__openapi__"
EXTENSION_KEY = "zoombridge.openapi"
STATUS_WORDS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 400: "The input is wrong: `field` names what to fix",
                401: "No valid staff token", 404: "What was named does not exist",
                409: "The input is fine but the state does not allow it", 413: "The body is too large",
                422: "Understood, but beyond what can be done"}
_ROUTE_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class Error(BaseModel):
    """Every refusal: a stable code, a sentence a person can act on, and the field to fix."""

    error: ErrorDetail


class Closed(BaseModel):
    """A request body that refuses fields it does not know (the view answers 400 naming it).
    Answers are plain `BaseModel`s, open to new fields, so an answer may grow without breaking
    a client."""

    model_config = ConfigDict(extra="forbid")


# A query parameter sent empty (`?before_id=`) is read as left out (`input_guards.query_whole`).
Empty = Annotated[Literal[""], Field(description="Empty: as if left out")]


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def optional(**field_options) -> Any:
    """A body field that may be left out, but is not null when it is given (`bool = optional()`)."""
    return Field(default=None, json_schema_extra=_no_default, **field_options)


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    body: Any = None  # a model or type (JSON), or {media type: model or None}
    query: type[BaseModel] | None = None
    responses: Mapping[int, Any] = field(default_factory=dict)  # status -> model/type, or {media: model or None}
    errors: tuple[int, ...] = ()
    public: bool = False  # no staff token needed
    body_required: bool = True


def operation(*, body: Any = None, query: type[BaseModel] | None = None, responses: Mapping[int, Any],
              errors: tuple[int, ...] = (), public: bool = False, body_required: bool = True,
              summary: str | None = None) -> Callable:
    """Declare the view's operation for the OpenAPI document; the view itself is unchanged."""

    def declare(view: Callable) -> Callable:
        doc = inspect.cleandoc(view.__doc__ or "")
        first, _, rest = doc.partition("\n")
        setattr(view, ATTRIBUTE, Operation(summary=summary or first or view.__name__.replace("_", " "),
                                           description=rest.strip(), body=body, query=query,
                                           responses=dict(responses), errors=tuple(errors), public=public,
                                           body_required=body_required))
        return view

    return declare


def declared(view: Callable) -> Operation | None:
    return getattr(view, ATTRIBUTE, None)


# --- building the document -------------------------------------------------------------------

class _Schemas:
    """pydantic's JSON Schema for each declared type, with its definitions as components."""

    def __init__(self, spec: APISpec):
        self.spec = spec
        self.known: dict[str, dict] = {}

    def of(self, kind: Any, mode: str) -> dict:
        if kind is None:
            return {"type": "string"}
        schema = TypeAdapter(kind).json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        for name, definition in schema.pop("$defs", {}).items():
            self._component(name, definition)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            name = schema.get("title", kind.__name__)
            self._component(name, schema)
            return {"$ref": f"#/components/schemas/{name}"}
        return schema

    def _component(self, name: str, schema: dict) -> None:
        if name in self.known:
            if self.known[name] != schema:
                raise ValueError(f"two different schemas are both named {name!r}; rename one of the models")
            return
        self.known[name] = schema
        self.spec.components.schema(name, schema)


def _content(declared_body: Any, schemas: _Schemas, mode: str) -> dict:
    media = declared_body if isinstance(declared_body, Mapping) else {JSON: declared_body}
    return {media_type: {"schema": schemas.of(kind, mode)} for media_type, kind in media.items()}


def _path_and_parameters(rule: str) -> tuple[str, list[dict]]:
    parameters = []

    def to_openapi(match: re.Match) -> str:
        name, converter = match["name"], match["converter"] or "default"
        schema: dict = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema,
                           **({"example": 1} if converter == "int" else {})})
        return "{" + name + "}"

    return _ROUTE_ARGUMENT.sub(to_openapi, rule), parameters


def _not_null(prop: dict) -> dict:
    """A query parameter is left out, never null: `int | None` in the model is `integer` here."""
    prop = {key: value for key, value in prop.items() if not (key == "default" and value is None)}
    branches = [branch for branch in prop.pop("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        return {**prop, **branches[0]}
    return {**prop, "anyOf": branches} if branches else prop


def _query_parameters(model: type[BaseModel] | None) -> list[dict]:
    if model is None:
        return []
    schema = TypeAdapter(model).json_schema(mode="validation")
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": _not_null(prop),
             **({"description": prop["description"]} if "description" in prop else {})}
            for name, prop in schema.get("properties", {}).items()]


def _operation(endpoint: str, method: str, op: Operation, parameters: list[dict], schemas: _Schemas) -> dict:
    answers: dict[int, dict] = {}
    for status, kind in op.responses.items():
        answer = {"description": STATUS_WORDS.get(status, str(status))}
        if not (status == 204 or kind is ...):
            answer["content"] = _content(kind, schemas, "serialization")
        answers[status] = answer
    for status in (*op.errors, *(() if op.public else (401,))):
        answers.setdefault(status, f"Error{status}")
    body: dict = {}
    if op.body is not None:
        body = {"requestBody": {"required": op.body_required, "content": _content(op.body, schemas, "validation")}}
    name = endpoint.removeprefix("staff_api.")
    return {"operationId": name.replace(".", "_"), "summary": op.summary,
            **({"description": op.description} if op.description else {}),
            "tags": [name.split(".")[0].removesuffix("_api").replace("_", " ") if "." in name else "staff"],
            "parameters": parameters + _query_parameters(op.query), **body, "responses": answers,
            **({"security": []} if op.public else {})}


def api_routes(app: Flask) -> list:
    """Every (rule, method) under /api/v1, as Flask routes them."""
    return [(rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def build(app: Flask) -> dict:
    spec = APISpec(title="zoombridge staff API", version="1", openapi_version=OPENAPI_VERSION, info={
        "description": "Sessions, registrations, breakout plans, attendance and payments, for staff tools. "
                       "Every call but this document and its page needs `Authorization: Bearer <staff token>` "
                       "(`zoombridge staff add-token NAME`). Every refusal is "
                       '`{"error": {"code", "message", "field"}}`, `field` naming what to fix.'})
    spec.components.security_scheme("staffToken", {"type": "http", "scheme": "bearer",
                                                   "description": "A staff API token"})
    schemas = _Schemas(spec)
    error = schemas.of(Error, "serialization")
    for status in (400, 401, 404, 409, 413, 422):
        spec.components.response(f"Error{status}", {"description": STATUS_WORDS[status],
                                                    "content": {JSON: {"schema": error}}})
    paths: dict[str, dict] = {}
    for rule, method in api_routes(app):
        op = declared(app.view_functions[rule.endpoint])
        if op is None:
            continue
        path, parameters = _path_and_parameters(rule.rule)
        paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, method, op, parameters, schemas)
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    document = spec.to_dict()
    document["security"] = [{"staffToken": []}]
    return document


def document(app: Flask) -> dict:
    """The app's OpenAPI document (built once per app: routes do not change while it runs)."""
    built = app.extensions.get(EXTENSION_KEY)
    if built is None:
        built = app.extensions[EXTENSION_KEY] = build(app)
    return built

"""Check bodies against Zoom's OpenAPI spec with jsonschema, the way Zoom would.

Used at runtime by the stand-in (it refuses what Zoom refuses) and in tests (every body the
client sends, every answer the stand-in gives). The schemas come from the committed subset
`zoom_spec_subset.json` (see `spec_extract`), converted for a Draft 4 validator, with the
pitfalls found in docs/zoom.md §9 handled:

- `nullable` becomes `type: [T, "null"]`; OpenAPI-only keywords are dropped.
- Zoom's `oneOf`s have overlapping branches, so a valid body matches several and `oneOf`
  fails: they become `anyOf`, and for PATCH user settings the branch is chosen explicitly by
  the `option` query parameter (branch 0, "User settings", when there is none), because with
  `anyOf` another branch would accept a wrong type.
- `date-time` accepts Zoom's documented local form (`2026-01-06T10:00:00` with `timezone`).
- Rules Zoom enforces that the schema cannot say (type 8 needs a recurrence, monthly week and
  weekday go together, at most 30 registrants per status call, ...) are checked in
  `cross_field_problems`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SUBSET_PATH = Path(__file__).with_name("zoom_spec_subset.json")
SPEC_URI = "urn:zoom-openapi"
_DROP = {"example", "examples", "extensions", "deprecated", "xml", "externalDocs", "discriminator",
         "readOnly", "writeOnly", "description", "summary"}
# The `option` query parameter of PATCH /users/{userId}/settings picks one branch of its oneOf.
_SETTINGS_BRANCHES = {None: 0, "meeting_authentication": 1, "recording_authentication": 1, "meeting_security": 2}


def openapi_to_jsonschema(node):
    """An OpenAPI 3.0 schema tree rewritten for a Draft 4 validator (see the module docstring)."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _DROP and not (key == "description" and isinstance(value, dict)) or key.startswith("x-"):
            continue
        if key == "properties" and isinstance(value, dict):  # property names are data, not keywords
            out[key] = {name: openapi_to_jsonschema(s) for name, s in value.items()}
            continue
        if key == "oneOf" and "anyOf" not in node:
            key = "anyOf"
        out[key] = openapi_to_jsonschema(value)
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
    if "required" in out and (not isinstance(out["required"], list) or not out["required"]):
        del out["required"]  # Swagger-2 style `required: true` or [] break Draft 4
    if isinstance(out.get("enum"), list) and len(out["enum"]) != len({json.dumps(e) for e in out["enum"]}):
        out["enum"] = list({json.dumps(e): e for e in out["enum"]}.values())  # Draft 4 wants unique enums
    return out


def _path_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def _pointer(*parts) -> str:
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def zoom_format_checker() -> FormatChecker:
    """Formats as Zoom means them: `date-time` with or without an offset."""
    checker = FormatChecker(formats=("email",))

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value) -> bool:
        if isinstance(value, str):
            datetime.fromisoformat(value)
        return True

    return checker


class ZoomSpec:
    """The converted subset, with validators per operation."""

    def __init__(self, document: dict):
        self.spec = openapi_to_jsonschema(document)
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(self.spec, default_specification=DRAFT4))
        self.format_checker = zoom_format_checker()
        self._templates = [(t, _path_regex(t)) for t in self.spec["paths"]]
        self._validators: dict[tuple, Draft4Validator] = {}

    def find_operation(self, method: str, path: str) -> tuple[str, dict]:
        """(template, operation) for METHOD and a template or concrete path ('/users/me/meetings')."""
        method = method.lower()
        paths = self.spec["paths"]
        if path in paths and method in paths[path]:
            return path, paths[path][method]
        matches = [t for t, regex in self._templates if method in paths[t] and regex.match(path)]
        if not matches:
            raise KeyError(f"{method.upper()} {path} is not an operation zoombridge uses")
        template = min(matches, key=lambda t: t.count("{"))  # /users/me beats /users/{userId}
        return template, paths[template][method]

    def operation_id(self, method: str, path: str) -> str:
        return self.find_operation(method, path)[1]["operationId"]

    def _validator(self, *parts) -> Draft4Validator:
        key = tuple(parts)
        if key not in self._validators:
            self._validators[key] = Draft4Validator({"$ref": f"{SPEC_URI}#/{_pointer(*parts)}"},
                                                    registry=self.registry, format_checker=self.format_checker)
        return self._validators[key]

    def request_schema_parts(self, method: str, path: str, query: dict | None = None) -> list | None:
        template, operation = self.find_operation(method, path)
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        parts = ["paths", template, method.lower(), "requestBody", "content", "application/json", "schema"]
        schema = content["application/json"]["schema"]
        if "anyOf" in schema and template == "/users/{userId}/settings":
            parts += ["anyOf", _SETTINGS_BRANCHES.get((query or {}).get("option"), 0)]
        return parts

    def request_errors(self, method: str, path: str, body, query: dict | None = None) -> list[str]:
        """Why Zoom would refuse this request body ([] when it would take it)."""
        parts = self.request_schema_parts(method, path, query)
        if parts is None:
            return [] if body in (None, b"", "") else ["<body>: this operation takes no JSON body"]
        if body is None:
            return ["<body>: a JSON body is required"]
        problems = describe(self._validator(*parts), body)
        template, _ = self.find_operation(method, path)
        return problems + cross_field_problems(method.lower(), template, body)

    def response_errors(self, method: str, path: str, status: int | str, body) -> list[str]:
        """Why this answer does not match the spec's response schema for `status`."""
        template, operation = self.find_operation(method, path)
        response = operation.get("responses", {}).get(str(status))
        if response is None:
            return [f"<status>: {status} is not a documented answer of {operation['operationId']}"]
        if "application/json" not in response.get("content", {}):
            return [] if body in (None, b"", "") else ["<body>: the spec gives no body for this answer"]
        parts = ["paths", template, method.lower(), "responses", str(status), "content", "application/json", "schema"]
        return describe(self._validator(*parts), body)


def describe(validator: Draft4Validator, instance, limit: int = 200) -> list[str]:
    """Readable errors: 'recurrence.type: 9 is not one of [1, 2, 3]'."""
    out = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
        where = ".".join(str(p) for p in error.absolute_path) or "<body>"
        if error.validator in ("oneOf", "anyOf"):  # the default message dumps every branch
            message = f"matches none of the {len(error.validator_value)} allowed shapes"
            if error.context:
                message += "; e.g. " + "; ".join(sorted({c.message[:80] for c in error.context})[:3])
        else:
            message = error.message
        out.append(f"{where}: {message[:limit]}")
    return out


_REPEAT_INTERVAL_MAX = {1: 90, 2: 12, 3: 3}


def _recurrence_problems(recurrence: dict) -> list[str]:
    problems = []
    kind = recurrence.get("type")
    if ("monthly_week" in recurrence) != ("monthly_week_day" in recurrence):
        problems.append("recurrence: monthly_week and monthly_week_day go together")
    if "end_times" in recurrence and "end_date_time" in recurrence:
        problems.append("recurrence: end_times and end_date_time cannot both be set")
    if kind == 3 and "monthly_day" not in recurrence and "monthly_week" not in recurrence:
        problems.append("recurrence: a monthly recurrence needs monthly_day or monthly_week/monthly_week_day")
    if kind == 2 and "weekly_days" not in recurrence:
        problems.append("recurrence.weekly_days: required for a weekly recurrence")
    interval = recurrence.get("repeat_interval")
    if isinstance(interval, int) and kind in _REPEAT_INTERVAL_MAX and not 1 <= interval <= _REPEAT_INTERVAL_MAX[kind]:
        problems.append(f"recurrence.repeat_interval: must be 1..{_REPEAT_INTERVAL_MAX[kind]} for this type")
    return problems


def cross_field_problems(method: str, template: str, body) -> list[str]:
    """Rules Zoom enforces that its schema does not express (docs/zoom.md §9)."""
    if not isinstance(body, dict):
        return []
    problems: list[str] = []
    if template in ("/users/{userId}/meetings", "/meetings/{meetingId}"):
        if method == "post" and body.get("type") == 8 and "recurrence" not in body:
            problems.append("recurrence: required for a recurring meeting with a fixed time (type 8)")
        if isinstance(body.get("recurrence"), dict):
            problems += _recurrence_problems(body["recurrence"])
        breakout = (body.get("settings") or {}).get("breakout_room") or {}
        rooms = breakout.get("rooms") or []
        if len(rooms) > 100:
            problems.append("settings.breakout_room.rooms: at most 100 rooms")
        if sum(len(r.get("participants") or []) for r in rooms if isinstance(r, dict)) > 1000:
            problems.append("settings.breakout_room.rooms: at most 1000 pre-assigned participants")
        for i, room in enumerate(rooms):
            for person in (room.get("participants") or []) if isinstance(room, dict) else []:
                if not isinstance(person, str) or "@" not in person:
                    problems.append(f"settings.breakout_room.rooms.{i}.participants: {person!r} is not an email")
    if template == "/meetings/{meetingId}/registrants/status" and len(body.get("registrants") or []) > 30:
        problems.append("registrants: at most 30 per request")
    if template == "/meetings/{meetingId}/polls":
        for i, question in enumerate(body.get("questions") or []):
            if question.get("type") in ("single", "multiple") and len(question.get("answers") or []) < 2:
                problems.append(f"questions.{i}.answers: a single or multiple choice question needs 2+ answers")
    return problems


@lru_cache(maxsize=1)
def zoom_spec() -> ZoomSpec:
    """The spec subset, loaded once per process (about 0.1 s)."""
    return ZoomSpec(json.loads(SUBSET_PATH.read_text(encoding="utf-8")))

"""Cut the few Zoom operations zoombridge uses out of the official OpenAPI specs.

The full specs (1.9 MB meetings, 0.6 MB users) live outside the repository, in
`shared/zoom-spec/` beside the checkout (or beside the folder holding a git worktree of it; or
`ZOOMBRIDGE_ZOOM_SPEC_DIR`); a fresh machine running `make run` may not have them, yet the stand-in
must check request bodies at runtime. So the operations we call, and whatever they `$ref`, are
copied into `zoom_spec_subset.json` inside the package, without descriptions and examples
(prose only; the schema keywords are kept exactly). A test re-extracts from `../shared` and
checks the committed file is identical, so the subset cannot drift from the spec.

    python -m zoombridge.sandbox.spec_extract [SPEC_DIR]   # rewrites zoom_spec_subset.json
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from zoombridge.config import PROJECT_ROOT


def find_spec_dir() -> Path:
    """`ZOOMBRIDGE_ZOOM_SPEC_DIR`, else the nearest `shared/zoom-spec` above the checkout.

    The main checkout sits beside `shared/`; a git worktree (`wt/issue-14`) one level deeper, so
    looking only at `../shared` silently skipped the re-extraction test in every worktree.
    """
    if os.environ.get("ZOOMBRIDGE_ZOOM_SPEC_DIR"):
        return Path(os.environ["ZOOMBRIDGE_ZOOM_SPEC_DIR"])
    for parent in PROJECT_ROOT.parents:
        if (parent / "shared" / "zoom-spec").is_dir():
            return parent / "shared" / "zoom-spec"
    return PROJECT_ROOT.parent / "shared" / "zoom-spec"


DEFAULT_SPEC_DIR = find_spec_dir()
SUBSET_PATH = Path(__file__).with_name("zoom_spec_subset.json")

SOURCES = {
    # Official Zoom Meeting API, OpenAPI 3.0.0 (Oct 2023): shr968/Prokalp @ 8bf2d74.
    "meetings": "shr968_Prokalp_8bf2d74/ZoomMeetingAPISpec.json",
    # Users API from developers.zoom.us (snapshot 2026-02-07): newer user settings (captions).
    "users": "DoWhiz_zoom_api_docs_snapshot_2026-02-07/users_openapi.json",
}

# (source, method, path template): every call the client makes, plus GET /users/{userId}
# which the stand-in serves as /users/me for staff sign-in.
OPERATIONS = [
    ("meetings", "post", "/users/{userId}/meetings"),
    ("meetings", "get", "/users/{userId}/meetings"),
    ("meetings", "get", "/meetings/{meetingId}"),
    ("meetings", "patch", "/meetings/{meetingId}"),
    ("meetings", "delete", "/meetings/{meetingId}"),
    ("meetings", "post", "/meetings/{meetingId}/registrants"),
    ("meetings", "get", "/meetings/{meetingId}/registrants"),
    ("meetings", "get", "/meetings/{meetingId}/registrants/{registrantId}"),
    ("meetings", "put", "/meetings/{meetingId}/registrants/status"),
    ("meetings", "get", "/meetings/{meetingId}/polls"),
    ("meetings", "post", "/meetings/{meetingId}/polls"),
    ("meetings", "get", "/meetings/{meetingId}/token"),
    ("meetings", "get", "/past_meetings/{meetingId}/instances"),
    ("meetings", "get", "/report/meetings/{meetingId}/participants"),
    ("users", "get", "/users/{userId}/settings"),
    ("users", "patch", "/users/{userId}/settings"),
    ("users", "get", "/users/{userId}"),
]

# Fields Zoom documents that the committed official spec (Oct 2023) predates, with where each
# is documented (docs/zoom.md §3). `extract` adds them to the operations below, each marked with
# `x-added-by-zoombridge` naming its source, and lists them in `info.x-additions`; a test checks
# that the official files still lack them (so an addition is dropped once Zoom's spec has it) and
# that the subset minus the additions is exactly what the official files give.
AI_COMPANION_SOURCE = ("Zoom developer changelog 2025-12-18 and 2026-03-05 (Create a Meeting fields inheriting "
                       "account defaults); booleans in `settings` per zoom/rivet-javascript release-0.4.0 "
                       "meetings.d.ts MeetingsCreateMeetingRequestBody")
MY_NOTES_SOURCE = ("Zoom developer changelog 2026-10-19 (new request field of Create/Update a Meeting, response "
                   "field of Create/Get a Meeting); type and place not stated: boolean in `settings` assumed")
SETTINGS_ADDITIONS = {
    "auto_start_meeting_summary": {"type": "boolean", "x-added-by-zoombridge": AI_COMPANION_SOURCE},
    "auto_start_ai_companion_questions": {"type": "boolean", "x-added-by-zoombridge": AI_COMPANION_SOURCE},
    "allow_participants_to_transcribe_meetings_with_my_notes": {"type": "boolean",
                                                                "x-added-by-zoombridge": MY_NOTES_SOURCE},
}
_SETTINGS = ("properties", "settings", "properties")
_JSON_BODY = ("content", "application/json", "schema")
# (method, path, where in the operation the meeting `settings` properties are)
ADDITION_PLACES = [
    ("post", "/users/{userId}/meetings", ("requestBody", *_JSON_BODY, *_SETTINGS)),
    ("post", "/users/{userId}/meetings", ("responses", "201", *_JSON_BODY, *_SETTINGS)),
    ("get", "/meetings/{meetingId}", ("responses", "200", *_JSON_BODY, *_SETTINGS)),
    ("patch", "/meetings/{meetingId}", ("requestBody", *_JSON_BODY, *_SETTINGS)),
]

PROSE = {"description", "example", "examples", "summary"}


def _without_prose(node):
    """Drop prose keywords, but never a *property* that happens to be called `description`."""
    if isinstance(node, list):
        return [_without_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in PROSE and not isinstance(value, dict | list):
            continue
        if key in ("examples", "example"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without_prose(schema) for name, schema in value.items()}
        else:
            out[key] = _without_prose(value)
    return out


def _refs(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _resolve_pointer(document: dict, ref: str):
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _set_pointer(document: dict, ref: str, value) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    node = document
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    existing = node.get(parts[-1])
    if existing is not None and existing != value:
        raise ValueError(f"{ref} differs between the source specs")
    node[parts[-1]] = value


def _node(document: dict, method: str, path: str, where: tuple[str, ...]) -> dict:
    node = document["paths"][path][method]
    for key in where:
        node = node[key]
    return node


def add_documented_fields(subset: dict) -> dict:
    """The subset with `SETTINGS_ADDITIONS` in each of `ADDITION_PLACES` (refusing to overwrite)."""
    for method, path, where in ADDITION_PLACES:
        properties = _node(subset, method, path, where)
        for name, schema in SETTINGS_ADDITIONS.items():
            if name in properties:
                raise ValueError(f"{method.upper()} {path} already has settings.{name}: drop the addition")
            properties[name] = dict(schema)
    subset["info"]["x-additions"] = [
        {"operation": f"{method.upper()} {path}", "at": "/".join(where), "fields": sorted(SETTINGS_ADDITIONS)}
        for method, path, where in ADDITION_PLACES]
    return subset


def without_additions(subset: dict) -> dict:
    """A copy of `subset` with every field `add_documented_fields` put in taken out again."""
    copy = json.loads(json.dumps(subset))
    for method, path, where in ADDITION_PLACES:
        properties = _node(copy, method, path, where)
        for name in SETTINGS_ADDITIONS:
            properties.pop(name, None)
    copy["info"].pop("x-additions", None)
    return copy


def extract(spec_dir: Path, with_additions: bool = True) -> dict:
    """The subset document, built from the spec files in `spec_dir` (plus `SETTINGS_ADDITIONS`)."""
    raw: dict[str, dict] = {}
    sources = {}
    for key, relative in SOURCES.items():
        data = (spec_dir / relative).read_bytes()
        raw[key] = json.loads(data)
        sources[key] = {"file": relative, "sha256": hashlib.sha256(data).hexdigest(),
                        "title": raw[key]["info"].get("title"), "version": raw[key]["info"].get("version")}
    subset: dict = {
        "openapi": "3.0.0",
        "info": {"title": "Zoom API operations used by zoombridge (extracted; descriptions removed)",
                 "version": "1", "x-generated-by": "python -m zoombridge.sandbox.spec_extract",
                 "x-sources": sources},
        "paths": {},
    }
    for source, method, path in OPERATIONS:
        operation = raw[source]["paths"][path][method]
        kept = {k: operation[k] for k in ("operationId", "parameters", "requestBody", "responses") if k in operation}
        kept["x-source"] = source
        kept = _without_prose(kept)
        subset["paths"].setdefault(path, {})[method] = kept
        pending, done = list(_refs(kept)), set()
        while pending:  # whatever the operation $refs, and what those $ref in turn
            ref = pending.pop()
            if ref in done:
                continue
            done.add(ref)
            target = _without_prose(_resolve_pointer(raw[source], ref))
            _set_pointer(subset, ref, target)
            pending.extend(_refs(target) - done)
    return add_documented_fields(subset) if with_additions else subset


def render(subset: dict) -> str:
    return json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec_dir = Path(argv[0]) if argv else DEFAULT_SPEC_DIR
    SUBSET_PATH.write_text(render(extract(spec_dir)), encoding="utf-8")
    print(f"wrote {SUBSET_PATH} ({SUBSET_PATH.stat().st_size} bytes, {len(OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

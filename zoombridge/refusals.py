"""One way to say no: `Refused(field, message, kind)`.

Domain code and the service layer raise it; they know what is wrong (the field, in the caller's
terms, and a sentence a person can act on) and what kind of no it is, never an HTTP status. The
web layer has one handler for it (`zoombridge.web.errors`): a JSON error with the status of its
kind for the API, the message next to its field for pages. Older names (`FormatError`,
`PlanError`, `InvalidField`, `MatchError`, ...) are subclasses, so callers may still catch them.

Pure: no Flask, no database.
"""

from __future__ import annotations

# kind -> HTTP status, for the web layer; the kind is also the error code unless one is given.
KINDS = {
    "invalid": 400,  # the input is wrong: `field` names what to fix
    "unauthorised": 401,  # no valid credentials
    "not_found": 404,  # what was named does not exist
    "conflict": 409,  # the input is fine but the state does not allow it (full, not open, exported)
    "unprocessable": 422,  # understood, but beyond what can be done (Zoom's limits)
}


class Refused(Exception):
    """A refusal a caller can act on. `code` is the stable machine-readable name (default: the kind)."""

    kind = "invalid"

    def __init__(self, field: str | None, message: str, kind: str | None = None, code: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.kind = kind or type(self).kind
        if self.kind not in KINDS:
            raise ValueError(f"unknown refusal kind {self.kind!r} (kinds: {', '.join(KINDS)})")
        self.code = code or self.kind

    @property
    def status(self) -> int:
        """The HTTP status of this kind of refusal."""
        return KINDS[self.kind]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r}, {self.message!r}, kind={self.kind!r}, code={self.code!r})"


def kind_for_status(status: int) -> str:
    """The kind of refusal an HTTP status stands for (for the older classes that took a status)."""
    for kind, kind_status in KINDS.items():
        if kind_status == status:
            return kind
    raise ValueError(f"no refusal kind has status {status}")


def invalid(field: str, message: str) -> Refused:
    return Refused(field, message, "invalid")


def not_found(message: str, field: str | None = None) -> Refused:
    return Refused(field, message, "not_found")


def conflict(code: str, message: str, field: str | None = None) -> Refused:
    return Refused(field, message, "conflict", code=code)


def person_erased(message: str) -> Refused:
    """A change to the money of someone whose details were erased (or to the claim it is worked
    out from): finance could not reach them, so it is refused (409, code `person_erased`)."""
    return Refused("person_id", message, "conflict", code="person_erased")

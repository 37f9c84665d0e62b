"""A registration as staff send it (JSON) or import it (CSV), checked field by field.

Pure: returns `RegistrationForm`s or raises `InvalidField(field, message)`; the API turns that
into a 400 naming the field. Payment is only asked for paid kinds, so `wants_payment` on an
unpaid session is refused rather than silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoombridge.notify.addresses import normalise_email

JOINS_BY = ("video", "phone")
FIELDS = ("first_name", "email", "phone", "joins_by", "access_needs", "wants_payment")
MAX_IMPORT_ROWS = 1000
_PHONE = re.compile(r"\+?[0-9 ()-]{6,30}")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


class InvalidField(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RegistrationForm:
    first_name: str
    email: str
    phone: str | None
    joins_by: str
    access_needs: str
    wants_payment: bool


def _first_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(field, "is required: the first name people see on screen")
    value = " ".join(value.split())
    if len(value) > 64:
        raise InvalidField(field, "must be at most 64 characters")
    return value


def _phone(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _PHONE.fullmatch(value.strip()):
        raise InvalidField(field, "must be a phone number, for example 07700 900123 or +44 7700 900123")
    return value.strip()


def _wants_payment(value: Any, field: str, paid: bool) -> bool:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered not in _YES | _NO:
            raise InvalidField(field, "must be yes or no")
        value = lowered in _YES
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise InvalidField(field, "must be true or false")
    if value and not paid:
        raise InvalidField(field, "is only asked for paid sessions; this session is unpaid")
    return value


def parse_registration(data: Any, paid: bool, prefix: str = "") -> RegistrationForm:
    if not isinstance(data, Mapping):
        raise InvalidField(prefix.rstrip(".") or "body", "must be a JSON object")
    for key in data:
        if key not in FIELDS:
            raise InvalidField(f"{prefix}{key}", f"is not a registration field (fields: {', '.join(FIELDS)})")
    email = normalise_email(data.get("email"))
    if email is None:
        raise InvalidField(f"{prefix}email", "must be an email address")
    joins_by = data.get("joins_by") or "video"
    if joins_by not in JOINS_BY:
        raise InvalidField(f"{prefix}joins_by", "must be video or phone")
    access_needs = data.get("access_needs") or ""
    if not isinstance(access_needs, str) or len(access_needs) > 2000:
        raise InvalidField(f"{prefix}access_needs", "must be text of at most 2000 characters")
    return RegistrationForm(
        first_name=_first_name(data.get("first_name"), f"{prefix}first_name"),
        email=email,
        phone=_phone(data.get("phone"), f"{prefix}phone"),
        joins_by=joins_by,
        access_needs=access_needs.strip(),
        wants_payment=_wants_payment(data.get("wants_payment"), f"{prefix}wants_payment", paid),
    )


def parse_csv(text: str, paid: bool) -> list[tuple[int, RegistrationForm]]:
    """(line number, form) for every row, or the first wrong one as `rows[<line>].<field>`;
    an email repeated in the file is refused."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise InvalidField("file", "is empty; the first line must name the columns")
    columns = [name.strip().lower().replace(" ", "_") for name in reader.fieldnames]
    for required in ("first_name", "email"):
        if required not in columns:
            raise InvalidField("file", f"has no {required} column (columns: {', '.join(FIELDS)})")
    for column in columns:
        if column not in FIELDS:
            raise InvalidField("file", f"has an unknown column {column!r} (columns: {', '.join(FIELDS)})")
    reader.fieldnames = columns
    forms: list[tuple[int, RegistrationForm]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(forms) >= MAX_IMPORT_ROWS:
            raise InvalidField("file", f"has more than {MAX_IMPORT_ROWS} rows")
        if None in row:
            raise InvalidField(f"rows[{line}]", f"line {line} has more values than there are columns")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        form = parse_registration(values, paid, prefix=f"rows[{line}].")
        if form.email in seen:
            raise InvalidField(f"rows[{line}].email", f"repeats line {seen[form.email]}")
        seen[form.email] = line
        forms.append((line, form))
    if not forms:
        raise InvalidField("file", "has no registrations")
    return forms

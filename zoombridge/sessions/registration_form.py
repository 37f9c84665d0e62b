"""A registration as staff send it (JSON) or import it (CSV), checked field by field.

Pure: returns `RegistrationForm`s or raises `InvalidField(field, message)` (`InvalidFields` with
every wrong field of one registration); the API turns that into a 400 naming the first field,
the public page shows each problem next to its field. Payment is only asked for paid kinds, so `wants_payment` on an
unpaid session is refused rather than silently dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zoombridge.notify.addresses import normalise_email
from zoombridge.payments import choices
from zoombridge.phone_numbers import to_e164
from zoombridge.refusals import Refused

JOINS_BY = ("video", "phone")
FIELDS = ("first_name", "email", "phone", "joins_by", "access_needs", "wants_payment", "payment_choice",
          "lower_amount_pence", "charity")
CHOICE_FIELDS = ("payment_choice", "lower_amount_pence", "charity")  # how they want to be paid (paid kinds)
MAX_IMPORT_ROWS = 1000
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


class InvalidField(Refused, ValueError):
    """One registration field is wrong: `field` names it (`email`, `rows[4].email`)."""

    def __init__(self, field: str, message: str):
        super().__init__(field, message)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidFields(InvalidField):
    """Every wrong field of one registration at once (the public page shows each next to its
    field); `field` and `message` are the first, which is all the JSON API reports."""

    def __init__(self, problems: dict[str, str]):
        field, message = next(iter(problems.items()))
        super().__init__(field, message)
        self.problems = problems


@dataclass(frozen=True)
class RegistrationForm:
    first_name: str
    email: str
    phone: str | None
    joins_by: str
    access_needs: str
    wants_payment: bool
    payment_choice: str = "cash"  # payments/choices.py: cash | lower | charity | voucher | declined
    lower_amount_pence: int | None = None
    charity: str | None = None


def plain_text(value: str, field: str, multiline: bool = False) -> str:
    """Refuse what no person types and a database may refuse (NUL, other control characters,
    unpaired surrogates), so bad input is a 400 naming the field rather than a failed write."""
    allowed = "\t\n\r" if multiline else ""
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidField(field, "must not contain control characters")
    return value


def _first_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(field, "is required: the first name people see on screen")
    value = " ".join(plain_text(value, field).split())
    if len(value) > 64:
        raise InvalidField(field, "must be at most 64 characters")
    return value


def _email(value: Any, field: str) -> str:
    email = normalise_email(plain_text(value, field) if isinstance(value, str) else value)
    if email is None:
        raise InvalidField(field, "must be an email address, like name@example.com")
    return email


def _phone(value: Any, field: str) -> str | None:
    """Stored as E.164 (`+447700900123`): a UK number as people write it, or any other country's
    with its code (`+33 1 23 45 67 89`); a phone caller is matched to their registration by it."""
    if value in (None, ""):
        return None
    number = to_e164(value) if isinstance(value, str) else None
    if number is None:
        raise InvalidField(field, "must be a phone number, for example 07700 900123, or with the country "
                                  "code for a number outside the UK, like +33 1 23 45 67 89")
    return number


def _joins_by(value: Any, field: str) -> str:
    value = value or "video"
    if value not in JOINS_BY:
        raise InvalidField(field, "must be video or phone")
    return value


def _access_needs(value: Any, field: str) -> str:
    value = value or ""
    if not isinstance(value, str) or len(value) > 2000:
        raise InvalidField(field, "must be text of at most 2000 characters")
    return plain_text(value, field, multiline=True).strip()


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


def parse_registration(data: Any, paid: bool, prefix: str = "", full_pence: int | None = None) -> RegistrationForm:
    """The checked registration, or InvalidFields naming every wrong field (in FIELDS order).

    For a paid session `full_pence` is the policy's full payment for it: a lower amount asked for
    must be less (`payments.choices.checked`); a JSON number of pence, never text."""
    if paid and full_pence is None:
        raise ValueError("a paid session's registration is checked against its full payment (full_pence)")
    if not isinstance(data, Mapping):
        raise InvalidField(prefix.rstrip(".") or "body", "must be a JSON object")
    for key in data:
        if key not in FIELDS:
            raise InvalidField(f"{prefix}{key}", f"is not a registration field (fields: {', '.join(FIELDS)})")
    checks = {"first_name": _first_name, "email": _email, "phone": _phone, "joins_by": _joins_by,
              "access_needs": _access_needs,
              "wants_payment": lambda value, field: _wants_payment(value, field, paid)}
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, check in checks.items():
        try:
            values[name] = check(data.get(name), f"{prefix}{name}")
        except InvalidField as exc:
            problems[exc.field] = exc.message
    try:
        choice = _choice(data, prefix, paid, full_pence)
    except InvalidField as exc:
        problems[exc.field] = exc.message
    if problems:
        raise InvalidFields(problems)
    return RegistrationForm(**values, payment_choice=choice.kind, lower_amount_pence=choice.lower_amount_pence,
                            charity=choice.charity)


def _choice(data: Mapping, prefix: str, paid: bool, full_pence: int | None) -> choices.Choice:
    """How they want to be paid (`payments.choices`); asked only for paid sessions, like wants_payment."""
    given = {name: data.get(name) for name in CHOICE_FIELDS if data.get(name) not in (None, "")}
    if given and not paid:
        name = next(iter(given))
        raise InvalidField(f"{prefix}{name}", "is only asked for paid sessions; this session is unpaid")
    try:
        return choices.checked(given.get("payment_choice", "cash"), given.get("lower_amount_pence"),
                               given.get("charity"), full_pence=full_pence)
    except Refused as exc:
        raise InvalidField(f"{prefix}{exc.field}", exc.message) from None


def _csv_pence(text: str) -> int | str:
    """A CSV cell is text: whole pence written in digits are a number; anything else stays as
    written, for the check to refuse by name (`12.50` is not pence, `1e3` is not a number)."""
    cleaned = text.strip()
    return int(cleaned) if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 9 else text


def parse_csv(text: str, paid: bool, full_pence: int | None = None) -> list[tuple[int, RegistrationForm]]:
    """(line number, form) for every row, or the first wrong one as `rows[<line>].<field>`;
    an email repeated in the file is refused, and so is a file the csv module cannot read
    (a field over its 128 KiB limit, a stray quote at the end). `full_pence` as for
    `parse_registration`; the lower amount is read from the cell's digits (`_csv_pence`)."""
    try:
        return _parse_csv(text, paid, full_pence)
    except csv.Error as exc:
        raise InvalidField("file", f"cannot be read as CSV ({exc})") from None


def _parse_csv(text: str, paid: bool, full_pence: int | None) -> list[tuple[int, RegistrationForm]]:
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
        values: dict[str, Any] = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        if values.get("lower_amount_pence"):
            values["lower_amount_pence"] = _csv_pence(values["lower_amount_pence"])
        form = parse_registration(values, paid, prefix=f"rows[{line}].", full_pence=full_pence)
        if form.email in seen:
            raise InvalidField(f"rows[{line}].email", f"repeats line {seen[form.email]}")
        seen[form.email] = line
        forms.append((line, form))
    if not forms:
        raise InvalidField("file", "has no registrations")
    return forms

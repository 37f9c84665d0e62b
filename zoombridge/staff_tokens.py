"""Staff API tokens: random, shown once, stored only as a SHA-256 digest; listed, revoked, expiring.

A token has 256 bits of randomness, so a plain SHA-256 (no salt, no slow hash) is enough to
make a stolen database useless for signing in, and lets a request be checked with one lookup.

A token stops working when it is revoked (`zoombridge staff revoke-token`), when it expires (90
days after it was made unless `ZOOMBRIDGE_STAFF_TOKEN_DAYS` or `--days` says otherwise), or,
for a token made for a staff member (`--email`), as soon as they leave the staff list. Making
and revoking tokens is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zoombridge.store import audit_log
from zoombridge.store.models import Person, StaffToken

PREFIX = "zb_"
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 3650
MAX_NAME_LENGTH = 120


class TokenError(ValueError):
    """A token cannot be made or found as asked; the message is one line for a person."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, name: str, now: datetime, days: int = DEFAULT_LIFETIME_DAYS,
          person: Person | None = None, actor: str = "command line") -> str:
    """A new token for `name` (and, with `person`, for that staff member); returned once."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("a staff token needs a name")
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise TokenError(f"a token's name is at most {MAX_NAME_LENGTH} printable characters")
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise TokenError(f"a token lasts from 1 to {MAX_LIFETIME_DAYS} days")
    if person is not None and not person.is_staff:
        raise TokenError("a token can only be made for someone on the staff list")
    token = PREFIX + secrets.token_urlsafe(32)
    row = StaffToken(name=name, token_hash=digest(token), created_at=now, expires_at=now + timedelta(days=days),
                     hint=token[-4:], person_id=person.id if person else None)
    session.add(row)
    session.flush()
    audit_log.record(session, now, actor, "staff_token.issued", "staff_token", row.id, name=name,
                     expires_at=row.expires_at.isoformat(), person_id=row.person_id)
    return token


def find(session: Session, token: str, now: datetime) -> StaffToken | None:
    """The token's row if it may be used now: not revoked, not expired, its staff member still staff."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = session.scalar(select(StaffToken).where(StaffToken.token_hash == digest(token)))
    if found is None or found.revoked_at is not None:
        return None
    if found.expires_at is None or found.expires_at <= now:
        return None
    if found.person_id is not None:
        person = session.get(Person, found.person_id)
        if person is None or not person.is_staff:
            return None
    return found


@dataclass(frozen=True)
class TokenListing:
    id: int
    name: str
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    staff_email: str | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is None or self.expires_at <= now:
            return "expired"
        return "active"


def listing(session: Session) -> list[TokenListing]:
    rows = session.execute(select(StaffToken, Person.email).outerjoin(Person, Person.id == StaffToken.person_id)
                           .order_by(StaffToken.id)).all()
    return [TokenListing(t.id, t.name, t.hint, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, email)
            for t, email in rows]


def revoke(session: Session, token_id: int, now: datetime, actor: str = "command line") -> StaffToken:
    row = session.get(StaffToken, token_id)
    if row is None:
        raise TokenError(f"there is no staff token {token_id} (zoombridge staff tokens lists them)")
    if row.revoked_at is None:
        row.revoked_at = now
        audit_log.record(session, now, actor, "staff_token.revoked", "staff_token", row.id, name=row.name)
    return row


def revoke_for_person(session: Session, person_id: int, now: datetime, actor: str = "command line") -> int:
    """Revoke every live token made for this staff member; how many were revoked."""
    rows = session.scalars(select(StaffToken).where(StaffToken.person_id == person_id,
                                                    StaffToken.revoked_at.is_(None)))
    count = 0
    for row in rows:
        revoke(session, row.id, now, actor)
        count += 1
    return count

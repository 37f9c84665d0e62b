"""Staff API tokens: random, shown once, stored only as a SHA-256 digest.

A token has 256 bits of randomness, so a plain SHA-256 (no salt, no slow hash) is enough to
make a stolen database useless for signing in, and lets a request be checked with one lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zoombridge.store.models import StaffToken

PREFIX = "zb_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, name: str, now: datetime) -> str:
    name = name.strip()
    if not name:
        raise ValueError("a staff token needs a name")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(StaffToken(name=name, token_hash=digest(token), created_at=now))
    return token


def find(session: Session, token: str) -> StaffToken | None:
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    found = session.scalar(select(StaffToken).where(StaffToken.token_hash == digest(token)))
    if found is None or found.revoked_at is not None:
        return None
    return found

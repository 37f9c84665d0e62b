"""The audit log: one append-only line per change to attendance or money, saying who and why.

Written in the same unit of work as the change it describes, so there is never a change without
its line, nor a line for a change that was rolled back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from zoombridge.store.models import AuditEntry


def record(s: DbSession, at: datetime, actor: str, action: str, subject_type: str, subject_id: object,
           **details) -> AuditEntry:
    entry = AuditEntry(at=at, actor=actor, action=action, subject_type=subject_type,
                       subject_id=str(subject_id), details=details)
    s.add(entry)
    return entry


def entries(s: DbSession, subject_type: str | None = None, subject_id: str | None = None,
            action: str | None = None, limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; `before_id` pages back through older entries."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_type:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(s.scalars(query))

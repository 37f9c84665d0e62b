"""Periodic: drop raw copies whose retention has run out (`zoombridge.store.retention`).

Runs hourly from the scheduler; cheap when nothing is due, and safe to run twice (what was
dropped is marked, so it is not counted or audited again).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from zoombridge import logs, runtime
from zoombridge.notify.mailer import drop_outbox_before
from zoombridge.store import db_session, retention

log = logging.getLogger(__name__)


def drop_expired_copies() -> dict[str, int]:
    settings, now = runtime.settings(), runtime.now()
    with db_session() as s:
        dropped = retention.drop_raw_copies(s, now, settings.raw_copy_retention_days)
    outbox = drop_outbox_before(settings.outbox_dir, now - timedelta(days=settings.email_body_retention_days))
    done = {**dropped.__dict__, "email_bodies": outbox}
    if any(done.values()):
        logs.event(log, "retention_dropped", **done)
    return done

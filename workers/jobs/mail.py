"""One way for jobs to send a batch of emails: one SMTP connection, each email sent once, and
the job's progress ("40 of 120") in its metadata as it goes.

A batch where some emails were refused sends the rest, then raises so RQ retries the job;
the retry skips the ones already sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from zoombridge import runtime
from zoombridge.notify.delivery import EmailNotSent, send_once
from zoombridge.notify.mailer import mailer_for
from zoombridge.notify.messages import Outgoing
from zoombridge.queue import progress


class SomeEmailsNotSent(Exception):
    """At least one email was refused; the job is retried and sends only what is missing."""


def email_domain() -> str:
    return urlsplit(runtime.settings().public_base_url).hostname or "zoombridge.local"


def deliver(batch: Iterable[tuple[Outgoing, Callable[[], None] | None]]) -> dict[str, int]:
    """Send each email once; run its after-step (marking the registration) when it was sent."""
    settings = runtime.settings()
    counts: dict[str, int] = {}
    refused = []
    batch = list(batch)
    if not batch:
        return counts
    with mailer_for(settings).connection() as connection:
        for done, (outgoing, after) in enumerate(batch):
            progress.report(done, len(batch))  # the job's own metadata: "40 of 120" on the session page
            try:
                outcome = send_once(outgoing, connection, sender=settings.mail_from, domain=email_domain(),
                                    now=runtime.now())
            except EmailNotSent as exc:
                refused.append(str(exc))
                continue
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if outcome.status in ("sent", "already-sent") and after is not None:
                after()
    progress.report(len(batch), len(batch))
    if refused:
        raise SomeEmailsNotSent(f"{len(refused)} email(s) refused; first: {refused[0]}")
    return counts



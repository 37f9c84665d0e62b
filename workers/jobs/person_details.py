"""Emailing a person the link that confirms new details given for them on the public page.

The intent `details-confirmation:{request}` is the email's key, so the job can run any number of
times and the person gets one email per request. The link is made here, from the request's
nonce and the secret key (`zoombridge.people.details.confirmation_token`): it is never a job
argument, so it is not in Redis or in RQ's log lines. A request already decided or expired is
not sent.
"""

from __future__ import annotations

from urllib.parse import urlencode

from workers.jobs.mail import deliver
from zoombridge import runtime
from zoombridge.notify import messages
from zoombridge.notify.organisation import load_organisation
from zoombridge.people import details
from zoombridge.store import db_session
from zoombridge.store.models import Person
from zoombridge.store.models import Session as SessionRow

CONFIRM_PATH = "/register/confirm-details"


def send_details_confirmation(request_id: int) -> str:
    settings = runtime.settings()
    with db_session() as s:
        request = details.waiting_request(s, request_id, runtime.now())
        if request is None:
            return "nothing to send: decided, expired or unknown"
        person = s.get(Person, request.person_id)
        if person is None or not person.email:
            return "no email address"
        session = s.get(SessionRow, request.session_id) if request.session_id else None
        link = (settings.public_base_url.rstrip("/") + CONFIRM_PATH + "?"
                + urlencode({"token": details.confirmation_token(request)}))
        outgoing = messages.details_confirmation(messages.DetailsConfirmation(
            request_id=request.id, to=person.email, first_name=person.first_name, fields=tuple(sorted(request.wanted)),
            session_title=session.title if session else None, session_starts_at=session.starts_at if session else None,
            link=link, expires_at=request.expires_at), load_organisation())
    return f"details confirmation: {deliver([(outgoing, None)])}"

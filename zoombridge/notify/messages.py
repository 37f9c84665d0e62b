"""The emails the service sends, rendered from plain facts (no database, no network).

Each builder returns an `Outgoing`: who it is for, its intent (the key that makes it sent
once, e.g. `link:42`), subject, plain text, HTML and attachments. Jobs gather the facts from
the database and hand the result to `notify.delivery`.

People are addressed by first name only. The generic meeting link and the public registration
link never appear: everyone gets their personal link. The (numeric) passcode appears only as
what to type when joining by phone, where a personal link cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from zoombridge.notify.ics import CalendarEntry, session_uid, to_ics
from zoombridge.notify.organisation import Organisation
from zoombridge.payments.statement import Statement
from zoombridge.planning.formats import AgendaBlock, BreakoutRules, Poll, PreReading
from zoombridge.planning.schedule import LONDON, halves, to_local
from zoombridge.privacy import fingerprint


@dataclass(frozen=True)
class DialIn:
    number: str
    label: str = ""


@dataclass(frozen=True)
class JoiningDetails:
    meeting_id: int | None
    phone_passcode: str | None = None
    dial_in_numbers: tuple[DialIn, ...] = ()


@dataclass(frozen=True)
class AgendaItem:
    starts_at: datetime
    title: str
    minutes: int


@dataclass(frozen=True)
class SessionFacts:
    id: int
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    revision: int
    joining: JoiningDetails
    agenda: tuple[AgendaBlock, ...] = ()
    separate_halves: bool = False
    pre_reading: tuple[PreReading, ...] = ()
    paid: bool = False
    captions: str = "unknown"  # on | refused | unknown
    breakouts: BreakoutRules | None = None
    poll: Poll | None = None
    host: str = ""  # the Zoom user hosting the meeting
    caption_rooms: tuple[tuple[str, str, bool], ...] = ()  # (room, how it is captioned and whether verified, verified)
    caption_warning: str | None = None  # breakout rooms uncaptioned and staff have not chosen
    ai_companion: str = ""  # what Zoom confirmed about AI Companion on the meeting

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def halves(self):
        return halves(self.starts_at, self.duration_minutes) if self.separate_halves else None

    @property
    def timed_agenda(self) -> tuple[AgendaItem, ...]:
        items, at = [], self.starts_at
        for block in self.agenda:
            items.append(AgendaItem(at, block.title, block.minutes))
            at += timedelta(minutes=block.minutes)
        return tuple(items)


@dataclass(frozen=True)
class Attendee:
    registration_id: int
    first_name: str
    email: str
    joins_by: str = "video"
    join_url: str | None = None
    participant_pin: str | None = None
    access_needs: str = ""
    wants_payment: bool = False


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar"
    data: bytes
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    intent: str
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    session_id: int | None = None
    registration_id: int | None = None

    def to_message(self, sender: str, message_id: str, date: datetime) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = format_datetime(date)
        message["Message-ID"] = message_id
        message["X-Zoombridge-Intent"] = self.intent
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        for attachment in self.attachments:
            maintype, subtype = attachment.content_type.split("/")
            message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename, params=attachment.params)
        return message


# --- rendering -----------------------------------------------------------------------------

def _day(moment: datetime) -> str:
    local = to_local(moment, LONDON)
    return f"{local:%A} {local.day} {local:%B %Y}"


def _clock(moment: datetime) -> str:
    local = to_local(moment, LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def _meeting_number(meeting_id: int | None) -> str:
    """Zoom's own grouping: 3-4-4 for 11 digits, 3-3-4 for 10, 3-3-3 for 9."""
    if meeting_id is None:
        return "(not ready yet)"
    digits = str(meeting_id)
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if len(digits) in (9, 10):
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


_environment = Environment(
    loader=PackageLoader("zoombridge.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_environment.filters.update(day=_day, clock=_clock, meeting_number=_meeting_number)
_environment.globals.update(captions_words={
    "on": "on (checked with Zoom)", "refused": "NOT on: Zoom refused; see the earlier alert",
    "unknown": "not checked yet"})


class _SessionView:
    """What templates see of a session: the facts plus the timed agenda under `agenda`."""

    def __init__(self, facts: SessionFacts):
        self._facts = facts
        self.agenda = facts.timed_agenda

    def __getattr__(self, name):
        return getattr(self._facts, name)


def render(name: str, subject: str, **context) -> tuple[str, str]:
    """(plain text, HTML) for template `name` (`link` renders link.txt and link.html)."""
    if "session" in context:
        context["session"] = _SessionView(context["session"])
    text = _environment.get_template(f"{name}.txt").render(subject=subject, **context)
    html = _environment.get_template(f"{name}.html").render(subject=subject, **context)
    return _tidy(text), html


def _tidy(text: str) -> str:
    """No runs of blank lines left by optional sections."""
    lines, blank = [], 0
    for line in text.rstrip().splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


# --- the messages --------------------------------------------------------------------------

def _calendar(session: SessionFacts, attendee: Attendee | None, domain: str, now: datetime,
              cancelled: bool = False) -> Attachment:
    lines = [f"{session.title}"]
    if attendee is not None and attendee.join_url:
        lines.append(f"Your personal link: {attendee.join_url}")
    if session.joining.meeting_id:
        lines.append(f"By phone: meeting ID {_meeting_number(session.joining.meeting_id)}")
    if attendee is not None and attendee.participant_pin:
        lines.append(f"When asked for your participant ID, enter {attendee.participant_pin} and then #.")
    entry = CalendarEntry(
        uid=session_uid(session.id, domain), sequence=session.revision, starts_at=session.starts_at,
        ends_at=session.ends_at, summary=session.title, description="\n".join(lines),
        url=attendee.join_url if attendee is not None else None, stamped_at=now, cancelled=cancelled)
    method = "CANCEL" if cancelled else "PUBLISH"
    return Attachment("session.ics", "text/calendar", to_ics(entry), {"method": method})


def personal_link(session: SessionFacts, attendee: Attendee, org: Organisation, domain: str,
                  now: datetime) -> Outgoing:
    subject = f"Your link for {session.title}, {_day(session.starts_at)}"
    text, html = render("link", subject, session=session, attendee=attendee, org=org)
    # A new personal link (someone cancelled and registered again) is a new email; the same link is sent once.
    intent = f"link:{attendee.registration_id}:{fingerprint(attendee.join_url)}"
    return Outgoing(intent, attendee.email, subject, text, html,
                    (_calendar(session, attendee, domain, now),), session.id, attendee.registration_id)


def reminder(session: SessionFacts, attendee: Attendee, org: Organisation) -> Outgoing:
    subject = f"Today: {session.title} at {_clock(session.starts_at)}"
    text, html = render("reminder", subject, session=session, attendee=attendee, org=org)
    return Outgoing(f"reminder:{attendee.registration_id}:{session.revision}", attendee.email, subject, text, html,
                    (), session.id, attendee.registration_id)


def new_time(session: SessionFacts, attendee: Attendee, org: Organisation, domain: str, now: datetime) -> Outgoing:
    subject = f"New time: {session.title}, {_day(session.starts_at)} at {_clock(session.starts_at)}"
    text, html = render("new_time", subject, session=session, attendee=attendee, org=org)
    return Outgoing(f"new-time:{attendee.registration_id}:{session.revision}", attendee.email, subject, text, html,
                    (_calendar(session, attendee, domain, now),), session.id, attendee.registration_id)


def cancellation(session: SessionFacts, attendee: Attendee, org: Organisation, domain: str,
                 now: datetime) -> Outgoing:
    subject = f"Cancelled: {session.title}, {_day(session.starts_at)}"
    text, html = render("cancelled", subject, session=session, attendee=attendee, org=org)
    return Outgoing(f"cancelled:{attendee.registration_id}", attendee.email, subject, text, html,
                    (_calendar(session, attendee, domain, now, cancelled=True),), session.id,
                    attendee.registration_id)


def host_pack(session: SessionFacts, attendees: list[Attendee], org: Organisation) -> Outgoing:
    subject = f"Host pack: {session.title}, {_day(session.starts_at)}"
    people = sorted(attendees, key=lambda a: a.first_name.casefold())
    text, html = render("host_pack", subject, session=session, attendees=people, org=org)
    return Outgoing(f"host-pack:{session.id}:{session.revision}", org.staff_email, subject, text, html,
                    (), session.id)


def captions_refused(session: SessionFacts, host_user: str, reason: str, org: Organisation,
                     checked_on: str) -> Outgoing:
    subject = f"Action needed: captions are not on for {session.title}"
    text, html = render("captions_refused", subject, session=session, host_user=host_user, reason=reason, org=org)
    return Outgoing(f"captions-refused:{session.id}:{checked_on}", org.staff_email, subject, text, html,
                    (), session.id)


def captioner_intent(session_id: int, revision: int) -> str:
    """One caption link per session time: a session that moves gets a fresh link, once."""
    return f"captioner:{session_id}:{revision}"


def captioner_link(session: SessionFacts, captioner_email: str, token_url: str, valid_until: datetime,
                   org: Organisation) -> Outgoing:
    subject = f"Caption link for {session.title}, {_day(session.starts_at)}"
    text, html = render("captioner", subject, session=session, token_url=token_url, valid_until=valid_until,
                        org=org)
    return Outgoing(captioner_intent(session.id, session.revision), captioner_email, subject, text, html,
                    (), session.id)


def ai_companion_on(session: SessionFacts, host_user: str, features: list[str], org: Organisation) -> Outgoing:
    """Staff alert: Zoom kept AI Companion features on that the session did not ask for."""
    subject = f"Action needed: AI Companion is on for {session.title}"
    text, html = render("ai_companion_on", subject, session=session, host_user=host_user, features=features,
                        org=org)
    return Outgoing(f"ai-companion-on:{session.id}:{session.joining.meeting_id}", org.staff_email, subject, text,
                    html, (), session.id)


def statement_intent(session_id: int, person_id: int) -> str:
    """One statement email per person per session: asking again never sends a second copy."""
    return f"statement:{session_id}:{person_id}"


def participant_statement(statement: Statement, session_id: int, to: str) -> Outgoing:
    """A person's statement for one session (text and HTML from `zoombridge.payments.statement`)."""
    titles = [line.title for line in statement.lines if line.session_id == session_id]
    subject = f"{statement.subject}: {titles[0]}" if titles else statement.subject
    return Outgoing(statement_intent(session_id, statement.person_id), to, subject, statement.text, statement.html,
                    (), session_id)


@dataclass(frozen=True)
class DetailsConfirmation:
    """New details given for a person on the public page, and the link that confirms them."""

    request_id: int
    to: str  # the address we hold for them: only its owner can confirm
    first_name: str  # the name we hold (the new one is shown only behind the link)
    fields: tuple[str, ...]  # which details would change: first_name, phone
    session_title: str | None
    session_starts_at: datetime | None
    link: str
    expires_at: datetime

    @property
    def what(self) -> str:
        names = {"first_name": "first name", "phone": "phone number"}
        return " and ".join(names.get(name, name.replace("_", " ")) for name in self.fields)


def details_confirmation(request: DetailsConfirmation, org: Organisation) -> Outgoing:
    """Asks the person whether the new details given for them are theirs; one per request."""
    subject = "Please confirm the change to your details"
    text, html = render("details_confirmation", subject, request=request, org=org)
    return Outgoing(details_confirmation_intent(request.request_id), request.to, subject, text, html)


def details_confirmation_intent(request_id: int) -> str:
    return f"details-confirmation:{request_id}"


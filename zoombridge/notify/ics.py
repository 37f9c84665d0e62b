"""Calendar files (`.ics`) attached to link, new-time and cancellation emails.

One UID per session for good, and a SEQUENCE that goes up with every reschedule, so a
calendar app updates the entry it already has instead of adding a second one; a cancellation
uses METHOD:CANCEL with the same UID. Times are written in UTC (`...Z`) so no calendar has to
know about Europe/London.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

PRODUCT_ID = "-//zoombridge//sessions//EN"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    url: str | None
    stamped_at: datetime
    cancelled: bool = False


def session_uid(session_id: int, domain: str) -> str:
    return f"session-{session_id}@{domain}"


def to_ics(entry: CalendarEntry) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if entry.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", entry.stamped_at)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.ends_at)
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if entry.url:
        event.add("url", entry.url)
        event.add("location", entry.url)
    calendar.add_component(event)
    return calendar.to_ical()

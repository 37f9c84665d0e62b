"""A planned round in Zoom's own pre-assignment forms: the API payload and the CSV import.

Zoom pre-assigns by email only, and only people signed in to a Zoom account with that email
are actually placed (docs/zoom.md §6). So everyone else (phone callers, people without an
email or without a Zoom account) is left out here and listed for the host to move by hand.
Zoom takes at most 100 rooms and 1000 pre-assigned people; beyond that we refuse with a clear
reason, or, when asked, send the first whole rooms that fit and leave the rest to the host.
Pure: plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from zoombridge.planning.breakout import PHONE, PlannedRound, PlanPerson
from zoombridge.spreadsheet_csv import csv_text

MAX_ROOMS = 100
MAX_PARTICIPANTS = 1000
CSV_HEADER = ("Pre-assign Room Name", "Email Address")

BY_PHONE = "joins by phone"
NO_EMAIL = "no email address"
NO_ZOOM_ACCOUNT = "no Zoom account"
BEYOND_LIMITS = "beyond Zoom's pre-assignment limits"


class BeyondZoomLimits(ValueError):
    """The round has more rooms or people than Zoom will pre-assign."""

    def __init__(self, rooms: int, participants: int):
        self.rooms = rooms
        self.participants = participants
        super().__init__(
            f"Zoom pre-assigns at most {MAX_ROOMS} rooms and {MAX_PARTICIPANTS} people; this round has "
            f"{rooms} rooms and {participants} people who could be pre-assigned. Push part of it "
            "(the rest are moved by hand) or use fewer, bigger rooms."
        )


@dataclass(frozen=True)
class LeftOut:
    person_id: str
    room: str
    reason: str


@dataclass(frozen=True)
class PreAssignment:
    rooms: tuple[tuple[str, tuple[str, ...]], ...]  # (room name, emails) in plan order
    left_out: tuple[LeftOut, ...]

    @property
    def participants(self) -> int:
        return sum(len(emails) for _, emails in self.rooms)

    def payload(self) -> dict:
        """The body for PATCH /meetings/{id}: `settings.breakout_room`."""
        return {"settings": {"breakout_room": {"enable": True, "rooms": self.zoom_rooms()}}}

    def zoom_rooms(self) -> list[dict]:
        return [{"name": name, "participants": list(emails)} for name, emails in self.rooms]

    def csv(self) -> str:
        """Zoom's breakout CSV import: one row per pre-assigned person (cells safe to open in a spreadsheet)."""
        return csv_text(CSV_HEADER, ((name, email) for name, emails in self.rooms for email in emails))


def why_not_preassigned(person: PlanPerson) -> str | None:
    """Why Zoom cannot place this person itself, or None when it can."""
    if person.joins_by == PHONE:
        return BY_PHONE
    if not person.email:
        return NO_EMAIL
    if person.zoom_account is False:
        return NO_ZOOM_ACCOUNT
    return None


def pre_assignment(
    planned: PlannedRound, people: Iterable[PlanPerson], allow_partial: bool = False
) -> PreAssignment:
    """Split a planned round into what Zoom can pre-assign and who the host must move.

    Rooms keep their names even when nobody in them can be pre-assigned (the host still needs
    the room). Past Zoom's limits, raise `BeyondZoomLimits` unless `allow_partial`, in which
    case whole rooms are kept in order while they fit and the rest are left out.
    """
    by_id: Mapping[str, PlanPerson] = {p.id: p for p in people}
    placed: list[tuple[str, list[tuple[str, str]]]] = []  # (room, [(person id, email)])
    left_out: list[LeftOut] = []
    for room in planned.rooms:
        here: list[tuple[str, str]] = []
        for member in room.members:
            person = by_id[member]
            reason = why_not_preassigned(person)
            if reason:
                left_out.append(LeftOut(member, room.name, reason))
            else:
                here.append((member, person.email.strip().lower()))
        placed.append((room.name, here))
    total = sum(len(here) for _, here in placed)
    if len(placed) > MAX_ROOMS or total > MAX_PARTICIPANTS:
        if not allow_partial:
            raise BeyondZoomLimits(len(placed), total)
        count = 0
        for index, (_, here) in enumerate(placed):
            if index == MAX_ROOMS or count + len(here) > MAX_PARTICIPANTS:
                left_out.extend(LeftOut(m, name, BEYOND_LIMITS) for name, rest in placed[index:] for m, _ in rest)
                placed = placed[:index]
                break
            count += len(here)
    rooms = tuple((name, tuple(email for _, email in here)) for name, here in placed)
    return PreAssignment(rooms=rooms, left_out=tuple(left_out))

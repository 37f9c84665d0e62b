"""Captions in every room: how each room of a session is captioned, and what Zoom confirmed.

Live captions are a host *user* setting in Zoom, not a meeting one (docs/zoom.md §5). So before
each session the host's settings are PATCHed and then read back: Zoom answers 204 to a PATCH it
partly ignores (a setting locked at account level stays off), and only the GET says what the
host really has.

Zoom's rules shape the plan (docs/zoom.md §5):
- automated captions work in the main room and in breakout rooms, for anyone who turns them on;
- once manual (third-party) captions are on, automated captions are off everywhere, breakout
  rooms included, so a captioner in the main room and automated captions in the breakout rooms
  cannot be mixed;
- the caption URL the API gives is the main room's; each breakout room has its own, which only
  the host can copy in the meeting.
So a format with a captioner *and* breakout rooms leaves the breakout rooms uncaptioned unless
staff choose (`breakout_captions`): "automated" (Zoom's captions in every room, the captioner not
used) or "none" (the captioner in the main room; breakout rooms without captions, on purpose).
Until they choose, the session page and the host pack carry a warning.

Pure: plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from zoombridge.planning.formats import SessionFormat

AUTOMATED = "automated"
CAPTIONER = "captioner"
NONE = "none"
MAIN_ROOM = "Main room"
BREAKOUT_ROOMS = "Breakout rooms"

WARNING = ("A captioner is booked and this session has breakout rooms, but Zoom allows no automated captions "
           "once a captioner's captions are on (breakout rooms included), and each breakout room has its own "
           "caption link that only the host can copy during the meeting. As things stand the breakout rooms have "
           "no captions. Choose: Zoom's automated captions in every room (without the captioner), or the "
           "captioner in the main room only.")


@dataclass(frozen=True)
class RoomCaptions:
    room: str
    method: str  # automated | captioner | none


@dataclass(frozen=True)
class CaptionPlan:
    rooms: tuple[RoomCaptions, ...]
    warning: str | None = None  # set while staff have not chosen how breakout rooms are captioned

    @property
    def main_method(self) -> str:
        return self.rooms[0].method

    @property
    def uses_captioner(self) -> bool:
        return self.main_method == CAPTIONER


def has_breakouts(fmt: SessionFormat) -> bool:
    return fmt.breakouts is not None or any(block.breakout for block in fmt.agenda)


def caption_plan(fmt: SessionFormat, breakout_rooms: Sequence[str] = ()) -> CaptionPlan:
    """How every room is captioned: the main room, then each planned breakout room by name (or
    "Breakout rooms" before a plan is made)."""
    breakouts = list(breakout_rooms) or ([BREAKOUT_ROOMS] if has_breakouts(fmt) else [])
    if fmt.captioner_email is None or (breakouts and fmt.breakout_captions == AUTOMATED):
        return CaptionPlan(tuple(RoomCaptions(r, AUTOMATED) for r in [MAIN_ROOM, *breakouts]))
    rooms = (RoomCaptions(MAIN_ROOM, CAPTIONER), *(RoomCaptions(r, NONE) for r in breakouts))
    return CaptionPlan(rooms, WARNING if breakouts and fmt.breakout_captions is None else None)


@dataclass(frozen=True)
class RoomStatus:
    room: str
    method: str
    verified: bool
    text: str


def room_statuses(plan: CaptionPlan, captions_state: str, checked_method: str | None,
                  link_until: datetime | None) -> tuple[RoomStatus, ...]:
    """Per room: whether captions were verified as on, in staff's words.

    `captions_state`/`checked_method` are the last read-back of the host's settings (on, for
    which method); `link_until` says the captioner was sent the main room's caption link.
    """
    confirmed = captions_state == "on" and checked_method == plan.main_method
    out = []
    for room in plan.rooms:
        if room.method == NONE:
            out.append(RoomStatus(room.room, NONE, False, "no captions (the captioner is in the main room)"))
        elif not confirmed:
            why = "refused by Zoom" if captions_state == "refused" and checked_method == plan.main_method \
                else "not verified yet"
            out.append(RoomStatus(room.room, room.method, False, f"{_method_words(room.method)}: {why}"))
        elif room.method == CAPTIONER and link_until is None:
            out.append(RoomStatus(room.room, room.method, False,
                                  "captioner: allowed for the host; caption link not sent yet (on the morning)"))
        else:
            out.append(RoomStatus(room.room, room.method, True, f"{_method_words(room.method)}: verified on"))
    return tuple(out)


def _method_words(method: str) -> str:
    return "Zoom's automated captions" if method == AUTOMATED else "captioner"


def wanted_settings(third_party: bool) -> dict:
    """The PATCH body; both the older `closed_captioning` and the newer `manual_captioning`
    objects are set the same way because which one the portal honours is undocumented."""
    return {"in_meeting": {
        "closed_caption": True,
        "closed_captioning": {"enable": True, "auto_transcribing": not third_party, "view_full_transcript": True,
                              "third_party_captioning_service": third_party},
        "manual_captioning": {"allow_to_type": True, "auto_generated_captions": not third_party,
                              "full_transcript": True, "manual_captions": third_party,
                              "third_party_captioning_service": third_party},
    }}


def captions_state(user_settings: dict, third_party: bool) -> tuple[bool, str]:
    """(on?, what is missing) from GET /users/{id}/settings."""
    in_meeting = user_settings.get("in_meeting") or {}
    closed = in_meeting.get("closed_captioning") or {}
    manual = in_meeting.get("manual_captioning") or {}
    if not (in_meeting.get("closed_caption") or closed.get("enable")):
        return False, "closed captioning is off for the host user"
    if third_party:
        if closed.get("third_party_captioning_service") or manual.get("third_party_captioning_service"):
            return True, ""
        return False, "the caption API token for third-party captioners is not allowed for the host user"
    if closed.get("auto_transcribing") or manual.get("auto_generated_captions"):
        return True, ""
    return False, "automated captions (live transcription) are off for the host user"


DEFAULT_TOKEN_SECONDS = 86400  # Zoom's example caption URL carries expire=86400 (docs/zoom.md §5)


def token_lifetime_seconds(token_url: str) -> int:
    """The caption URL's `expire` (seconds); Zoom's documented example value when it is absent."""
    values = parse_qs(urlsplit(token_url).query).get("expire") or []
    try:
        seconds = int(values[0])
    except (IndexError, ValueError):
        return DEFAULT_TOKEN_SECONDS
    return seconds if seconds > 0 else DEFAULT_TOKEN_SECONDS

"""Staff matching a participant to a person by hand: the only way a name-only guest is paid.

Fuzzy name matching is never used for money (mod_zoom's lesson); a person does it, and the log
says who, when, and what the participant was matched to before.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session as DbSession

from zoombridge.attendance import session_attendance
from zoombridge.refusals import Refused
from zoombridge.store import audit_log
from zoombridge.store.models import Participant, Person
from zoombridge.store.models import Session as SessionRow


class MatchError(Refused):
    """A participant cannot be matched to that person (the field says which id is wrong)."""


def match_participant(s: DbSession, session: SessionRow, participant_id: int, person_id: int, actor: str,
                      now: datetime) -> Participant:
    session_attendance.lock(s, session.id)  # first, as every writer of the session's attendance does
    participant = s.get(Participant, participant_id)
    belongs = participant is not None and (
        participant.session_id == session.id
        or (session.meeting_uuid is not None and participant.meeting_uuid == session.meeting_uuid))
    if not belongs:
        raise MatchError("participant_id", "No such participant at this session.", "not_found")
    if s.get(Person, person_id) is None:
        raise MatchError("person_id", "No such person.")
    previous = (participant.person_id, participant.matched_by)
    participant.person_id, participant.matched_by = person_id, "manual"
    if participant.session_id is None:
        participant.session_id = session.id
    audit_log.record(s, now, actor, "participant.matched", "participant", participant.id, session_id=session.id,
                     person_id=person_id, previous_person_id=previous[0], previous_matched_by=previous[1],
                     display_name=participant.display_name)
    s.flush()
    session_attendance.refresh(s, session, now, person_ids={p for p in (previous[0], person_id) if p is not None},
                               participant_ids={participant.id})
    return participant

"""Zoom AI Companion on a meeting: what we ask for, and whether Zoom kept it (pure: no I/O).

Since 15 March 2026 a field left out of Create a Meeting takes the host account's default, AI
Companion fields included (docs/zoom.md §3). So every meeting is sent all three fields, off
unless the session's format asks for them, and read back after it is made, the way the host's
caption settings are: an account that forces a feature on would otherwise summarise members of
the public without anyone choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoombridge.planning.formats import AiCompanion

# Zoom's meeting settings field -> the format's name for it, and how staff read it.
FIELDS = {
    "auto_start_meeting_summary": ("meeting_summary", "AI Companion meeting summary"),
    "auto_start_ai_companion_questions": ("questions", "AI Companion questions"),
    "allow_participants_to_transcribe_meetings_with_my_notes": ("my_notes_transcription",
                                                                "participants transcribing with My Notes"),
}


def wanted_settings(ai: AiCompanion) -> dict[str, bool]:
    """The `settings` fields to send on create (and to PATCH when Zoom kept something else)."""
    return {field: getattr(ai, name) for field, (name, _label) in FIELDS.items()}


@dataclass(frozen=True)
class AiCheck:
    """What a read-back meeting says. `unwanted_on` fails the session's promise; `unconfirmed`
    fields were not in Zoom's answer (an older API, or a field Zoom renamed)."""

    unwanted_on: tuple[str, ...] = ()
    unwanted_off: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()

    @property
    def as_asked(self) -> bool:
        return not self.unwanted_on and not self.unwanted_off

    def to_dict(self) -> dict:
        return {"as_asked": self.as_asked, "unwanted_on": list(self.unwanted_on),
                "unwanted_off": list(self.unwanted_off), "unconfirmed": list(self.unconfirmed)}


def check(meeting: dict, wanted: dict[str, bool]) -> AiCheck:
    """Compare a meeting from `GET /meetings/{id}` with what was asked for."""
    settings = meeting.get("settings") or {}
    on, off, missing = [], [], []
    for field, want in wanted.items():
        if field not in settings:
            missing.append(field)
        elif bool(settings[field]) and not want:
            on.append(field)
        elif want and not settings[field]:
            off.append(field)
    return AiCheck(tuple(on), tuple(off), tuple(missing))


def label(field: str) -> str:
    return FIELDS[field][1]


def summary(state: dict | None) -> str:
    """One line for staff from a stored check (`Session.zoom_details["ai_companion"]`)."""
    if not state:
        return "not checked yet"
    if state.get("error"):
        return f"not checked: {state['error']}"
    if state.get("unwanted_on"):
        return "ON although not asked for: " + ", ".join(label(f) for f in state["unwanted_on"])
    asked_on = [label(f) for f, want in (state.get("wanted") or {}).items() if want]
    text = ("on as asked: " + ", ".join(asked_on)) if asked_on else "off (checked with Zoom)"
    if state.get("unwanted_off"):
        text += "; still off although asked for: " + ", ".join(label(f) for f in state["unwanted_off"])
    if state.get("unconfirmed"):
        text += "; Zoom did not report: " + ", ".join(label(f) for f in state["unconfirmed"])
    return text

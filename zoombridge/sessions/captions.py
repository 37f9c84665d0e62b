"""Live captions are a host *user* setting in Zoom, not a meeting one (docs/zoom.md §5).

So before each session the host's settings are PATCHed and then read back: Zoom answers 204 to
a PATCH it partly ignores (a setting locked at account level stays off), and only the GET says
what the host really has. Automated captions and a third-party captioner exclude each other
in Zoom; a format that names a captioner asks for the caption API token instead.
"""

from __future__ import annotations


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

"""What checking bodies against the Zoom spec costs the stand-in, per request.

Baseline: a JSON round trip of the same body (what any request pays to parse it). Figures:
spec validation of a create-meeting body (a monthly Cuppa with breakout rooms), and a whole
stand-in `POST /v2/users/{id}/meetings` through Flask's test client, with the answer checked
against the response schema too (`check_responses=True`, as in the tests) and without.
"""

from __future__ import annotations

import base64
import json
import time

BODY = {
    "topic": "Co-Pro Cuppa", "type": 8, "start_time": "2027-01-05T10:00:00", "timezone": "Europe/London",
    "duration": 90, "recurrence": {"type": 3, "repeat_interval": 1, "monthly_week": 1, "monthly_week_day": 3,
                                   "end_times": 12},
    "settings": {"waiting_room": True, "approval_type": 1, "audio": "both", "global_dial_in_countries": ["GB"],
                 "breakout_room": {"enable": True, "rooms": [
                     {"name": f"Room {i}", "participants": [f"p{i}{j}@example.org" for j in range(4)]}
                     for i in range(8)]}},
}


def _per_call(fn, seconds: float = 1.0) -> float:
    fn()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        fn()
        count += 1
    return (time.perf_counter() - started) / count


def main() -> None:
    from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
    from zoombridge.sandbox.app import create_standin_app
    from zoombridge.sandbox.spec import zoom_spec

    started = time.perf_counter()
    spec = zoom_spec()
    load = time.perf_counter() - started
    baseline = _per_call(lambda: json.loads(json.dumps(BODY)))
    validate = _per_call(lambda: spec.request_errors("POST", "/users/{userId}/meetings", BODY))
    print(f"spec subset load (once per process): {load * 1000:.1f} ms")
    print(f"JSON round trip of the body (baseline): {baseline * 1e6:.0f} us")
    print(f"spec validation of the body: {validate * 1e6:.0f} us ({validate / baseline:.1f}x baseline)")
    basic = "Basic " + base64.b64encode(f"{STANDIN_CLIENT_ID}:{STANDIN_CLIENT_SECRET}".encode()).decode()
    for check in (False, True):
        client = create_standin_app(check_responses=check).test_client()
        token = client.post("/oauth/token", data={"grant_type": "account_credentials", "account_id": STANDIN_ACCOUNT_ID},
                            headers={"Authorization": basic}).json["access_token"]
        headers = {"Authorization": "Bearer " + token}
        per = _per_call(lambda c=client, h=headers: c.post("/v2/users/host@example.org/meetings", json=BODY, headers=h))
        print(f"stand-in create meeting, check_responses={check}: {per * 1000:.2f} ms/request "
              f"({per / baseline:.0f}x baseline)")

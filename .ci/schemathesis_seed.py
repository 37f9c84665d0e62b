"""Rows for schemathesis' examples, made through the staff API itself: a co-production session
(id 1), two registrations (people 1 and 2), a cost claim and a breakout plan, so the operations'
examples (path ids of 1) reach real rows and not only 404s.

    python .ci/schemathesis_seed.py http://127.0.0.1:5000 <staff token>
"""

from __future__ import annotations

import sys

import requests


def main(base: str, token: str) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    def call(method: str, path: str, **kwargs) -> dict:
        answer = api.request(method, f"{base}/api/v1{path}", timeout=30, **kwargs)
        if answer.status_code >= 300:
            raise SystemExit(f"seeding: {method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}

    session = call("POST", "/sessions", json={"kind": "co-production", "start": "2099-03-03T10:30",
                                              "title": "Shaping the website"})
    for first_name, email in (("Ada", "ada@example.org"), ("Ben", "ben@example.org")):
        call("POST", f"/sessions/{session['id']}/registrations",
             json={"first_name": first_name, "email": email, "phone": "07700 900123", "wants_payment": True})
    call("POST", f"/sessions/{session['id']}/cost-claims", json={"person_id": 1, "amount_pence": 350,
                                                                 "what_for": "phone minutes"})
    call("POST", f"/sessions/{session['id']}/breakout-plan", json={"room_size": 2, "seed": 1})
    print(f"seeded session {session['id']} with 2 registrations, a cost claim and a breakout plan")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

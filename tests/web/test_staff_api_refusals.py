"""Every staff API route refuses callers without a valid staff token, and writes nothing.

Refused: no Authorization header, a wrong token, a token one character off, Basic
credentials, our own token without its scheme, and a real Zoom user access token for staff of another
organisation (signed in through the Zoom stand-in's user OAuth; a Zoom token is not a staff
token here, whoever it belongs to). Each is a 401 JSON error, on every route and method, and no
table changes. (The staff pages' own sign-in is issue 8's.)
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests
from sqlalchemy import func, select

from zoombridge.sandbox import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET
from zoombridge.store.models import Base


def _api_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api_contract."):
            continue  # the published contract (openapi.json, docs) is open to read
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "1")
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def _other_orgs_zoom_token(standin_url: str) -> str:
    redirect_uri = "http://other-org.test/callback"
    authorize = requests.get(f"{standin_url}/oauth/authorize", allow_redirects=False, timeout=5, params={
        "client_id": STANDIN_CLIENT_ID, "response_type": "code", "redirect_uri": redirect_uri,
        "login_hint": "admin@other-org.test"})
    code = parse_qs(urlparse(authorize.headers["Location"]).query)["code"][0]
    token = requests.post(f"{standin_url}/oauth/token", auth=(STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET), timeout=5,
                          data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    assert token.status_code == 200
    return token.json()["access_token"]


def _row_counts(db) -> dict[str, int]:
    with db() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_every_staff_api_route_refuses_every_kind_of_wrong_caller(app, client, db, staff_token, standin_server):
    routes = _api_routes(app)
    assert len(routes) >= 30
    callers = {
        "no header": {},
        "wrong token": {"Authorization": "Bearer zb_" + "x" * 40},
        "almost ours": {"Authorization": f"Bearer {staff_token[:-1]}{'A' if staff_token[-1] != 'A' else 'B'}"},
        "basic": {"Authorization": "Basic " + "dGVzdDp0ZXN0"},
        "token without scheme": {"Authorization": staff_token},
        "another org's Zoom token": {"Authorization": f"Bearer {_other_orgs_zoom_token(standin_server.url)}"},
    }
    before = _row_counts(db)
    refused = 0
    for method, path in routes:
        for who, headers in callers.items():
            response = client.open(path, method=method, headers=headers, json={"kind": "cuppa"})
            assert response.status_code == 401, (method, path, who, response.status_code)
            assert response.get_json()["error"]["code"], (method, path, who)
            refused += 1
    assert _row_counts(db) == before
    print(f"\nauth refusals: {len(routes)} routes x {len(callers)} callers = {refused} requests, all 401 JSON, no writes")

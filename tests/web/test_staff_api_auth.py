import re
import subprocess
import sys

from sqlalchemy import select

from zoombridge.staff_tokens import digest
from zoombridge.store.models import StaffToken


def test_api_without_a_token_is_401_json(client):
    resp = client.get("/api/v1/whoami")
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorised"


def test_every_api_route_refuses_a_call_without_a_token(app, client):
    """The token is checked once, by the /api/v1 parent, for every blueprint nested in it."""
    routes = [(rule.rule, method) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and not rule.endpoint.startswith("api_contract.")  # the published contract: open to read
              for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(routes) > 20  # sessions, registrations, breakout plans, live attendance, payments
    answers = {}
    for rule, method in routes:
        path = re.sub(r"<int:\w+>", "1", rule)
        answers[(method, rule)] = client.open(path, method=method).status_code
    assert {route for route, status in answers.items() if status != 401} == set()


def test_api_with_a_wrong_token_is_401_json(client, staff_token):
    resp = client.get("/api/v1/whoami", headers={"Authorization": "Bearer zb_not-the-token"})
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorised"


def test_api_with_a_basic_header_is_401(client, staff_token):
    resp = client.get("/api/v1/whoami", headers={"Authorization": f"Basic {staff_token}"})
    assert resp.status_code == 401


def test_api_with_the_token_names_the_staff_member(client, staff_headers):
    resp = client.get("/api/v1/whoami", headers=staff_headers)
    assert resp.status_code == 200
    assert resp.json == {"staff": "Test Staff"}


def test_unknown_api_path_is_a_json_404_not_html(client, staff_headers):
    resp = client.get("/api/v1/no-such-thing", headers=staff_headers)
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"


def test_revoked_token_is_refused(client, staff_token, db, clock):
    with db() as s:
        s.scalar(select(StaffToken)).revoked_at = clock.now()
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 401


def test_add_token_prints_the_token_alone_on_its_last_line_and_stores_only_its_hash(settings, db, tmp_path):
    env = {"ZOOMBRIDGE_DATABASE_URL": settings.database_url, "ZOOMBRIDGE_INSTANCE_DIR": str(tmp_path),
           "REDIS_URL": settings.redis_url, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "zoombridge.cli", "staff", "add-token", "Priya"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("zb_") and " " not in token
    with db() as s:
        stored = s.scalars(select(StaffToken)).all()
    assert [(t.name, t.token_hash) for t in stored] == [("Priya", digest(token))]
    assert all(token not in (t.token_hash, t.name) for t in stored)

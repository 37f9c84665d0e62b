"""Who may act as staff, checked on every request: the staff list for sign-ins, revocation, expiry
and the staff list for API tokens, through the real `zoombridge staff` commands (issue 13, items 7, 8)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from zoombridge import staff_members, staff_tokens
from zoombridge.store.models import AuditEntry, StaffToken


def test_removing_someone_from_the_staff_list_ends_their_sign_in_at_once(staff_client, staff_person, zoombridge_cli,
                                                                          redis_conn):
    assert staff_client.get("/staff/sessions").status_code == 200
    assert len(redis_conn.keys("staff-sign-in:*")) == 1
    removed = zoombridge_cli("staff", "remove", "sam@example.org")
    assert "signed out everywhere" in removed.output
    page = staff_client.get("/staff/sessions")
    assert page.status_code == 302 and "/staff/sign-in" in page.headers["Location"]
    assert redis_conn.keys("staff-sign-in:*") == []
    # Back on the list, the old sign-in does not come back: they sign in again.
    zoombridge_cli("staff", "add", "sam@example.org", "Sam")
    assert staff_client.get("/staff/sessions").status_code == 302


def test_removing_someone_also_stops_the_api_tokens_made_for_them(client, staff_person, zoombridge_cli, db):
    made = zoombridge_cli("staff", "add-token", "Sam's laptop", "--email", "sam@example.org")
    token = made.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/whoami", headers=headers).get_json() == {"staff": "Sam's laptop"}
    zoombridge_cli("staff", "remove", "sam@example.org")
    refused = client.get("/api/v1/whoami", headers=headers)
    assert refused.status_code == 401
    with db() as s:
        assert s.scalar(select(StaffToken)).revoked_at is not None
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["staff.added", "staff_token.issued", "staff_token.revoked", "staff.removed"]


def test_tokens_are_listed_without_their_secret_and_a_revoked_one_stops_working(client, zoombridge_cli):
    first = zoombridge_cli("staff", "add-token", "Finance").stdout.strip().splitlines()[-1]
    second = zoombridge_cli("staff", "add-token", "Rota").stdout.strip().splitlines()[-1]
    listing = zoombridge_cli("staff", "tokens").output
    assert "Finance" in listing and "Rota" in listing and f"(…{first[-4:]})" in listing
    assert first not in listing and second not in listing
    finance_id = next(line.split()[0] for line in listing.splitlines() if "Finance" in line)
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    assert "revoked" in zoombridge_cli("staff", "revoke-token", finance_id).output
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    after = zoombridge_cli("staff", "tokens").output
    assert any("revoked" in line and "Finance" in line for line in after.splitlines())


def test_a_token_expires_after_ninety_days_by_default(app, client, db, clock):
    with app.app_context(), db() as s:
        token = staff_tokens.issue(s, "Finance", clock.now())
    headers = {"Authorization": f"Bearer {token}"}
    clock.advance(days=89, hours=23)
    assert client.get("/api/v1/whoami", headers=headers).status_code == 200
    clock.advance(hours=1)
    expired = client.get("/api/v1/whoami", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.get_json()["error"]["message"]


def test_the_token_lifetime_is_configurable(zoombridge_cli, db):
    zoombridge_cli("staff", "add-token", "Short", ZOOMBRIDGE_STAFF_TOKEN_DAYS="7")
    zoombridge_cli("staff", "add-token", "Shorter", "--days", "1")
    with db() as s:
        rows = {t.name: t.expires_at - t.created_at for t in s.scalars(select(StaffToken))}
    assert rows == {"Short": timedelta(days=7), "Shorter": timedelta(days=1)}


def test_a_token_name_too_long_for_the_record_is_refused_in_one_line(zoombridge_cli):
    result = zoombridge_cli("staff", "add-token", "x" * 200, check=False)
    assert result.exit_code != 0 and "at most 120" in result.output


def test_staff_list_changes_are_audited(app, db, clock):
    with app.app_context(), db() as s:
        staff_members.add(s, "ann@example.org", "Ann", clock.now())
        staff_members.remove(s, "ann@example.org", clock.now())
        assert [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
            "staff.added", "staff.removed"]

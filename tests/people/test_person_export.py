"""A person's data export: everything held about them, in one request, and nothing about anyone else.

The coverage tests read the models themselves, so a table added later that can hold a person id
(a foreign key to `people`, or to a table that leads there) fails here until the export map
(`zoombridge.store.person_records.HOLDINGS`) covers it, and a column added to a covered table
fails until it is marked as erased or as kept on purpose.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import select

from tests.people.conftest import ANN_ASKED, BO_TRACES
from zoombridge.store.models import AuditEntry, Base
from zoombridge.store.person_records import HOLDINGS, NOT_ABOUT_A_PERSON

PERSONAL_COLUMN_WORDS = ("person", "email", "phone", "name", "address", "access")


def _leads_to_a_person(table: sa.Table, mapped: set[str], seen: frozenset = frozenset()) -> bool:
    """A foreign key to `people`, or to a table that itself leads there."""
    for key in table.foreign_keys:
        target = key.column.table
        if target.name == "people" or (target.name not in seen and target.name != table.name and
                                       _leads_to_a_person(target, mapped, seen | {table.name})):
            return True
    return False


def test_every_table_is_either_in_the_export_map_or_said_to_hold_nothing_about_a_person():
    mapped = [h.table for h in HOLDINGS]
    assert len(mapped) == len(set(mapped)), "a table is mapped twice"
    every = set(Base.metadata.tables)
    unaccounted = every - set(mapped) - set(NOT_ABOUT_A_PERSON)
    assert unaccounted == set(), (f"tables neither exported (person_records.HOLDINGS) nor listed in "
                                  f"NOT_ABOUT_A_PERSON with a reason: {sorted(unaccounted)}")
    assert set(mapped) & set(NOT_ABOUT_A_PERSON) == set()


def test_every_table_that_can_hold_a_person_id_is_exported():
    mapped = {h.table for h in HOLDINGS}
    holding_ids = {name for name, table in Base.metadata.tables.items()
                   if _leads_to_a_person(table, mapped) or "person_id" in table.c}
    assert holding_ids - mapped == set(), f"tables holding a person id with no export: {sorted(holding_ids - mapped)}"


def test_a_table_said_to_hold_nothing_about_a_person_has_no_column_that_looks_personal():
    for name in NOT_ABOUT_A_PERSON:
        table = Base.metadata.tables[name]
        looks_personal = [c.name for c in table.c if any(word in c.name for word in PERSONAL_COLUMN_WORDS)
                          and c.name != "name" or c.name in ("email", "phone")]
        # A token's "name" is what staff called the token (checked by hand: see NOT_ABOUT_A_PERSON).
        assert [c for c in looks_personal if not (name == "staff_tokens" and c == "name")] == [], name


def test_the_coverage_check_sees_a_new_table_that_points_at_a_person():
    """The check above is not vacuous: a table with a foreign key to a participant is caught."""
    metadata = sa.MetaData()
    people = sa.Table("people", metadata, sa.Column("id", sa.Integer, primary_key=True))
    participants = sa.Table("participants", metadata, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("person_id", sa.ForeignKey(people.c.id)))
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("participant_id", sa.ForeignKey(participants.c.id)))
    assert _leads_to_a_person(notes, set())
    assert not _leads_to_a_person(people, set())


def test_every_column_of_an_exported_table_is_either_erased_or_kept_on_purpose():
    for holding in HOLDINGS:
        columns = set(Base.metadata.tables[holding.table].c.keys())
        marked = set(holding.erase) | set(holding.keep)
        assert columns - marked == set(), f"{holding.table}: columns neither erased nor kept: {columns - marked}"
        assert marked - columns == set(), f"{holding.table}: no such columns: {marked - columns}"
        assert set(holding.erase).isdisjoint(holding.keep), holding.table


def _export(client, headers, person_id):
    answer = client.get(f"/api/v1/people/{person_id}/export", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()


def test_the_export_holds_every_row_about_the_person_and_nothing_about_anyone_else(client, staff_headers, held, db):
    export = _export(client, staff_headers, held.ann)
    assert export["person"]["id"] == held.ann and export["person"]["email"] == "ann@example.org"
    empty = [h.section for h in HOLDINGS if not export[h.section]]
    assert empty == [], f"the sample person has nothing in {empty}: the fixture must cover every holding"
    assert set(export["why_we_keep_it"]) == {h.section for h in HOLDINGS}

    (registration,) = export["registrations"]
    assert registration["access_needs"] == "Ann lip-reads; a quiet room please"
    assert {e["intent"].split(":")[0] for e in export["emails"]} == {"link", "statement"}
    assert [p["id"] for p in export["participants"]] == [held.ann_participant]
    assert {s["participant_id"] for s in export["attendance_segments"]} == {held.ann_participant}
    assert [d["participant_id"] for d in export["attendance_differences"]] == [held.ann_participant]
    assert {d["person_id"] for d in export["payment_decisions"]} == {held.ann}
    assert [c["what_for"] for c in export["cost_claims"]] == ["mobile data"]
    (asked,) = export["requested_changes"]
    assert (asked["wanted"], asked["outcome"]) == (ANN_ASKED, None)
    assert "nonce" not in asked, "the link's secret half is not handed out, even to the person"
    (plan,) = export["breakout_plans"]
    assert plan["planned_as"]["id"] == f"person:{held.ann}" and plan["rooms"]
    events = {e["body"]["event"] for e in export["webhook_events"]}
    assert events == {"meeting.participant_joined", "meeting.participant_left"}
    assert all(e["body"]["payload"]["object"]["participant"]["email"] == "ann@example.org"
               for e in export["webhook_events"])
    actions = {line["action"] for line in export["audit"]}
    assert {"payment_decision.recomputed", "payment_decision.approved", "cost_claim.created",
            "statement.email_requested"} <= actions

    text = json.dumps(export)
    for trace in BO_TRACES:
        assert trace not in text, f"Bo's {trace!r} is in Ann's export"


def test_an_export_is_audited_with_who_asked(client, staff_headers, held, db):
    _export(client, staff_headers, held.ann)
    with db() as s:
        line = s.scalar(select(AuditEntry).where(AuditEntry.action == "person.exported"))
    assert (line.actor, line.subject_type, line.subject_id) == ("Test Staff", "person", str(held.ann))


def test_an_export_of_someone_not_held_is_404_naming_the_person(client, staff_headers):
    answer = client.get("/api/v1/people/999/export", headers=staff_headers)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["field"] == "person_id"


def test_the_command_line_prints_the_export_as_json(held, zoombridge_cli):
    result = zoombridge_cli("people", "export", str(held.ann))
    export = json.loads(result.output)
    assert export["person"]["first_name"] == "Ann" and len(export["payment_decisions"]) >= 1

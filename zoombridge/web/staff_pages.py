"""Staff pages under `/staff`: thin views over the session, attendance and payment services.

Every view reads state, or changes it through the same service functions the staff JSON API
uses (`zoombridge.sessions.service`, `zoombridge.payments.decisions`,
`zoombridge.attendance.matching`, the breakout plan functions of `web.breakout_plans`); the pages
add nothing but HTML, forms and redirects (POST, then redirect, then GET), and never call the
JSON views.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from zoombridge import runtime
from zoombridge.attendance import matching, session_attendance
from zoombridge.payments import decisions, export, yearly_income
from zoombridge.payments.money import AmountError, pence_from_pounds
from zoombridge.refusals import Refused
from zoombridge.sessions import ai_settings, records
from zoombridge.sessions.captions import room_statuses
from zoombridge.sessions.hosts import host_of
from zoombridge.store import breakout_plans as breakout_store
from zoombridge.store import db_session, zoom_waits
from zoombridge.store.models import BreakoutPlan, EmailMessage, PaymentDecision, Person, Registration, Session
from zoombridge.web import breakout_plans, csrf, layout, live_attendance, staff_jobs, staff_sign_in
from zoombridge.web.input_guards import form_whole, local_path

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_pages", __name__, url_prefix="/staff")))
staff_sign_in.guard_blueprint(blueprint)


def actor() -> str:
    """Who is acting, as the audit log and the ledger record it."""
    return g.staff["email"]


@dataclass(frozen=True)
class Glance:
    """A session's progress, as the sessions list shows it."""

    registered: int = 0
    links_sent: int = 0
    payments_to_review: int = 0
    plan_ready: bool = False


def _glances(s, session_ids: list[int]) -> dict[int, Glance]:
    if not session_ids:
        return {}
    registered = dict(s.execute(select(Registration.session_id, func.count()).where(
        Registration.session_id.in_(session_ids), Registration.status == "active").group_by(Registration.session_id)).all())
    sent = dict(s.execute(select(Registration.session_id, func.count()).where(
        Registration.session_id.in_(session_ids), Registration.status == "active",
        Registration.link_sent_at.is_not(None)).group_by(Registration.session_id)).all())
    review = dict(s.execute(select(PaymentDecision.session_id, func.count()).where(
        PaymentDecision.session_id.in_(session_ids), PaymentDecision.is_current.is_(True),
        PaymentDecision.status.in_(decisions.OPEN)).group_by(PaymentDecision.session_id)).all())
    planned = set(s.scalars(select(BreakoutPlan.session_id).where(BreakoutPlan.session_id.in_(session_ids))))
    return {sid: Glance(registered.get(sid, 0), sent.get(sid, 0), review.get(sid, 0), sid in planned)
            for sid in session_ids}


def _year_checks(s, payments: list[PaymentDecision]) -> dict[int, yearly_income.YearCheck]:
    """What approving each payment does to the person's income this tax year (shown before approving)."""
    settings = runtime.settings()
    return yearly_income.checks_for(s, payments, settings.tax_year_income_threshold_pence, settings.timezone)


def _session_or_404(s, session_id: int) -> Session:
    found = s.get(Session, session_id)
    if found is None:
        abort(404, description=f"There is no session {session_id}.")
    return found


@blueprint.get("/")
def home():
    return redirect(url_for("staff_pages.sessions"))


@blueprint.get("/sessions")
def sessions():
    now = runtime.now()
    with db_session() as s:
        rows = list(s.scalars(select(Session).order_by(Session.starts_at)))
        glances = _glances(s, [r.id for r in rows])
    upcoming = [r for r in rows if r.ended_at is None and r.starts_at + timedelta(minutes=r.duration_minutes) >= now]
    past = [r for r in reversed(rows) if r not in upcoming]
    return render_template("staff/sessions.html", upcoming=upcoming, past=past, glances=glances)


@blueprint.get("/sessions/<int:session_id>")
def session_page(session_id: int):
    return render_session_page(session_id)


def render_session_page(session_id: int, errors: dict[str, str] | None = None, answers: dict | None = None,
                        status: int = 200):
    """The session page; `errors` and `answers` re-show a refused registration form next to its fields."""
    with db_session() as s:
        session = _session_or_404(s, session_id)
        registrations = list(s.scalars(select(Registration).where(Registration.session_id == session_id)
                                       .order_by(Registration.status, Registration.created_at)))
        for registration in registrations:
            _ = registration.person
        emails = list(s.scalars(select(EmailMessage).where(EmailMessage.session_id == session_id)
                                .order_by(EmailMessage.created_at.desc())))
        attendance = session_attendance.read(s, session, decisions.current_policy().grace_minutes) \
            if session.started_at else None
        people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(
            {r.person_id for r in registrations} | {p.person_id for p in (attendance.people if attendance else ())})))}
        unmatched = attendance.unmatched if attendance else []
        payments = sorted(decisions.current_decisions(s, session_id).values(),
                          key=lambda d: people[d.person_id].first_name.lower() if d.person_id in people else "")
        for decision in payments:
            people.setdefault(decision.person_id, s.get(Person, decision.person_id))
        year_checks = _year_checks(s, payments)
        plan_summary = breakout_store.find_plan(s, session_id)
        glance = _glances(s, [session_id])[session_id]
        paid = records.format_for(session).paid
        caption_plan = records.caption_plan_for(s, session)
        zoom = {"host": host_of(session), "waits": zoom_waits.for_session(s, session_id),
                "ai": ai_settings.summary((session.zoom_details or {}).get("ai_companion")),
                "ai_problem": bool(((session.zoom_details or {}).get("ai_companion") or {}).get("unwanted_on")),
                "caption_plan": caption_plan,
                "caption_rooms": room_statuses(caption_plan, session.captions_state, session.captions_method,
                                               session.caption_link_until),
                "breakout_captions": records.format_for(session).breakout_captions}
    counts = Counter(r.status for r in registrations)
    work = staff_jobs.session_work(session_id)
    return render_template("staff/session.html", session=session, registrations=registrations, counts=counts,
                           work=work, session_id=session_id,
                           plan_summary=plan_summary, zoom=zoom,
                           emails=emails, attendance=attendance, people=people, unmatched=unmatched,
                           payments=payments, year_checks=year_checks, glance=glance, paid=paid, errors=errors or {},
                           answers=answers or {}), status


@blueprint.get("/sessions/<int:session_id>/live")
def live(session_id: int):
    """Who is in the meeting now; refreshes itself with a small script, or by the Refresh link."""
    with db_session() as s:
        session = _session_or_404(s, session_id)
        data = live_attendance.who_is_here(s, session_id)
    template = "staff/_live_table.html" if request.args.get("part") == "table" else "staff/live.html"
    return render_template(template, session=session, live=data)


# --- Breakout plan: the plan functions the staff API uses, shown as pages --------------------

@blueprint.post("/sessions/<int:session_id>/breakout-plan")
def make_breakout_plan(session_id: int):
    body = {name: value for name in ("room_size", "rounds") if (value := form_whole(name)) is not None}
    try:
        plan = breakout_plans.new_plan(session_id, body, actor())
    except Refused as exc:
        flash(exc.message, "error")
    else:
        report = plan.get("report", {})
        flash(f"Breakout plan made: {sum(len(r['rooms']) for r in plan['rounds'])} rooms over "
              f"{len(plan['rounds'])} round(s), {report.get('repeat_pairs', 0)} repeat pairs.", "success")
    return redirect(url_for("staff_pages.breakout_plan", session_id=session_id))


@blueprint.get("/sessions/<int:session_id>/breakout-plan")
def breakout_plan(session_id: int):
    with db_session() as s:
        session = _session_or_404(s, session_id)
    plan, problem = None, None
    try:
        plan = breakout_plans.plan_answer(session_id, request.args.get("plan"))
    except Refused as exc:
        problem = None if exc.kind == "not_found" else exc.message
    return render_template("staff/breakout_plan.html", session=session, plan=plan, problem=problem)


@blueprint.post("/sessions/<int:session_id>/breakout-plan/push")
def push_breakout_plan(session_id: int):
    body = {"round": form_whole("round") or 1, "partial": request.form.get("partial") == "yes"}
    if (plan_id := form_whole("plan")) is not None:
        body["plan"] = plan_id
    try:
        data = breakout_plans.push(session_id, body)
    except Refused as exc:
        flash(exc.message, "error")
    else:
        flash(f"Round {data['round']} is being sent to Zoom: {data['rooms']} rooms, {data['pre_assigned']} people "
              f"pre-assigned, {data['moved_by_hand']} to move by hand (see the host sheet).", "success")
    return redirect(url_for("staff_pages.breakout_plan", session_id=session_id))


@blueprint.get("/sessions/<int:session_id>/breakout-plan.csv")
def breakout_plan_csv(session_id: int):
    try:
        return breakout_plans.plan_csv_response(session_id, request.args.get("plan"), request.args.get("round"))
    except Refused as exc:
        abort(exc.status, description=exc.message)


@blueprint.get("/sessions/<int:session_id>/breakout-plan/host-sheet")
def breakout_host_sheet(session_id: int):
    try:
        response = breakout_plans.host_sheet_response(session_id, request.args.get("plan"))
    except Refused as exc:
        abort(exc.status, description=exc.message)
    # The printable sheet carries its own <style>; it has no script, so inline styles are all it needs.
    response.headers["Content-Security-Policy"] = layout.CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response


@blueprint.post("/sessions/<int:session_id>/participants/<int:participant_id>/match")
def match_participant(session_id: int, participant_id: int):
    person_id = form_whole("person_id")
    try:
        with db_session() as s:
            session = _session_or_404(s, session_id)
            if person_id is None:
                raise matching.MatchError("person_id", "Choose the person this participant is.")
            matched = matching.match_participant(s, session, participant_id, person_id, actor(), runtime.now())
            flash(f"Participant {matched.id} is matched; their time now counts for that person.", "success")
            decisions.recompute_session(s, session_id, decisions.current_policy(), actor(), runtime.now())
    except matching.MatchError as exc:
        flash(exc.message, "error")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="attendance"))


@blueprint.post("/sessions/<int:session_id>/payments/recompute")
def recompute_payments(session_id: int):
    with db_session() as s:
        _session_or_404(s, session_id)
        summary = decisions.recompute_session(s, session_id, decisions.current_policy(), actor(), runtime.now())
    flash(f"Payments worked out: {summary.new_versions} new or changed, {summary.unchanged} unchanged, "
          f"{summary.needs_review} need review again.", "success")
    return redirect(url_for("staff_pages.session_page", session_id=session_id, _anchor="payments"))


@blueprint.post("/payments/<int:decision_id>")
def review_payment(decision_id: int):
    """Approve, adjust or reject; a refusal answers 400 (the field named) or its own status (409) on
    the payments page."""
    action = request.form.get("action", "")
    reason = request.form.get("reason", "").strip()
    back = local_path(request.form.get("back"), "/staff/")
    try:
        with db_session() as s:
            decision = s.get(PaymentDecision, decision_id)
            if decision is None:
                abort(404, description="There is no such payment decision.")
            back = back or url_for("staff_pages.session_page", session_id=decision.session_id)
            if action == "approve":
                decisions.approve(s, decision_id, actor(), runtime.now(), note=reason)
                flash("Payment approved.", "success")
            elif action in ("adjust", "reject"):
                if not reason:
                    raise AmountError("Reason: Give a reason; it is kept with the payment for finance and audit.")
                if action == "adjust":
                    try:
                        amount = pence_from_pounds(request.form.get("amount", ""))
                    except AmountError as exc:
                        raise AmountError(f"Amount: {exc}") from exc
                    decisions.adjust(s, decision_id, amount, reason, actor(), runtime.now())
                    flash(f"Payment adjusted to {layout.pounds(amount)}.", "success")
                else:
                    decisions.reject(s, decision_id, reason, actor(), runtime.now())
                    flash("Payment rejected.", "success")
            else:
                abort(400, description="Choose approve, adjust or reject.")
    except AmountError as exc:
        flash(str(exc), "error")
        return payments(), 400
    except Refused as exc:  # the decision's state does not allow it, or the person was erased: 409
        flash(exc.message, "error")
        return payments(), exc.status
    return redirect(back or url_for("staff_pages.payments"))


@blueprint.get("/payments")
def payments():
    with db_session() as s:
        rows = list(s.execute(
            select(PaymentDecision, Person, Session)
            .join(Person, Person.id == PaymentDecision.person_id)
            .join(Session, Session.id == PaymentDecision.session_id)
            .where(PaymentDecision.is_current.is_(True), PaymentDecision.status.in_((*decisions.OPEN, "approved")))
            .order_by(Session.starts_at, Person.first_name)).all())
        year_checks = _year_checks(s, [d for d, _, _ in rows])
    return render_template("staff/payments.html", payments=[d for d, _, _ in rows], year_checks=year_checks,
                           people={p.id: p for _, p, _ in rows}, sessions_by_id={x.id: x for _, _, x in rows})


@blueprint.post("/payments/export")
def export_payments():
    """The finance CSV of approved payments not exported before (each payment in one batch only)."""
    with db_session() as s:
        result = export.export_approved(s, actor(), runtime.now(), runtime.settings().timezone)
    return Response(result.csv_text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payments-{result.batch}.csv"'})

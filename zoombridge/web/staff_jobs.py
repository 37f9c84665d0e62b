"""The "Jobs" staff page, and the session page's view of its own background work.

`/staff/jobs` lists the queues' jobs by business intent in plain words (failed, running, waiting
for their time, queued), each failure's reason in plain words, and a Retry button that puts a
failed job back on its queue as it was (audited). `/staff/sessions/<id>/work` is the session's
part of it (work in progress with "n of N", and what failed), which the session page shows and
its small script refreshes; without the script, the page's Refresh link does.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from zoombridge import job_board, runtime
from zoombridge.queue.connection import current_redis
from zoombridge.refusals import Refused
from zoombridge.store import db_session
from zoombridge.web import csrf, layout, staff_sign_in
from zoombridge.web.input_guards import local_path

blueprint = layout.html_errors(csrf.protect(Blueprint("staff_jobs", __name__, url_prefix="/staff")))
staff_sign_in.guard_blueprint(blueprint)


def session_work(session_id: int) -> job_board.Board:
    """The session's own jobs (the session page shows what is in progress and what failed)."""
    with db_session() as s:
        return job_board.read_board(s, current_redis()).for_session(session_id)


@blueprint.get("/jobs")
def jobs():
    with db_session() as s:
        board = job_board.read_board(s, current_redis())
    return render_template("staff/jobs.html", board=board)


@blueprint.post("/jobs/<job_id>/retry")
def retry(job_id: str):
    back = local_path(request.form.get("back"), "/staff/") or url_for("staff_jobs.jobs")
    try:
        with db_session() as s:
            line = job_board.retry(s, current_redis(), job_id, g.staff["email"], runtime.now())
    except Refused as exc:
        flash(exc.message, "error")
    else:
        flash(f"Trying again: {line.what}.", "success")
    return redirect(back)


@blueprint.get("/sessions/<int:session_id>/work")
def work(session_id: int):
    """The session page's "Work in progress" part alone, for its refresh script."""
    return render_template("staff/_work.html", work=session_work(session_id), session_id=session_id)

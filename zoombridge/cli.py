"""The `zoombridge` command: web, worker, scheduler, dev, db, staff, sandbox."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from zoombridge.config import BOOT_ERROR, ConfigError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """zoombridge runs the Zoom side of the organisation's online sessions."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT or 5000.")
@click.option("--workers", "web_workers", type=int, default=None, help="Default: $WEB_CONCURRENCY or 2.")
def web(host: str, port: int | None, web_workers: int | None) -> None:
    """Serve the web app with gunicorn (settings in zoombridge/gunicorn_config.py)."""
    try:  # fail here, in one line, rather than inside every gunicorn worker
        load_settings()
    except ConfigError as exc:
        click.echo(f"zoombridge: {exc}", err=True)
        sys.exit(BOOT_ERROR)  # as gunicorn's workers would: stop, don't respawn
    port = port or int(os.environ.get("PORT", "5000"))
    args = ["gunicorn", "--config", "python:zoombridge.gunicorn_config", "--bind", f"{host}:{port}"]
    if web_workers:
        args += ["--workers", str(web_workers)]
    os.execvp(sys.executable, [sys.executable, "-m", *args, "zoombridge.wsgi:app"])


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of forking.")
def worker(burst: bool, simple: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed jobs) on every zoombridge queue."""
    from workers.__main__ import run_worker

    run_worker(_settings(), burst=burst, simple=simple)


@main.command()
def scheduler() -> None:
    """Enqueue periodic jobs (one such process per deployment)."""
    from workers.__main__ import run_scheduler

    run_scheduler(_settings())


@main.command()
@click.option("--port", type=int, default=None, help="Default: $PORT or 5000.")
def dev(port: int | None) -> None:
    """Everything in one command on the embedded defaults: web, worker and scheduler."""
    from zoombridge.dev import run_dev

    sys.exit(run_dev(_settings(), port or int(os.environ.get("PORT", "5000"))))


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from zoombridge.store.migrate import upgrade

    settings = _settings()
    os.makedirs(settings.instance_dir, exist_ok=True)
    upgrade(settings.effective_database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    from zoombridge.store.migrate import downgrade

    downgrade(_settings().effective_database_url, revision)
    click.echo(f"database at {revision}")


@main.group()
def staff() -> None:
    """Staff access."""


@staff.command("add-token")
@click.argument("name")
@click.option("--days", type=int, default=None, help="How long it works. Default: $ZOOMBRIDGE_STAFF_TOKEN_DAYS or 90.")
@click.option("--email", default=None, help="The staff member it is for: it stops working when they leave the list.")
def staff_add_token(name: str, days: int | None, email: str | None) -> None:
    """Make an API token for NAME; it is printed once, on the last line, and never stored."""
    from zoombridge import staff_members, staff_tokens
    from zoombridge.runtime import now

    settings = _settings()
    with _app_session(settings) as s:
        person = None
        if email is not None:
            person = staff_members.find(s, email)
            if person is None:
                raise click.ClickException(f"{email} is not on the staff list (zoombridge staff add)")
        try:
            token = staff_tokens.issue(s, name, now(), days or settings.staff_token_days, person)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"API token for {' '.join(name.split())} (shown once; keep it somewhere safe; "
               f"it works for {days or settings.staff_token_days} days):", err=True)
    click.echo(token)


@staff.command("tokens")
def staff_list_tokens() -> None:
    """List staff API tokens: id, state, name, last characters, expiry, last use (never the token)."""
    from zoombridge import staff_tokens
    from zoombridge.runtime import now

    with _app_session(_settings()) as s:
        rows, at = staff_tokens.listing(s), now()
    click.echo("id  state    name  (…ending)  expires  last used  staff member")
    for row in rows:
        click.echo(f"{row.id}  {row.state(at)}  {row.name}  (…{row.hint})  "
                   f"{_day(row.expires_at)}  {_day(row.last_used_at)}  {row.staff_email or '-'}")


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


@staff.command("revoke-token")
@click.argument("token_id", type=int)
def staff_revoke_token(token_id: int) -> None:
    """Revoke staff API token TOKEN_ID (see `zoombridge staff tokens`): it stops working at once."""
    from zoombridge import staff_tokens
    from zoombridge.runtime import now

    with _app_session(_settings()) as s:
        try:
            row = staff_tokens.revoke(s, token_id, now())
        except staff_tokens.TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"token {row.id} ({row.name}) revoked")


@staff.command("add")
@click.argument("email")
@click.argument("first_name", default="")
def staff_add(email: str, first_name: str) -> None:
    """Put EMAIL on the staff list: that Zoom user may then sign in to the staff pages."""
    from zoombridge import staff_members
    from zoombridge.runtime import now

    with _app_session(_settings()) as s:
        try:
            person = staff_members.add(s, email, first_name, now())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{person.email} is on the staff list as {person.first_name}")


@staff.command("remove")
@click.argument("email")
def staff_remove(email: str) -> None:
    """Take EMAIL off the staff list: their sign-in and the tokens made for them stop working at once."""
    from zoombridge import staff_members
    from zoombridge.runtime import now

    with _app_session(_settings()) as s:
        removed = staff_members.remove(s, email, now())
    click.echo(f"{email} removed from the staff list; signed out everywhere" if removed
               else f"{email} was not on the staff list")


@contextmanager
def _app_session(settings: Settings):
    """One unit of work inside the app (its database and clock), for a command."""
    from zoombridge.app import create_app
    from zoombridge.store import db_session

    app = create_app(settings)
    with app.app_context(), db_session() as s:
        yield s


@main.group()
def sandbox() -> None:
    """The Zoom stand-in and its meeting player (development, rehearsals, tests)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: 5001.")
def sandbox_serve(host: str, port: int | None) -> None:
    """Serve the Zoom stand-in (state in memory; Ctrl-C stops it)."""
    import signal

    from zoombridge import logs
    from zoombridge.sandbox import STANDIN_DEFAULT_PORT
    from zoombridge.sandbox.app import create_standin_app
    from zoombridge.sandbox.server import StandinServer

    logs.configure()
    server = StandinServer(create_standin_app(), host, STANDIN_DEFAULT_PORT if port is None else port)

    def stop(*_args) -> None:
        raise KeyboardInterrupt  # SIGTERM (from `zoombridge dev`) ends it like Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Zoom stand-in on {server.url} (API {server.url}/v2, controls {server.url}/_sandbox/)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@sandbox.command("play")
@click.option("--meeting", "meeting_id", type=int, required=True, help="The stand-in meeting id.")
@click.option("--script", type=click.Choice(["cuppa", "network", "copro"]), required=True)
@click.option("--target", default=None, help="Webhook URL. Default: <public base URL>/zoom/webhook.")
@click.option("--omit", type=int, multiple=True, help="Delivery number to lose (repeatable); see --list.")
@click.option("--standin", "standin_url", default=None, help="Stand-in URL. Default: the configured one.")
@click.option("--pace", type=float, default=None, help="Play in time: 1 = real time, 60 = a minute a second.")
@click.option("--guest", "guests", multiple=True, help="Someone joining by the generic link under this name "
              "(no registrant id, no email; repeatable).")
@click.option("--list", "list_only", is_flag=True, help="Number and describe the deliveries; send nothing.")
def sandbox_play(meeting_id: int, script: str, target: str | None, omit: tuple[int, ...],
                 standin_url: str | None, pace: float | None, guests: tuple[str, ...], list_only: bool) -> None:
    """Play a session's webhooks to the service, then leave the matching report on the stand-in."""
    from zoombridge.sandbox.player import MeetingPlayer
    from zoombridge.zoom import zoom_endpoints

    settings = _settings()
    standin_url = standin_url or zoom_endpoints(settings)[1]
    player = MeetingPlayer(standin_url, settings.webhook_secret)
    try:
        if list_only:
            performance = player.performance(meeting_id, script, guests=guests)
            for number, delivery in enumerate(performance.deliveries, start=1):
                seconds = int(delivery.offset.total_seconds())
                offset = f"{'-' if seconds < 0 else '+'}{abs(seconds) // 3600}:{abs(seconds) // 60 % 60:02d}:{abs(seconds) % 60:02d}"
                click.echo(f"{number:3d}  {offset}  {delivery.event}  {delivery.note}".rstrip())
            return
        target = target or settings.public_base_url.rstrip("/") + "/zoom/webhook"
        result = player.play(meeting_id, script, target, omit=omit, pace=pace, guests=guests)
    except (LookupError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"played {script} for meeting {meeting_id}: {len(result.delivered)} delivered, "
               f"{len(result.omitted)} omitted, {len(result.failed)} refused by {target}")
    for number, delivery, status in result.failed:
        click.echo(f"  #{number} {delivery.event}: HTTP {status}", err=True)


if __name__ == "__main__":
    main()

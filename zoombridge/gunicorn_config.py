"""How gunicorn serves the web app (`zoombridge web` and the Procfile both use this file).

Slow clients: a sync worker is held by one request until its body has arrived, so two sockets
trickling a body stalled `/healthz` and the webhook with the old two sync workers. Here each
worker runs threads (`gthread`): gunicorn's main loop waits for a request's first bytes without
holding a thread (and hands a connection that sends nothing back to the poller after 5 s), and a
request whose body has not arrived within `ZOOMBRIDGE_BODY_READ_SECONDS` (20) is cut off by the app
(`zoombridge.web.input_guards.BodyLimit`), so a slow client holds one thread for a bounded time,
not a worker. That bounds the harm; it does not remove it: `WEB_CONCURRENCY` × `WEB_THREADS`
slow clients can still occupy every thread. In production put a buffering reverse proxy in front
(nginx, or a platform router that buffers whole requests) as gunicorn's own deployment guide asks:
it absorbs slow clients and hands gunicorn complete requests.

Group commit (issue 17): the webhook path waits on the database, and while one thread commits a
group of deliveries the requests arriving meanwhile wait in their own threads and go into the next
group (`zoombridge.store.inbox.InboxWriter`); a group is at most a process's threads, so as many
threads as a process has connections (32 for 64 connections on two processes) lets a burst form
large groups instead of queueing at the poller. Measured in `bench/RESULTS.md`.

Settings from the environment: `PORT` (and `--host`), `WEB_CONCURRENCY` (workers, default 2),
`WEB_THREADS` (threads per worker, default 32).
"""

import os

# The app is built once in the master, before any worker is forked (create_app opens no
# connection, so nothing is shared by accident): bad settings then stop gunicorn at once with
# exit code 3, instead of each worker failing to boot (two workers failing together made
# gunicorn's own halt trip over the second one and exit 1 with a traceback).
preload_app = True
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "32"))
timeout = 30  # a worker whose main loop is silent this long is replaced
graceful_timeout = 20
keepalive = 5
# Bounded request heads: a line or header past these is answered 400 by gunicorn itself.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
control_socket_disable = True
# The path without its query string: queries can carry personal data (a sign-in hint, a search).
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "zoombridge.gunicorn_logging.EscapingLogger"  # a %0A in a path cannot forge a line
loglevel = "warning"

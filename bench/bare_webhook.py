"""The baseline for `webhook_ingest`: the same Flask + gunicorn setup, and only the HMAC check."""

from __future__ import annotations

import os

from flask import Flask, request

from zoombridge.zoom.signature import is_valid

app = Flask(__name__)
SECRET = os.environ.get("ZOOM_WEBHOOK_SECRET_TOKEN", "bench-secret")


@app.post("/zoom/webhook")
def receive():
    raw = request.get_data(cache=False)
    if not is_valid(SECRET, request.headers.get("x-zm-request-timestamp"), raw,
                    request.headers.get("x-zm-signature")):
        return "", 401
    return "", 200

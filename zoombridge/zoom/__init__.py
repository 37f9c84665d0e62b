"""Talking to Zoom: the REST client, its errors and webhook signatures.

`current_zoom_client()` is what jobs call: a client for the running app, with the token cache
and the daily-limit breaker in the app's Redis. Without Zoom credentials (development, tests,
rehearsals) it talks to the stand-in (`zoombridge.sandbox`) with the stand-in's fixed
development credentials, at `zoom_api_base`/`zoom_oauth_base` when those were pointed away from
Zoom (as `zoombridge dev` does), else at the stand-in's default address: never at zoom.us with
made-up credentials.
"""

from __future__ import annotations

import os
import time

from zoombridge.config import Settings

ZOOM_API_BASE = "https://api.zoom.us/v2"
ZOOM_OAUTH_BASE = "https://zoom.us"
CLIENT_EXTENSION = "zoombridge.zoom.client"
SLEEP_EXTENSION = "zoombridge.zoom.sleep"  # tests put a clock-advancing sleep here


def zoom_endpoints(settings: Settings) -> tuple[str, str]:
    """(API base, OAuth base) the app's client uses."""
    api_base, oauth_base = settings.zoom_api_base.rstrip("/"), settings.zoom_oauth_base.rstrip("/")
    if settings.uses_zoom_standin:
        from zoombridge.sandbox import STANDIN_DEFAULT_URL

        if api_base == ZOOM_API_BASE:
            api_base = STANDIN_DEFAULT_URL + "/v2"
        if oauth_base == ZOOM_OAUTH_BASE:
            oauth_base = STANDIN_DEFAULT_URL
    return api_base, oauth_base


def zoom_credentials(settings: Settings):
    from zoombridge.zoom.token import Credentials

    if settings.uses_zoom_standin:
        from zoombridge.sandbox import STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET

        return Credentials(STANDIN_ACCOUNT_ID, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET)
    return Credentials(settings.zoom_account_id, settings.zoom_client_id, settings.zoom_client_secret)


def current_zoom_client():
    """The running app's `ZoomClient` (made once per app; it keeps its HTTP connections)."""
    from flask import current_app

    from zoombridge.queue.connection import current_redis
    from zoombridge.runtime import clock, settings
    from zoombridge.zoom.client import ZoomClient

    cached = current_app.extensions.get(CLIENT_EXTENSION)
    if cached is not None and cached[0] == os.getpid():  # a forked work horse makes its own:
        return cached[1]  # pooled sockets must not cross a fork
    api_base, oauth_base = zoom_endpoints(settings())
    client = ZoomClient(credentials=zoom_credentials(settings()), api_base=api_base, oauth_base=oauth_base,
                        connection=current_redis(), clock=clock(),
                        sleep=current_app.extensions.get(SLEEP_EXTENSION, time.sleep))
    current_app.extensions[CLIENT_EXTENSION] = (os.getpid(), client)
    return client

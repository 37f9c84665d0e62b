"""What request and job code asks the running app for: settings, the clock."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from zoombridge.clock import Clock
from zoombridge.config import Settings


def settings() -> Settings:
    return current_app.config["ZOOMBRIDGE_SETTINGS"]


def clock() -> Clock:
    return current_app.extensions["zoombridge.clock"]


def now() -> datetime:
    return clock().now()

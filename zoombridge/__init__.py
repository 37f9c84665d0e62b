"""zoombridge: the Zoom side of a community organisation's online sessions.

Importing the package loads nothing: the Flask app factory lives in `zoombridge.app`, so the
pure modules (planning, attendance algebra, payment policy) load without Flask, SQLAlchemy or
RQ. `from zoombridge import create_app` still works; it imports `zoombridge.app` on first use.
"""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from zoombridge.app import create_app

        return create_app
    raise AttributeError(f"module 'zoombridge' has no attribute {name!r}")

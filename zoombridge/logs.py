"""Structured log lines (`event=... key=value`), one per thing that happened.

Callers pass already-masked values (see `zoombridge.privacy`): nothing here can tell a name
from an email, so the rule is kept where the data is known.
"""

from __future__ import annotations

import logging
import sys

_configured = False


def _render(value) -> str:
    text = str(value)
    if not text or any(c in text for c in ' ="'):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields) -> None:
    if logger.isEnabledFor(level):
        line = " ".join([f"event={name}"] + [f"{k}={_render(v)}" for k, v in fields.items()])
        logger.log(level, line)


def configure(level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    root = logging.getLogger(__name__)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("workers",):
        other = logging.getLogger(name)
        other.addHandler(handler)
        other.setLevel(level)
    _configured = True

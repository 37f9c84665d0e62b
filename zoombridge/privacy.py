"""Masks for personal data in logs: enough to tell records apart, not enough to contact anyone."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return "-" if not email else "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "-"
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-3:])


def mask_url(url: str | None) -> str:
    """Keep the host, drop path and query: join links and caption URLs carry credentials."""
    if not url:
        return "-"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/***" if parts.netloc else "***"


def fingerprint(secret: str | None) -> str:
    """A short, stable, non-reversible tag for a token or key (to correlate log lines)."""
    if not secret:
        return "-"
    return hashlib.sha256(secret.encode()).hexdigest()[:8]

"""Masks for personal data in logs: enough to tell records apart, not enough to contact anyone."""

from __future__ import annotations

import hashlib
import re
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


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_URL = re.compile(r"https?://[^\s'\"<>]+")
_PHONE = re.compile(r"(?<![\w.:-])(?:\+\d[\d ()-]{8,}\d|\(?0\d[\d ()-]{7,}\d)(?![\w.:-])")
_TOKEN = re.compile(r"\b(Bearer\s+|zbc?_)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)  # zbc_: a confirmation link


def scrub(text: str) -> str:
    """Mask what may be personal data or a credential in free text (an error message, a
    traceback): emails, links (host kept), phone-like digit runs, bearer and staff tokens."""
    text = _TOKEN.sub(lambda m: m.group(1) + "***", text)
    text = _URL.sub(lambda m: mask_url(m.group(0)), text)
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)

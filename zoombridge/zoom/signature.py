"""Zoom webhook signatures, over the raw body bytes.

`x-zm-signature` is `v0=` + hex(HMAC-SHA256(secret, "v0:{x-zm-request-timestamp}:{body}")).
The body must be the bytes Zoom sent: re-serialising parsed JSON changes spacing and escapes
non-ASCII names (José, Zoë), and the signature no longer matches (docs/zoom.md §7).
Used by the receiver to verify, and by the stand-in's meeting player and the tests to send
deliveries the way Zoom does (`webhook_bytes`, `signed_headers`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    message = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_valid(secret: str, timestamp: str | None, body: bytes, signature: str | None) -> bool:
    if not timestamp or not signature:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode())


def webhook_bytes(body: dict) -> bytes:
    """The body as Zoom sends it: compact JSON, non-ASCII names (José, Zoë) as UTF-8."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, body: bytes, at: datetime, request_id: str | None = None) -> dict[str, str]:
    """The headers of a delivery signed at `at` (seconds, as Zoom's timestamp header is)."""
    timestamp = str(int(at.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Zoom Marketplace/1.0a",
               "x-zm-request-timestamp": timestamp, "x-zm-signature": sign(secret, timestamp, body)}
    if request_id:
        headers["x-zm-request-id"] = request_id
        headers["x-zm-trackingid"] = "standin_" + request_id[:8]
    return headers


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to `endpoint.url_validation`: the token and its HMAC-SHA256 in hex."""
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}

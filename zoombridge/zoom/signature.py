"""Zoom webhook signatures, over the raw body bytes.

`x-zm-signature` is `v0=` + hex(HMAC-SHA256(secret, "v0:{x-zm-request-timestamp}:{body}")).
The body must be the bytes Zoom sent: re-serialising parsed JSON changes spacing and escapes
non-ASCII names (José, Zoë), and the signature no longer matches (docs/zoom.md §7).
Used by the receiver to verify and by the stand-in's meeting player to sign.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    message = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_valid(secret: str, timestamp: str | None, body: bytes, signature: str | None) -> bool:
    if not timestamp or not signature:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode())


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to `endpoint.url_validation`: the token and its HMAC-SHA256 in hex."""
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}

"""Server-to-Server OAuth: one access token for every process, kept in Redis.

Zoom's S2S tokens last an hour and come without a refresh token; Zoom allows several live
tokens at once, so two workers fetching at the same moment is harmless and needs no lock.
What matters is that a hundred jobs do not fetch a hundred tokens: the token lives in Redis,
and is fetched again about a minute before it expires (Zoom's own SDK uses 60 s) or after a
401. authlib's stock session never re-fetches an `account_credentials` token (it raises
`InvalidTokenError` once expired, docs/zoom.md §1), hence the small subclass here.
Expiry is judged by the injected clock, not `time.time()`, so tests can move time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis
from authlib.integrations.requests_client import OAuth2Session

from zoombridge.clock import Clock
from zoombridge.logs import event
from zoombridge.privacy import fingerprint

log = logging.getLogger(__name__)

TOKEN_KEY_PREFIX = "zoombridge:zoom:token:"
REFRESH_LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class Credentials:
    """A Zoom Server-to-Server OAuth app: the account it belongs to and its client id/secret."""

    account_id: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never print the secret, even in a traceback
        return f"Credentials(account_id={self.account_id!r}, client_id={self.client_id!r}, client_secret=***)"


class SharedTokenCache:
    """The current access token in Redis, under a key per (token URL, account, client)."""

    def __init__(self, connection: redis.Redis, credentials: Credentials, token_url: str, clock: Clock,
                 leeway: int = REFRESH_LEEWAY_SECONDS):
        self.connection = connection
        self.clock = clock
        self.leeway = leeway
        self.key = TOKEN_KEY_PREFIX + fingerprint(f"{token_url}|{credentials.account_id}|{credentials.client_id}")

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def get(self) -> dict | None:
        """The cached token, or None when there is none or it expires within the leeway."""
        raw = self.connection.get(self.key)
        if raw is None:
            return None
        token = json.loads(raw)
        if token.get("expires_at", 0) - self.leeway <= self._now():
            return None
        return token

    def put(self, token: dict) -> None:
        stored = {k: token[k] for k in ("access_token", "token_type", "expires_at") if k in token}
        ttl = max(1, int(stored.get("expires_at", 0)) - self._now())
        self.connection.set(self.key, json.dumps(stored), ex=ttl)

    def discard(self, access_token: str | None) -> None:
        """Forget the token Zoom refused, unless another process already replaced it."""
        raw = self.connection.get(self.key)
        if raw is not None and json.loads(raw).get("access_token") == access_token:
            self.connection.delete(self.key)


class ZoomS2SSession(OAuth2Session):
    """An authlib session for `grant_type=account_credentials` that re-fetches on expiry.

    authlib calls `ensure_active_token` before every request it signs; here that reads the
    shared cache and fetches a new token when the cache has none that is still fresh.
    """

    def __init__(self, credentials: Credentials, token_url: str, cache: SharedTokenCache, clock: Clock,
                 timeout: float | tuple[float, float]):
        super().__init__(credentials.client_id, credentials.client_secret, token_endpoint=token_url,
                         grant_type="account_credentials", leeway=cache.leeway, default_timeout=timeout)
        self.account_id = credentials.account_id
        self.cache = cache
        self.clock = clock

    def fetch_token(self, url=None, **kwargs):
        kwargs.setdefault("account_id", self.account_id)
        token = super().fetch_token(url, **kwargs)
        token["expires_at"] = int(self.clock.now().timestamp()) + int(token.get("expires_in", 3600))
        self.token = token
        self.cache.put(token)
        event(log, "zoom_token_fetched", token=fingerprint(token.get("access_token")),
              expires_in=token.get("expires_in"))
        return token

    def ensure_active_token(self, token=None) -> bool:
        cached = self.cache.get()
        if cached is None:
            self.fetch_token()
        elif not self.token or self.token.get("access_token") != cached["access_token"]:
            self.token = cached
        return True

    def request(self, method, url, withhold_token=False, auth=None, **kwargs):
        if not withhold_token and auth is None and not self.token:
            self.ensure_active_token()  # first use: authlib refuses to sign without a token
        return super().request(method, url, withhold_token=withhold_token, auth=auth, **kwargs)

    def drop_token(self) -> None:
        """After a 401: forget this token here and in Redis, so the next request fetches anew."""
        if self.token:
            self.cache.discard(self.token.get("access_token"))
            self.token = {"access_token": "", "token_type": "bearer", "expires_at": 0}

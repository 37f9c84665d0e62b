"""The stand-in's fault switch: make the next calls fail the ways Zoom fails.

A fault is armed for a number of calls (optionally only for one method and path prefix) and
then disarms itself: `429` with `Retry-After` (per-second or daily), any 5xx, a refusal with
Zoom's status and error code (`1001` "User does not exist", `200` "No permission"), or a slow
answer (the call then goes on normally). Armed from tests through `FaultSwitch.arm` or over HTTP
(`POST /_sandbox/faults`) from a rehearsal.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

PER_SECOND_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = ("You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
                 "permitted for this particular user. You may resume these requests at GMT 00:00:00.")


@dataclass
class Fault:
    kind: str  # "rate_limit", "daily_limit", "server_error", "refusal", "slow"
    times: int = 1
    status: int = 500
    code: int | None = None  # a refusal's Zoom error code
    message: str | None = None  # a refusal's message
    retry_after: str | None = None
    delay_seconds: float = 0.0
    method: str | None = None
    path_prefix: str | None = None
    seen: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.path_prefix is None or path.startswith(self.path_prefix)))

    def response(self) -> tuple[int, dict, dict] | None:
        """(status, headers, body) to answer instead, or None to go on (after a delay)."""
        if self.kind == "rate_limit":
            headers = {"X-RateLimit-Type": "QPS", "X-RateLimit-Category": "Light"}
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            return 429, headers, {"code": 429, "message": PER_SECOND_MESSAGE}
        if self.kind == "daily_limit":
            headers = {"X-RateLimit-Type": "Daily-limit", "X-RateLimit-Category": "Medium"}
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            return 429, headers, {"code": 429, "message": DAILY_MESSAGE}
        if self.kind == "server_error":
            return self.status, {}, {"code": self.status, "message": "Internal error, try again later."}
        if self.kind == "refusal":
            return self.status, {}, {"code": self.code or self.status, "message": self.message or "Refused."}
        return None


KINDS = ("rate_limit", "daily_limit", "server_error", "refusal", "slow")


class FaultSwitch:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, kind: str, times: int = 1, **options) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(kind=kind, times=times, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault this call meets (using up one of its times), if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.seen += 1
                    if fault.seen >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def armed(self) -> list[dict]:
        with self._lock:
            return [dict(vars(f)) for f in self._faults]

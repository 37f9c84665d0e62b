"""The meeting player: plays a scripted session by POSTing signed webhooks to a target.

It reads the meeting and its approved registrants from the stand-in (so a test or rehearsal
registers people first, then plays), builds the script's deliveries (`scripts.perform`), and
POSTs each one as Zoom does: compact JSON bytes, `x-zm-request-timestamp` in seconds,
`x-zm-signature` over `v0:{timestamp}:{body}`, and `x-zm-request-id`. Deliveries chosen by
number are dropped (lost webhooks). Afterwards it records the played instance with the
stand-in, so the report endpoint serves the participant rows: the truth, lost webhooks included.

Time: payload times are the script's, from `start`. Deliveries go out at once, signed with the
injected clock's "now", unless `pace` is given (1.0 = real time, 60 = a minute a second), in
which case the player waits between deliveries with the injected sleep function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests

from zoombridge.clock import Clock, SystemClock
from zoombridge.logs import event
from zoombridge.sandbox.scripts import SCRIPTS, Attendee, Delivery, Performance, perform
from zoombridge.zoom.signature import signed_headers, webhook_bytes

log = logging.getLogger(__name__)


@dataclass
class PlayResult:
    performance: Performance
    delivered: list[tuple[int, Delivery, int]] = field(default_factory=list)  # (number, delivery, status)
    omitted: list[tuple[int, Delivery]] = field(default_factory=list)

    @property
    def failed(self) -> list[tuple[int, Delivery, int]]:
        return [d for d in self.delivered if not 200 <= d[2] < 300]


class MeetingPlayer:
    def __init__(self, standin_url: str, secret: str, *, clock: Clock | None = None,
                 sleep: Callable[[float], None] = time.sleep, http: requests.Session | None = None,
                 timeout: float = 10.0, seed: int = 0):
        self.standin_url = standin_url.rstrip("/")
        self.secret = secret
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self.http = http or requests.Session()
        self.timeout = timeout
        self.seed = seed

    def performance(self, meeting_id: int, script: str, start: datetime | None = None,
                    guests: Sequence[str] = ()) -> Performance:
        """The deliveries and report rows for `script`, cast from the meeting's registrants (and
        `guests` joining by the generic link). Without `start`, the session has just ended."""
        if script not in SCRIPTS:
            raise ValueError(f"unknown script {script!r}; choose from {', '.join(SCRIPTS)}")
        answer = self.http.get(f"{self.standin_url}/_sandbox/meetings/{meeting_id}", timeout=self.timeout)
        if answer.status_code == 404:
            raise LookupError(f"the stand-in has no meeting {meeting_id}")
        answer.raise_for_status()
        data = answer.json()
        attendees = [Attendee(r["id"], r.get("first_name", ""), r.get("email", ""), r.get("participant_pin_code"))
                     for r in data["registrants"]]
        chosen = SCRIPTS[script]
        if start is None:
            start = self.clock.now() - timedelta(minutes=chosen.minutes)
        return perform(chosen, data["meeting"], attendees, start, seed=self.seed, guests=guests)

    def play(self, meeting_id: int, script: str, target_url: str | None, *, start: datetime | None = None,
             omit: Iterable[int] = (), pace: float | None = None, guests: Sequence[str] = ()) -> PlayResult:
        """Deliver the script's webhooks (numbered from 1) to `target_url`, skipping `omit`;
        `target_url=None` delivers nothing (but still records the report)."""
        performance = self.performance(meeting_id, script, start, guests)
        result = PlayResult(performance)
        omitted = set(omit)
        previous = timedelta()
        for number, delivery in enumerate(performance.deliveries, start=1):
            if pace:
                wait = (delivery.offset - previous).total_seconds() / pace
                if wait > 0:
                    self.sleep(wait)
                previous = delivery.offset
            if number in omitted or target_url is None:
                result.omitted.append((number, delivery))
                continue
            status = self._post(target_url, delivery)
            result.delivered.append((number, delivery, status))
        self._record(meeting_id, performance)
        event(log, "meeting_played", meeting=meeting_id, script=script, delivered=len(result.delivered),
              omitted=len(result.omitted), failed=len(result.failed))
        return result

    def _post(self, target_url: str, delivery: Delivery) -> int:
        body = webhook_bytes(delivery.body)
        headers = signed_headers(self.secret, body, self.clock.now(), delivery.request_id)
        try:
            response = self.http.post(target_url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            event(log, "webhook_not_delivered", level=logging.WARNING, webhook=delivery.event, failure=type(exc).__name__)
            return 0
        return response.status_code

    def _record(self, meeting_id: int, performance: Performance) -> None:
        answer = self.http.post(f"{self.standin_url}/_sandbox/meetings/{meeting_id}/instances",
                                json=performance.instance_record(), timeout=self.timeout)
        answer.raise_for_status()

"""A feed route that holds requests open and counts how many are in flight at once."""

from __future__ import annotations

import threading

from tests.support.feedserver import RecordedRequest, Reply

WAIT_SECONDS = 10.0


class InFlightCounter:
    """Use as a route; ``peak`` is the most requests it ever held at once."""

    def __init__(self, body: bytes, *, hold_until: int) -> None:
        self._body = body
        self._hold_until = hold_until
        self._lock = threading.Lock()
        self._in_flight = 0
        self.peak = 0
        self._reached = threading.Event()
        self._gate = threading.Event()

    def __call__(self, _request: RecordedRequest) -> Reply:
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
            if self._in_flight == self._hold_until:
                self._reached.set()
        self._gate.wait(WAIT_SECONDS)
        with self._lock:
            self._in_flight -= 1
        return Reply(200, {"Content-Type": "application/rss+xml"}, self._body)

    def wait_until_held(self) -> bool:
        """Block until ``hold_until`` requests are in flight together."""
        return self._reached.wait(WAIT_SECONDS)

    def release(self) -> None:
        self._gate.set()

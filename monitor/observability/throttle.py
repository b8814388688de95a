"""Log lines about one recurring problem, throttled: the first at once, then at most one
per ``every`` seconds, each saying how many occurrences went unlogged in between. Used
where one cause fails every write or every page (a full disk, a site that refuses us),
so the log says so without a line per occurrence."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable


class LogThrottle:
    """When a line about ``key`` is due; the occurrences in between are counted."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._every, self._clock = every, clock
        self._logged_at: dict[Hashable, float] = {}
        self._quiet: Counter[Hashable] = Counter()

    def due(self, key: Hashable) -> int | None:
        """An occurrence of ``key``: None while its line would come too soon (counted),
        else how many occurrences since its last line went unlogged (a line is due)."""
        now = self._clock()
        logged_at = self._logged_at.get(key)
        if logged_at is not None and now - logged_at < self._every:
            self._quiet[key] += 1
            return None
        self._logged_at[key] = now
        return self._quiet.pop(key, 0)

    def forget(self, key: Hashable) -> None:
        """The problem is over: its next occurrence is logged at once."""
        self._logged_at.pop(key, None)
        self._quiet.pop(key, None)

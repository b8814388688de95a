"""What the API reads from: the store, the configuration running now, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.config import Config
from monitor.store import Store


@dataclass(frozen=True, slots=True)
class ApiSource:
    """Callables, so a config reload shows at the next request."""

    store: Store
    config: Callable[[], Config]
    clock: Callable[[], datetime]

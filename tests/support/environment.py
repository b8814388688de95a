"""An environment variable put back as it was (set to its value, or unset) on leaving."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def kept_in_environment(name: str) -> Iterator[None]:
    """``os.environ[name]`` as it was on entering, whatever happened inside."""
    before = os.environ.get(name)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before

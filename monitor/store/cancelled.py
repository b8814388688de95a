"""A write cancelled after its COMMIT went out is finished, not abandoned (decision 0081).

Once the COMMIT is sent, the server may commit whatever the client does next: a caller
told "cancelled" would believe "not written" of articles and alerts that are stored. So
from that moment the commit's answer is waited for, shielded from the caller's
cancellation, for at most ``grace`` seconds. The cancellation is never swallowed: the
caller still gets a ``CancelledError``, and it says what happened:

- the server answered the commit: :class:`CancelledWriteError` with ``committed=True``
  and ``outcome``, what the call returns (the alerts created, the rows counted);
- no answer within ``grace``: :class:`CancelledWriteError` with ``committed=None``, stored
  or not; whoever keeps state about the write reads the store again (the ingest reloads
  its story index from it);
- the server refused the commit: a plain ``CancelledError``, nothing is stored.

A caller that does not care sees a cancellation, as before; one that keeps state about the
write (the ingest's writer) catches :class:`CancelledWriteError` and settles first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class CancelledWriteError(asyncio.CancelledError):
    """The caller was cancelled while its write's COMMIT was out. ``committed``: True
    (stored; ``outcome`` is what the call returns) or None (no answer came: maybe stored)."""

    def __init__(self, committed: bool | None, outcome: object = None) -> None:
        super().__init__("stored" if committed else "maybe stored")
        self.committed, self.outcome = committed, outcome

    def having(self, outcome: object) -> CancelledWriteError:
        """This error with the call's ``outcome`` (known where the commit is not)."""
        self.outcome = outcome
        return self


async def finish_commit(commit: Coroutine[Any, Any, T], grace: float) -> T:
    """``commit`` (sends the COMMIT and reads its answer) run to its end even when the caller
    is cancelled meanwhile; then :class:`CancelledWriteError` says how it ended."""
    task = asyncio.ensure_future(commit)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await answered_after_cancel(task, grace)


async def answered_after_cancel(answer: asyncio.Future[Any], grace: float | None) -> NoReturn:
    """Wait (at most ``grace`` seconds; None: as long as it takes) for ``answer``, the end
    of a write its caller was cancelled during; raise what :func:`finish_commit` says."""
    with contextlib.suppress(asyncio.CancelledError):  # cancelled again: no more waiting
        await asyncio.wait({answer}, timeout=grace)
    if not answer.done():
        answer.cancel()  # the driver then asks the server to cancel, or drops the connection
        with contextlib.suppress(BaseException):
            await answer
        raise CancelledWriteError(None)
    if answer.cancelled() or answer.exception() is not None:
        raise asyncio.CancelledError  # refused: nothing stored
    raise CancelledWriteError(True, answer.result())

"""A write cancelled after its COMMIT went out is finished, not abandoned (decision 0081).

Once the COMMIT is sent, the server may commit whatever the client does next: a caller
told only "cancelled" would believe "not written" of articles and alerts that are stored.
So from that moment the commit's answer is waited for, shielded from the caller's
cancellation, for at most ``grace`` seconds. The cancellation is never swallowed, and it
stays a plain ``CancelledError``: ``asyncio.timeout``, ``wait_for`` and ``TaskGroup``
recognise it as their own (on Python 3.11 ``asyncio.timeout`` turns only
``CancelledError`` itself into ``TimeoutError``).

How the write ended is told beside the error, to a caller that asks: one that keeps state
about the write (the ingest's writer) makes the call inside :func:`write_ending`, and the
:class:`WriteEnding` it holds then says

- ``Stored.YES``: the server answered the commit; ``outcome`` is what the call returns
  (the alerts created, the rows counted);
- ``Stored.MAYBE``: no answer within ``grace``, stored or not; whoever keeps state about
  the write reads the store again (the ingest reloads its story index from it);
- ``Stored.NO``: cancelled before the COMMIT went out, or the server refused it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class Stored(enum.Enum):
    """Whether a write its caller was cancelled during is stored."""

    NO = "not stored"
    YES = "stored"
    MAYBE = "maybe stored"


@dataclass(slots=True)
class WriteEnding:
    """How the write made inside :func:`write_ending` ended if its caller was cancelled."""

    stored: Stored = Stored.NO
    outcome: object = None  # what the call returns; meant only when ``stored`` is YES


@dataclass(slots=True, frozen=True)
class _Listening:
    ending: WriteEnding
    task: asyncio.Task[Any] | None  # the task whose block it is


# A task made inside a block copies the context, this variable with it: the task is kept
# so that only the block's own task reports (see _listener).
_LISTENER: ContextVar[_Listening | None] = ContextVar("write_ending", default=None)


@contextlib.contextmanager
def write_ending() -> Iterator[WriteEnding]:
    """Inside, a store write whose caller is cancelled once its COMMIT is out says in the
    :class:`WriteEnding` yielded how it ended (one write call per block). Within another
    such block of the same task it is that block's: the outer caller hears it too.

    Only writes made in the task that opened the block report into it: a task made inside
    it (``asyncio.create_task``, ``shield`` or, on Python 3.11, ``wait_for`` of a
    coroutine) copies the context, but what its writes tell is not this block's write.
    Such a task that wants its write's ending opens a block of its own."""
    if (outer := _listener()) is not None:
        yield outer
        return
    ending = WriteEnding()
    token = _LISTENER.set(_Listening(ending, _current_task()))
    try:
        yield ending
    finally:
        _LISTENER.reset(token)


def _listener() -> WriteEnding | None:
    """The ending of the block the current task opened, if it is inside one."""
    listening = _LISTENER.get()
    if listening is None or listening.task is not _current_task():
        return None
    return listening.ending


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop running in this thread
        return None


def returning(outcome: object) -> None:
    """Before its COMMIT: what the write's call returns, told if its caller is cancelled
    and the write stored (where the commit's answer does not carry it)."""
    if (ending := _listener()) is not None:
        ending.outcome = outcome


def committed(outcome: object) -> None:
    """After its COMMIT was answered, while the call still has work to do (a refresh of
    statistics, say): a cancellation from here on is told "stored", with ``outcome``."""
    if (ending := _listener()) is not None:
        ending.stored, ending.outcome = Stored.YES, outcome


async def finish_commit(commit: Coroutine[Any, Any, T], grace: float) -> T:
    """``commit`` (sends the COMMIT and reads its answer) run to its end even when the caller
    is cancelled meanwhile; then a plain ``CancelledError``, the ending told."""
    task = asyncio.ensure_future(commit)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        raise _told(await _ended(task, grace)) from None


async def answered_after_cancel(answer: asyncio.Future[Any], grace: float | None) -> NoReturn:
    """Wait (at most ``grace`` seconds; None: as long as it takes) for ``answer``, the end
    of a write its caller was cancelled during, whose result the call returns; then a plain
    ``CancelledError``, the ending told."""
    stored = await _ended(answer, grace)
    if stored is Stored.YES:
        returning(answer.result())
    raise _told(stored)


async def _ended(answer: asyncio.Future[Any], grace: float | None) -> Stored:
    with contextlib.suppress(asyncio.CancelledError):  # cancelled again: no more waiting
        await asyncio.wait({answer}, timeout=grace)
    if not answer.done():
        answer.cancel()  # the driver then asks the server to cancel, or drops the connection
        with contextlib.suppress(BaseException):
            await answer
        return Stored.MAYBE
    if answer.cancelled() or answer.exception() is not None:
        return Stored.NO  # refused: nothing stored
    return Stored.YES


def _told(stored: Stored) -> asyncio.CancelledError:
    if (ending := _listener()) is not None:
        ending.stored = stored
    return asyncio.CancelledError(stored.value)

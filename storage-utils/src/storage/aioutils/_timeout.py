"""AsyncTimeoutStore: a deadline per operation, for async stores."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Awaitable, Callable, Optional, TypeVar

from storage.aioutils._guarded import AsyncGuardedStore
from storage.utils._deadline import TimeoutRules

__all__ = ["AsyncTimeoutStore"]

T = TypeVar("T")


def _wake(waiter: asyncio.Future[None], _: object) -> None:
    """End the wait of ``waiter`` (the operation ended, or the deadline passed)."""
    if not waiter.done():
        waiter.set_result(None)


async def _cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` and wait until it has ended."""
    task.cancel()
    await asyncio.wait((task,))


class AsyncTimeoutStore(TimeoutRules, AsyncGuardedStore):
    """Raises ``StoreUnavailable`` (retryable) when an operation takes longer than ``seconds``.

    At the deadline **the interrupted coroutine is cancelled** (``CancelledError`` is raised
    inside it at the ``await`` where it waits) and the error is raised once it has ended. What
    it already handed on cannot be recalled: a request a server received may still complete
    there, and a store that runs blocking work in a thread (the filesystem and SQLite twins)
    cannot stop that thread, so such an operation may still complete after the error. A put
    never leaves a partial object: every first-party store writes all or nothing. Each step of a
    ``keys()`` listing, and each batch (``get_many``, ``put_many``, ``delete_many``), has one
    deadline.

    A caller that is cancelled (``task.cancel()``) always gets ``CancelledError``, on every
    Python version, even if the operation ended at the same moment; the operation is cancelled
    and waited for first.
    """

    def __init__(self, store: Any, seconds: float) -> None:
        super().__init__(store)
        self._set_seconds(seconds)

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(call())
        waiter = loop.create_future()
        wake = functools.partial(_wake, waiter)
        deadline = loop.call_later(self.seconds, wake, None)
        task.add_done_callback(wake)
        try:
            await waiter
        except asyncio.CancelledError:
            await _cancel_and_wait(task)
            if not task.cancelled():
                task.exception()  # retrieved: the caller's cancellation is what it gets
            raise
        finally:
            deadline.cancel()
            task.remove_done_callback(wake)
        if not task.done():
            await _cancel_and_wait(task)
            if task.cancelled():
                raise self._timed_out(operation, key)
        return task.result()

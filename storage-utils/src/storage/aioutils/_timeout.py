"""AsyncTimeoutStore: a deadline per operation, for async stores."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Optional, TypeVar

from storage.aioutils._guarded import AsyncGuardedStore
from storage.utils._deadline import TimeoutRules

__all__ = ["AsyncTimeoutStore"]

T = TypeVar("T")


class AsyncTimeoutStore(TimeoutRules, AsyncGuardedStore):
    """Raises ``StoreUnavailable`` (retryable) when an operation takes longer than ``seconds``.

    The operation runs under ``asyncio.wait_for``: at the deadline **the interrupted coroutine is
    cancelled** (``CancelledError`` is raised inside it at the ``await`` where it waits). What it
    already handed on cannot be recalled: a request a server received may still complete there,
    and a store that runs blocking work in a thread (the filesystem and SQLite twins) cannot stop
    that thread, so such an operation may still complete after the error. A put never leaves a
    partial object: every first-party store writes all or nothing. Each step of a ``keys()``
    listing has its own deadline.
    """

    def __init__(self, store: Any, seconds: float) -> None:
        super().__init__(store)
        self._set_seconds(seconds)

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await asyncio.wait_for(call(), self.seconds)
        except asyncio.TimeoutError as err:
            raise self._timed_out(operation, key) from err

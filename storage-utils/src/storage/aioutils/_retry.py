"""AsyncRetryStore: retries operations that failed with a retryable error."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, TypeVar, cast

from storage.aioutils._guarded import AsyncGuardedStore
from storage.utils._retrying import RetryRules

__all__ = ["AsyncRetryStore"]

T = TypeVar("T")


class AsyncRetryStore(RetryRules, AsyncGuardedStore):
    """Retries ``get``, ``put``, ``exists``, ``delete`` and ``keys`` on retryable errors.

    The rules of ``storage.utils.RetryStore``: only retryable errors, exponential backoff with
    full jitter, a WARNING per retry on ``storage.retry``, ``keys()`` only until its first key,
    a batch whole; a ``delete`` whose retry finds no object is done, a retried
    ``put(if_absent=True)`` finding an object raises ``AlreadyExists``, ``rename`` is not
    retried. ``sleep`` (a class attribute, replaceable per instance) is a coroutine function.
    """

    sleep: Callable[[float], Awaitable[Any]] = staticmethod(asyncio.sleep)

    def __init__(
        self, store: Any, attempts: int = 3, backoff: float = 0.1, max_delay: float = 5.0, jitter: bool = True
    ) -> None:
        super().__init__(store)
        self._set_policy(attempts, backoff, max_delay, jitter)

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        attempt = 1
        while True:
            try:
                return await call()
            except Exception as err:
                error = err if attempt == 1 else self._retry_failed(operation, key, err)
                if error is None:
                    return cast(T, None)
                wait = self._next_delay(error, attempt, operation, key)
                if wait is None:
                    if error is err:
                        raise
                    raise error from err
            await self.sleep(wait)
            attempt += 1

    async def _steps(self, prefix: str) -> AsyncIterator[str]:
        async def start() -> tuple[AsyncIterator[str], Optional[str]]:
            listing = self.store.keys(prefix).__aiter__()
            try:
                return listing, await listing.__anext__()
            except StopAsyncIteration:
                return listing, None

        listing, first = await self._guard("keys", None, start)
        if first is None:
            return
        yield first
        async for key in listing:
            yield key

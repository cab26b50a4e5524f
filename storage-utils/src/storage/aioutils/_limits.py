"""AsyncConcurrencyLimitStore: at most N operations at once on the wrapped store."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, Awaitable, Callable, ClassVar, Optional, TypeVar

from storage.aioutils._guarded import AsyncGuardedStore
from storage.utils._limiting import LimitRules
from storage.wrapper import instance_lock

__all__ = ["AsyncConcurrencyLimitStore"]

T = TypeVar("T")


class AsyncConcurrencyLimitStore(LimitRules, AsyncGuardedStore):
    """Lets at most ``max_concurrency`` operations run at once; the other tasks wait their turn.

    The limit is shared by every task using this store instance, in each event loop (a store
    used from several loops has the limit in each). A ``keys()`` listing takes a slot for each
    step; a batch (``get_many``, ``put_many``, ``delete_many``) takes one slot.

    An operation keeps its slot until it has really ended: a caller that is cancelled or times
    out while its operation runs gets ``CancelledError`` at once, and the operation runs on to
    its end (the work of a thread-backed store, which cannot be stopped, counts towards the
    limit until it is done).
    """

    _transient_attrs: ClassVar[tuple[str, ...]] = ("_semaphores", "_semaphores_lock")
    _semaphores: Optional[weakref.WeakKeyDictionary[Any, asyncio.Semaphore]] = None

    def __init__(self, store: Any, max_concurrency: int) -> None:
        super().__init__(store)
        self._set_limit(max_concurrency)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with instance_lock(self, "_semaphores_lock", threading.Lock):
            semaphores = self._semaphores
            if semaphores is None:
                semaphores = self._semaphores = weakref.WeakKeyDictionary()
            semaphore = semaphores.get(loop)
            if semaphore is None:
                semaphore = semaphores[loop] = asyncio.Semaphore(self.max_concurrency)
            return semaphore

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        semaphore = self._semaphore()
        await semaphore.acquire()
        return await asyncio.shield(_holding(semaphore, call))


async def _holding(semaphore: asyncio.Semaphore, call: Callable[[], Awaitable[T]]) -> T:
    """Await ``call()``, then give back the slot of ``semaphore`` it holds."""
    try:
        return await call()
    finally:
        semaphore.release()

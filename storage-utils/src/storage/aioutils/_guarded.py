"""AsyncGuardedStore: an async decorator that runs every call of the wrapped store through one hook."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Optional, TypeVar

from storage.wrapper import AsyncStoreWrapper

__all__ = ["AsyncGuardedStore"]

T = TypeVar("T")


class AsyncGuardedStore(AsyncStoreWrapper):
    """Forwards ``get``, ``put``, ``exists``, ``delete`` and each step of ``keys`` through ``_guard``.

    ``_guard`` gets a function making the call's awaitable, so it can make it again (retries).
    """

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` (one call of the wrapped store) under this layer's rule."""
        raise NotImplementedError

    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, guarded."""
        await self._check("get")
        return await self._guard("get", key, lambda: self.store.get(key))

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, guarded."""
        await self._check("put")
        await self._guard("put", key, lambda: self.store.put(key, data, if_absent=if_absent))

    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, guarded."""
        await self._check("exists")
        return await self._guard("exists", key, lambda: self.store.exists(key))

    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, guarded."""
        await self._check("delete")
        await self._guard("delete", key, lambda: self.store.delete(key))

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, each step (fetching the next key) guarded."""
        await self._check("keys")
        async for key in self._steps(prefix):
            yield key

    async def _steps(self, prefix: str) -> AsyncIterator[str]:
        listing = self.store.keys(prefix).__aiter__()
        while True:
            try:
                key = await self._guard("keys", None, listing.__anext__)
            except StopAsyncIteration:
                return
            yield key

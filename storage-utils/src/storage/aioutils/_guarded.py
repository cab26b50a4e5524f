"""AsyncGuardedStore: an async decorator that runs every call of the wrapped store through one hook."""

from __future__ import annotations

import functools
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Optional, TypeVar

from storage._base import Items
from storage.metadata import ListResult, ObjectInfo
from storage.streams import AsyncFileAdapter
from storage.utils._guarded import reusable
from storage.wrapper import AsyncStoreWrapper, passes_values

__all__ = ["AsyncGuardedStore"]

T = TypeVar("T")


class AsyncGuardedStore(AsyncStoreWrapper):
    """Forwards ``get``, ``put``, ``exists``, ``delete`` and each step of ``keys`` through ``_guard``.

    A batch (``get_many``, ``put_many``, ``delete_many``) goes to the wrapped store whole, as
    one guarded call, as in ``storage.utils.GuardedStore``. ``_guard`` gets a function making
    the call's awaitable, so it can make it again (retries).
    """

    async def _guard(self, operation: str, key: Optional[str], call: Callable[[], Awaitable[T]]) -> T:
        """Await ``call()`` (one call of the wrapped store) under this layer's rule."""
        raise NotImplementedError

    @passes_values
    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, guarded."""
        await self._check("get")
        return await self._guard("get", key, lambda: self.store.get(key))

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, guarded."""
        await self._check("put")
        await self._guard("put", key, lambda: self.store.put(key, data, if_absent=if_absent))

    @passes_values
    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, guarded."""
        await self._check("exists")
        return await self._guard("exists", key, lambda: self.store.exists(key))

    @passes_values
    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, guarded."""
        await self._check("delete")
        await self._guard("delete", key, lambda: self.store.delete(key))

    @passes_values
    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, each step (fetching the next key) guarded."""
        await self._check("keys")
        async for key in self._steps(prefix):
            yield key

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, as one guarded call."""
        await self._check("get_many")
        wanted = list(keys)
        return await self._guard("get_many", None, lambda: self.store.get_many(wanted))

    async def put_many(self, items: Items) -> None:
        """The wrapped store's ``put_many``, as one guarded call."""
        await self._check("put_many")
        batch = reusable(items)
        await self._guard("put_many", None, lambda: self.store.put_many(batch))

    async def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped store's ``delete_many``, as one guarded call."""
        await self._check("delete_many")
        doomed = list(keys)
        await self._guard("delete_many", None, lambda: self.store.delete_many(doomed))

    async def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat`` (native where it can be), guarded."""
        return await self._guard("stat", key, functools.partial(AsyncStoreWrapper.stat, self, key))

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range`` (native where it can be), guarded."""
        call = functools.partial(AsyncStoreWrapper.get_range, self, key, start, end)
        return await self._guard("get_range", key, call)

    @passes_values
    async def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy`` (native where it can be), guarded."""
        await self._guard("copy", target, functools.partial(AsyncStoreWrapper.copy, self, source, target))

    async def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename`` (native where it can be), guarded."""
        await self._guard("rename", target, functools.partial(AsyncStoreWrapper.rename, self, source, target))

    async def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir`` (native where it can be), guarded."""
        return await self._guard("list_dir", None, functools.partial(AsyncStoreWrapper.list_dir, self, prefix))

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's ``open_read``; opening is guarded, reading is not."""
        return await self._guard("open_read", key, functools.partial(AsyncStoreWrapper.open_read, self, key))

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's ``open_write``; opening is guarded, writing and closing are not."""
        return await self._guard("open_write", key, functools.partial(AsyncStoreWrapper.open_write, self, key))

    async def _steps(self, prefix: str) -> AsyncIterator[str]:
        listing = self.store.keys(prefix).__aiter__()
        while True:
            try:
                key = await self._guard("keys", None, listing.__anext__)
            except StopAsyncIteration:
                return
            yield key

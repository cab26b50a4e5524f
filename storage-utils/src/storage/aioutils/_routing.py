"""AsyncRoutingStore: each key goes to the store of the first pattern that matches it."""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping, Optional

from storage.metadata import ObjectInfo
from storage.streams import AsyncFileAdapter
from storage.utils._routes import RouteTable, RoutingRules
from storage.wrapper import AsyncMultiStoreWrapper, as_async_store

__all__ = ["AsyncRoutingStore"]


class AsyncRoutingStore(RoutingRules, AsyncMultiStoreWrapper):
    """Sends each key to the store of the first route whose pattern matches (see ``RoutingStore``)."""

    def __init__(self, routes: Mapping[str, Any], default: Optional[Any] = None, match: str = "glob") -> None:
        self.table = RouteTable(routes, default, match, as_async_store)

    async def get(self, key: str) -> Any:
        """Return the object from the key's store."""
        await self._check("get")
        return await self._target(key, "get").get(key)

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the key's store."""
        await self._check("put")
        await self._target(key, "put").put(key, data, if_absent=if_absent)

    async def exists(self, key: str) -> bool:
        """Return whether the key's store holds it."""
        await self._check("exists")
        return bool(await self._target(key, "exists").exists(key))

    async def delete(self, key: str) -> None:
        """Remove ``key`` from its store."""
        await self._check("delete")
        await self._target(key, "delete").delete(key)

    async def stat(self, key: str) -> ObjectInfo:
        """The key's store's ``stat``."""
        await self._check("stat")
        return await self._target(key, "stat").stat(key)

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The key's store's ``get_range``."""
        await self._check("get_range")
        return await self._target(key, "get_range").get_range(key, start, end)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The key's store's reader."""
        await self._check("open_read")
        return await self._target(key, "open_read").open_read(key)

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The key's store's writer."""
        await self._check("open_write")
        return await self._target(key, "open_write").open_write(key)

    async def copy(self, source: str, target: str) -> None:
        """The store's ``copy`` if both keys go to one store; else get from one, put to the other."""
        await self._check("copy")
        store = self._shared_target(source, target, "copy")
        if store is None:
            await super().copy(source, target)
        else:
            await store.copy(source, target)

    async def rename(self, source: str, target: str) -> None:
        """The store's ``rename`` if both keys go to one store; else copy, then delete ``source``."""
        await self._check("rename")
        store = self._shared_target(source, target, "rename")
        if store is None:
            await super().rename(source, target)
        else:
            await store.rename(source, target)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The keys under ``prefix`` of every target, each filtered to the keys routed to it."""
        await self._check("keys")
        for store in self._listing_targets(prefix):
            async for key in store.keys(prefix):
                if self._owns(store, key):
                    yield key

"""AsyncRoutingStore: each key goes to the store of the first pattern that matches it."""

from __future__ import annotations

from typing import Any, AsyncIterator, Mapping, Optional

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

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The keys under ``prefix`` of every target, each filtered to the keys routed to it."""
        await self._check("keys")
        for store in self._listing_targets(prefix):
            async for key in store.keys(prefix):
                if self._owns(store, key):
                    yield key

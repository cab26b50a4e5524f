"""AsyncFanoutStore (the async MirroringStore) and AsyncCachingStore."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional, Sequence

from storage.utils._mirrorplans import MirrorLogic
from storage.utils._mixins import check_prefix
from storage.utils._multi import CachingMixin, MirroringMixin
from storage.utils._sansio import arun
from storage.validation import check_key
from storage.wrapper import AsyncMultiStoreWrapper, as_async_store

__all__ = ["AsyncCachingStore", "AsyncFanoutStore", "AsyncMirroringStore"]


class AsyncCachingStore(CachingMixin, AsyncMultiStoreWrapper):
    """Fronts ``main_store`` with ``cache_store``: read-through, write-through, delete invalidates.

    Bounds and ttl as in ``CachingStore``; a failing cache never fails a read the main store serves.
    """

    def __init__(
        self,
        main_store: Any,
        cache_store: Any,
        max_items: Optional[int] = None,
        max_bytes: Optional[int] = None,
        ttl: Optional[float] = None,
    ) -> None:
        self.main_store = as_async_store(main_store)
        self.cache_store = as_async_store(cache_store)
        self._setup(max_items, max_bytes, ttl)

    async def get(self, key: str) -> Any:
        """Return the object, from the cache if it has it."""
        await self._check("get")
        return await arun(self.logic.get(check_key(key, self.store_name, "get")))

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the main store, then in the cache."""
        await self._check("put")
        await arun(self.logic.put(check_key(key, self.store_name, "put"), data, if_absent))

    async def exists(self, key: str) -> bool:
        """Return whether the cache or the main store holds ``key``."""
        await self._check("exists")
        return await arun(self.logic.exists(check_key(key, self.store_name, "exists")))

    async def delete(self, key: str) -> None:
        """Delete from the main store and the cache."""
        await self._check("delete")
        await arun(self.logic.delete(check_key(key, self.store_name, "delete")))

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The main store's keys."""
        await self._check("keys")
        async for key in self.main_store.keys(prefix):
            yield key

    async def clear(self, key: Optional[str] = None) -> None:
        """Drop ``key`` from the cache, or everything the cache holds (the seed's ``clear``)."""
        await self._check("clear")
        listed = []
        if key is None and self.cache_store.capabilities.listing:
            listed = [cached async for cached in self.cache_store.keys()]
        await arun(self.logic.clear(key, listed))


class AsyncFanoutStore(MirroringMixin, AsyncMultiStoreWrapper):
    """Writes go to every child concurrently; reads come from the first child that has the key."""

    def __init__(self, children: Sequence[Any]) -> None:
        self.children = [as_async_store(child) for child in children]
        self.logic = MirrorLogic(type(self).__name__, self.children)

    async def get(self, key: str) -> Any:
        """Return the object from the first child that has it."""
        await self._check("get")
        return await arun(self.logic.read("get", check_key(key, self.store_name, "get")))

    async def exists(self, key: str) -> bool:
        """Return whether any child holds ``key``."""
        await self._check("exists")
        return bool(await arun(self.logic.read("exists", check_key(key, self.store_name, "exists"))))

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in every child, concurrently."""
        await self._check("put")
        await arun(self.logic.write("put", check_key(key, self.store_name, "put"), data, if_absent=if_absent))

    async def delete(self, key: str) -> None:
        """Delete ``key`` from every child that has it, concurrently."""
        await self._check("delete")
        await arun(self.logic.write("delete", check_key(key, self.store_name, "delete")))

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Every child's keys under ``prefix``, each once."""
        await self._check("keys")
        seen: set[str] = set()
        for child in self.children:
            async for key in child.keys(check_prefix(prefix, self.store_name)):
                if key not in seen:
                    seen.add(key)
                    yield key


#: The seed-compatible name of the async mirroring store.
AsyncMirroringStore = AsyncFanoutStore

"""AsyncFanoutStore (the async MirroringStore) and AsyncCachingStore."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional, Sequence

from storage.metadata import ListResult, ObjectInfo
from storage.object import AsyncObjectStore
from storage.streams import AsyncFileAdapter
from storage.utils._cacheplans import Invalidation
from storage.utils._mirrorplans import MirrorLogic
from storage.utils._mixins import check_pair, check_prefix
from storage.utils._multi import CachingMixin, MirroringMixin
from storage.utils._observe import WatchedAsyncWriter
from storage.utils._sansio import arun
from storage.validation import check_key
from storage.wrapper import AsyncMultiStoreWrapper, as_async_store

__all__ = ["AsyncCachingStore", "AsyncFanoutStore", "AsyncMirroringStore"]


class AsyncCachingStore(CachingMixin, AsyncMultiStoreWrapper):
    """Fronts ``main_store`` with ``cache_store``: read-through, write-through, delete invalidates.

    Bounds and ttl as in ``CachingStore``; a failing cache never fails a read the main store serves.
    """

    main_store: AsyncObjectStore

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

    async def stat(self, key: str) -> ObjectInfo:
        """The main store's ``stat``."""
        await self._check("stat")
        return await self.main_store.stat(check_key(key, self.store_name, "stat"))

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The main store's ``get_range``."""
        await self._check("get_range")
        return await self.main_store.get_range(check_key(key, self.store_name, "get_range"), start, end)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The main store's ``open_read``."""
        await self._check("open_read")
        return await self.main_store.open_read(check_key(key, self.store_name, "open_read"))

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The main store's writer; closing it drops ``key`` from the cache."""
        await self._check("open_write")
        writer = await self.main_store.open_write(check_key(key, self.store_name, "open_write"))
        return WatchedAsyncWriter(writer, Invalidation(self.logic, key))

    async def copy(self, source: str, target: str) -> None:
        """The main store's ``copy``; drops ``target`` from the cache."""
        await self._check("copy")
        await arun(self.logic.move("copy", *check_pair(source, target, self.store_name, "copy")))

    async def rename(self, source: str, target: str) -> None:
        """The main store's ``rename``; drops both keys from the cache."""
        await self._check("rename")
        await arun(self.logic.move("rename", *check_pair(source, target, self.store_name, "rename")))

    async def list_dir(self, prefix: str = "") -> ListResult:
        """The main store's ``list_dir``."""
        await self._check("list_dir")
        return await self.main_store.list_dir(prefix)

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
        await arun(self.logic.put(check_key(key, self.store_name, "put"), data, if_absent))

    async def delete(self, key: str) -> None:
        """Delete ``key`` from every child that has it, concurrently."""
        await self._check("delete")
        await arun(self.logic.write("delete", check_key(key, self.store_name, "delete")))

    async def stat(self, key: str) -> ObjectInfo:
        """``stat`` from the first child that has ``key``."""
        await self._check("stat")
        found: ObjectInfo = await arun(self.logic.read("stat", check_key(key, self.store_name, "stat")))
        return found

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """``get_range`` from the first child that has ``key``."""
        await self._check("get_range")
        checked = check_key(key, self.store_name, "get_range")
        found: bytes = await arun(self.logic.read("get_range", checked, start, end))
        return found

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """``open_read`` from the first child that has ``key``."""
        await self._check("open_read")
        found: AsyncFileAdapter = await arun(self.logic.read("open_read", check_key(key, self.store_name, "open_read")))
        return found

    async def copy(self, source: str, target: str) -> None:
        """``copy`` in every child that has ``source``, concurrently."""
        await self._check("copy")
        await arun(self.logic.write("copy", *check_pair(source, target, self.store_name, "copy")))

    async def rename(self, source: str, target: str) -> None:
        """``rename`` in every child that has ``source``, concurrently."""
        await self._check("rename")
        await arun(self.logic.write("rename", *check_pair(source, target, self.store_name, "rename")))

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

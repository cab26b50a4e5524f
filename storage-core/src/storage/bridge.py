"""Async stores that delegate to a sync store they own.

``SyncBackedAsyncStore`` is how an async twin shares all of its logic with the sync store:
every call is forwarded, either in a worker thread (for blocking I/O) or inline (for memory).
"""

from __future__ import annotations

import contextvars
import functools
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, ClassVar, Iterable, Iterator, Optional, TypeVar

from storage._base import AsyncObjectStore, Items, ObjectStore
from storage.capabilities import Capabilities
from storage.metadata import ListResult, ObjectInfo
from storage.streams import AsyncFileAdapter

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["SyncBackedAsyncStore"]

T = TypeVar("T")

#: How many keys one worker-thread round trip fetches while listing.
KEYS_BATCH = 1000


def _take(iterator: Iterator[str], count: int) -> list[str]:
    batch = []
    for key in iterator:
        batch.append(key)
        if len(batch) == count:
            break
    return batch


class SyncBackedAsyncStore(AsyncObjectStore):
    """An async store forwarding every operation to ``self.sync_store``.

    With ``offload = True`` (the default) calls run in ``executor()`` (the loop's default thread
    pool unless overridden), so blocking I/O never stalls the event loop.
    """

    offload: ClassVar[bool] = True

    def __init__(self, sync_store: ObjectStore) -> None:
        self.sync_store = sync_store

    @property
    def capabilities(self) -> Capabilities:
        """What the wrapped sync store can do."""
        return self.sync_store.capabilities

    @property
    def closed(self) -> bool:
        """True once the store has been closed."""
        return self.sync_store.closed

    def executor(self) -> Optional[Executor]:
        """The executor blocking calls run in; ``None`` means the loop's default."""
        return None

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        if not self.offload:
            return function(*args)
        import asyncio

        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args)
        return await loop.run_in_executor(self.executor(), call)

    async def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""
        return await self._call(self.sync_store.get, key)

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key`` (``if_absent``: only if no object is there)."""
        if if_absent:
            await self._call(functools.partial(self.sync_store.put, key, data, if_absent=True))
        else:
            await self._call(self.sync_store.put, key, data)

    async def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key``."""
        return await self._call(self.sync_store.exists, key)

    async def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""
        await self._call(self.sync_store.delete, key)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Iterate over the keys that start with ``prefix``, fetched in batches."""
        iterator = iter(await self._call(self.sync_store.keys, prefix))
        while True:
            batch = await self._call(_take, iterator, KEYS_BATCH)
            for key in batch:
                yield key
            if len(batch) < KEYS_BATCH:
                return

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Return ``{key: object}`` for those of ``keys`` that hold an object."""
        return await self._call(self.sync_store.get_many, list(keys))

    async def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair."""
        await self._call(self.sync_store.put_many, items)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object; absent keys are skipped."""
        await self._call(self.sync_store.delete_many, list(keys))

    async def stat(self, key: str) -> ObjectInfo:
        """Return the wrapped store's ``stat``."""
        return await self._call(self.sync_store.stat, key)

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object."""
        return await self._call(self.sync_store.get_range, key, start, end)

    async def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` in the wrapped store."""
        await self._call(self.sync_store.copy, source, target)

    async def rename(self, source: str, target: str) -> None:
        """Move ``source`` to ``target`` in the wrapped store."""
        await self._call(self.sync_store.rename, source, target)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """Return an async reader over the wrapped store's ``open_read``."""
        return AsyncFileAdapter(await self._call(self.sync_store.open_read, key), self._call)

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """Return an async writer over the wrapped store's ``open_write``."""
        return AsyncFileAdapter(await self._call(self.sync_store.open_write, key), self._call)

    async def list_dir(self, prefix: str = "") -> ListResult:
        """Return the wrapped store's ``list_dir``."""
        return await self._call(self.sync_store.list_dir, prefix)

    async def open(self) -> None:
        """Open the wrapped store."""
        await self._call(self.sync_store.open)

    async def close(self) -> None:
        """Close the wrapped store."""
        await self._call(self.sync_store.close)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sync_store!r})"

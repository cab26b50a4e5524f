"""AsyncNotifyingStore, AsyncLoggingStore and AsyncExceptionLoggingStore."""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator, ClassVar, Iterable, Optional, cast

from storage.metadata import ListResult, ObjectInfo
from storage.streams import AsyncFileAdapter
from storage.utils._observe import FALLBACKS, Handlers, Observed, WatchedAsyncWriter
from storage.wrapper import AsyncStoreWrapper, passes_values

__all__ = ["AsyncExceptionLoggingStore", "AsyncLoggingStore", "AsyncNotifyingStore"]


class AsyncNotifyingStore(Handlers, AsyncStoreWrapper):
    """Calls handlers (plain or coroutine functions) after every write.

    Writes are notified as in ``NotifyingStore``: ``copy`` a put of the target, ``rename`` a put
    of the target and a delete of the source, ``open_write`` a put when the writer is closed.
    A handler that raises is logged; it neither undoes nor hides the write.
    """

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.handlers = []

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data``, then notify."""
        async with self._changes(self.PUT, key):
            await super().put(key, data, if_absent=if_absent)

    @passes_values
    async def delete(self, key: str) -> None:
        """Delete ``key``, then notify."""
        async with self._changes(self.DELETE, key):
            await super().delete(key)

    @passes_values
    async def copy(self, source: str, target: str) -> None:
        """Copy (natively), then notify a put of ``target``."""
        async with self._changes("copy", source, target):
            await super().copy(source, target)

    async def rename(self, source: str, target: str) -> None:
        """Rename (natively), then notify a put of ``target`` and a delete of ``source``."""
        async with self._changes("rename", source, target):
            await super().rename(source, target)

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's writer; its ``close()`` is notified as a put of ``key``."""
        return WatchedAsyncWriter(await super().open_write(key), self._changes(self.PUT, key))


class AsyncLoggingStore(Observed, AsyncStoreWrapper):
    """Logs one INFO record per operation: ``<store_name> put <key>: ok in 0.1 ms`` (as ``LoggingStore``)."""

    def __init__(self, store: Any, store_name: str = "store", logger: Optional[logging.Logger] = None) -> None:
        super().__init__(store)
        self._set_logging(store_name, logger)

    @passes_values
    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, logged."""
        with self._log("get", key):
            return await super().get(key)
        return FALLBACKS["get"]

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, logged."""
        with self._log("put", key):
            await super().put(key, data, if_absent=if_absent)

    @passes_values
    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, logged."""
        with self._log("exists", key):
            return await super().exists(key)
        return bool(FALLBACKS["exists"])

    @passes_values
    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, logged."""
        with self._log("delete", key):
            await super().delete(key)

    @passes_values
    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, logged when the listing ends."""
        with self._log("keys", prefix or None):
            async for key in super().keys(prefix):
                yield key

    async def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat``, logged."""
        with self._log("stat", key):
            return await super().stat(key)
        return cast(ObjectInfo, FALLBACKS["stat"])

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``, logged."""
        with self._log("get_range", key):
            return await super().get_range(key, start, end)
        return cast(bytes, FALLBACKS["get_range"])

    @passes_values
    async def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``, logged."""
        with self._log("copy", f"{source} -> {target}"):
            await super().copy(source, target)

    async def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``, logged."""
        with self._log("rename", f"{source} -> {target}"):
            await super().rename(source, target)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's ``open_read``, logged."""
        with self._log("open_read", key):
            return await super().open_read(key)
        return cast(AsyncFileAdapter, FALLBACKS["open_read"])

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's writer, logged when it is closed (or at once if it cannot be opened)."""
        log = self._log("open_write", key)
        with log.on_failure():
            return WatchedAsyncWriter(await super().open_write(key), log)
        return cast(AsyncFileAdapter, FALLBACKS["open_write"])

    async def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir``, logged."""
        with self._log("list_dir", prefix or None):
            return await super().list_dir(prefix)
        return ListResult()


class AsyncExceptionLoggingStore(AsyncLoggingStore):
    """Logs failures as errors and returns the seed's fallback (None, False, no keys) instead.

    ``get_many`` is the wrapped store's, logged as one operation (see ``ExceptionLoggingStore``).
    """

    SWALLOW: ClassVar[bool] = True

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, logged; ``{}`` if it fails."""
        with self._log("get_many"):
            await self._check("get_many")
            return await self.store.get_many(keys)
        return {}

"""AsyncNotifyingStore, AsyncLoggingStore and AsyncExceptionLoggingStore."""

from __future__ import annotations

import logging
from typing import Any, AsyncIterator, Awaitable, ClassVar, Optional

from storage.utils._observe import FALLBACKS, Handlers, Observed, await_handlers
from storage.wrapper import AsyncStoreWrapper

__all__ = ["AsyncExceptionLoggingStore", "AsyncLoggingStore", "AsyncNotifyingStore"]


class AsyncNotifyingStore(Handlers, AsyncStoreWrapper):
    """Calls handlers (plain or coroutine functions) after every put and delete.

    A handler that raises is logged; it neither undoes nor hides the write.
    """

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.handlers = []

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data``, then notify."""
        await self._write(self.PUT, key, super().put(key, data, if_absent=if_absent))

    async def delete(self, key: str) -> None:
        """Delete ``key``, then notify."""
        await self._write(self.DELETE, key, super().delete(key))

    async def _write(self, action: str, key: str, write: Awaitable[None]) -> None:
        error: Optional[Exception] = None
        try:
            await write
        except Exception as err:
            error = err
        await await_handlers(self._notify(action, key, error))
        if error is not None:
            raise error


class AsyncLoggingStore(Observed, AsyncStoreWrapper):
    """Logs one INFO record per operation: ``<store_name> put <key>: ok in 0.1 ms``."""

    def __init__(self, store: Any, store_name: str = "store", logger: Optional[logging.Logger] = None) -> None:
        super().__init__(store)
        self._set_logging(store_name, logger)

    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, logged."""
        with self._log("get", key):
            return await super().get(key)
        return FALLBACKS["get"]

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, logged."""
        with self._log("put", key):
            await super().put(key, data, if_absent=if_absent)

    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, logged."""
        with self._log("exists", key):
            return await super().exists(key)
        return bool(FALLBACKS["exists"])

    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, logged."""
        with self._log("delete", key):
            await super().delete(key)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, logged when the listing ends."""
        with self._log("keys", prefix or None):
            async for key in super().keys(prefix):
                yield key


class AsyncExceptionLoggingStore(AsyncLoggingStore):
    """Logs failures as errors and returns the seed's fallback (None, False, no keys) instead."""

    SWALLOW: ClassVar[bool] = True

"""AsyncIdentityStore, AsyncReadonlyStore and AsyncWriteonlyStore."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterable

from storage.streams import AsyncFileAdapter
from storage.utils._basic import READ_ONLY, WRITE_ONLY, ReadOnlyRules, WriteOnlyRules
from storage.utils._mixins import refuse
from storage.wrapper import AsyncStoreWrapper

__all__ = ["AsyncIdentityStore", "AsyncReadonlyStore", "AsyncWriteonlyStore"]


class AsyncIdentityStore(AsyncStoreWrapper):
    """A no-op async store fronting a backing store."""


class AsyncReadonlyStore(ReadOnlyRules, AsyncIdentityStore):
    """Reads pass through natively; writes are refused.

    Refused: ``put``, ``delete``, ``delete_many``, ``open_write``, ``copy`` and ``rename``.
    """

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "put", READ_ONLY)

    async def delete(self, key: str) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "delete", READ_ONLY)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "delete_many", READ_ONLY)

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """Refused: the store is read-only."""
        refuse(self.store_name, "open_write", READ_ONLY)


class AsyncWriteonlyStore(WriteOnlyRules, AsyncIdentityStore):
    """Writes pass through (``open_write`` natively); reads and listings raise ``UnsupportedOperation``."""

    async def get(self, key: str) -> Any:
        """Refused: the store is write-only."""
        refuse(self.store_name, "get", WRITE_ONLY)

    async def exists(self, key: str) -> bool:
        """Refused: the store is write-only."""
        refuse(self.store_name, "exists", WRITE_ONLY)

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Refused: the store is write-only."""
        refuse(self.store_name, "keys", WRITE_ONLY)

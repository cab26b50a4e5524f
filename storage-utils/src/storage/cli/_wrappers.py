"""Wrappers the transfer commands put around stores: counting bytes read, recording instead of writing."""

from __future__ import annotations

import threading
from typing import Any, Iterator, Optional

from storage.cli._output import size_of
from storage.wrapper import StoreWrapper

__all__ = ["CountingStore", "DryRunStore"]


class CountingStore(StoreWrapper):
    """Counts the bytes ``get`` returns; lists ``listed`` (keys already listed) instead of listing again."""

    def __init__(self, store: Any, listed: Optional[list[str]] = None) -> None:
        super().__init__(store)
        self.listed = listed
        self.bytes_read = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """Return the wrapped store's object, counting its size."""
        data = super().get(key)
        size = size_of(data)
        with self._lock:
            self.bytes_read += size
        return data

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys listed beforehand (when given and ``prefix`` is empty), else the wrapped store's."""
        if self.listed is not None and not prefix:
            return iter(self.listed)
        return super().keys(prefix)


class DryRunStore(StoreWrapper):
    """Reads from the wrapped store but leaves it unchanged: writes and deletes are only checked.

    A sync onto it runs every comparison for real, so its report says what the sync would change.
    """

    def put(self, key: str, data: Any, **options: Any) -> None:
        """Do not write ``key`` (whatever the write ``options``)."""
        self._check("put")

    def delete(self, key: str) -> None:
        """Do not delete ``key``."""
        self._check("delete")

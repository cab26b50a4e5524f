"""Wrappers the transfer commands put around stores: counting bytes read, recording instead of writing."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, BinaryIO, Callable, Iterator, Optional, cast

from storage.cli._output import size_of
from storage.wrapper import StoreWrapper, passes_values

__all__ = ["CountingReader", "CountingStore", "DryRunStore"]


class CountingReader:
    """A reader passing ``read`` and ``close`` on to ``file``, telling ``count`` each read's size."""

    def __init__(self, file: BinaryIO, count: Callable[[int], None]) -> None:
        self.file = file
        self.count = count

    @property
    def closed(self) -> bool:
        """True once closed."""
        return self.file.closed

    def readable(self) -> bool:
        """Readers read."""
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left by default), counted."""
        data = self.file.read(size)
        self.count(len(data))
        return data

    def close(self) -> None:
        """Close the wrapped reader."""
        self.file.close()

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]
    ) -> None:
        self.close()


class CountingStore(StoreWrapper):
    """Counts the bytes read (by ``get`` and through ``open_read``); lists ``listed`` (keys already listed).

    Values pass through unchanged, so ``stat``, ranges and streams stay the wrapped store's own.
    """

    def __init__(self, store: Any, listed: Optional[list[str]] = None) -> None:
        super().__init__(store)
        self.listed = listed
        self.bytes_read = 0
        self._lock = threading.Lock()

    def _add(self, size: int) -> None:
        with self._lock:
            self.bytes_read += size

    @passes_values
    def get(self, key: str) -> Any:
        """Return the wrapped store's object, counting its size."""
        data = super().get(key)
        self._add(size_of(data))
        return data

    def open_read(self, key: str) -> BinaryIO:
        """The wrapped store's reader, counting the bytes read from it."""
        return cast(BinaryIO, CountingReader(super().open_read(key), self._add))

    @passes_values
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

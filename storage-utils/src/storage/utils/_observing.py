"""NotifyingStore, LoggingStore and ExceptionLoggingStore."""

from __future__ import annotations

import logging
from typing import Any, BinaryIO, ClassVar, Iterable, Iterator, Optional, cast

from storage._lifecycle import OPEN
from storage.metadata import ListResult, ObjectInfo
from storage.utils._observe import FALLBACKS, Handlers, Observed, WatchedWriter, log_swallowed
from storage.wrapper import StoreWrapper, passes_values

__all__ = ["ExceptionLoggingStore", "LoggingStore", "NotifyingStore"]

_INFO = logging.INFO


class NotifyingStore(Handlers, StoreWrapper):
    """Calls handlers after every write, with the exception if the write failed.

    Writes are ``put`` and ``delete`` as in the seed, and the writes beyond it, notified as the
    puts and deletes they amount to: ``copy(a, b)`` a put of ``b``; ``rename(a, b)`` a put of
    ``b`` then a delete of ``a``; a writer from ``open_write(k)`` a put of ``k`` when it is
    closed (a discarded one, nothing). A handler that raises is logged; it neither undoes nor
    hides the write.
    """

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.handlers = []

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data``, then notify."""
        if not self.handlers:
            if self._state != OPEN:
                self._ensure_open("put")
            self.store.put(key, data, if_absent=if_absent)
            return
        with self._changes(self.PUT, key):
            super().put(key, data, if_absent=if_absent)

    @passes_values
    def delete(self, key: str) -> None:
        """Delete ``key``, then notify."""
        if not self.handlers:
            if self._state != OPEN:
                self._ensure_open("delete")
            self.store.delete(key)
            return
        with self._changes(self.DELETE, key):
            super().delete(key)

    @passes_values
    def copy(self, source: str, target: str) -> None:
        """Copy (natively), then notify a put of ``target``."""
        with self._changes("copy", source, target):
            super().copy(source, target)

    def rename(self, source: str, target: str) -> None:
        """Rename (natively), then notify a put of ``target`` and a delete of ``source``."""
        with self._changes("rename", source, target):
            super().rename(source, target)

    def open_write(self, key: str) -> BinaryIO:
        """The wrapped store's writer; its ``close()`` is notified as a put of ``key``."""
        return cast(BinaryIO, WatchedWriter(super().open_write(key), self._changes(self.PUT, key)))


class LoggingStore(Observed, StoreWrapper):
    """Logs one INFO record per operation: ``<store_name> put <key>: ok in 0.1 ms``.

    With INFO disabled for its logger, ``get``, ``put``, ``exists`` and ``delete`` call straight
    through, building no record (ExceptionLoggingStore still logs and hides their failures).

    ``keys`` is logged when the listing ends, ``open_write`` when the writer is closed (its
    commit); ``copy`` and ``rename`` name both keys (``copy a -> b``).
    """

    def __init__(self, store: Any, store_name: str = "store", logger: Optional[logging.Logger] = None) -> None:
        super().__init__(store)
        self._set_logging(store_name, logger)

    def _unlogged_failure(self, operation: str, key: str, error: Exception, fallback: Any) -> Any:
        """Raise ``error`` of a call made straight through (INFO off), or, swallowing, log it and give ``fallback``."""
        if not self.SWALLOW:
            raise error
        log_swallowed(self.logger, operation, key, error)
        return fallback

    @passes_values
    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, logged."""
        if self._level_cache.get(_INFO) is False:
            try:
                if self._state != OPEN:
                    self._ensure_open("get")
                return self.store.get(key)
            except Exception as err:
                return self._unlogged_failure("get", key, err, FALLBACKS["get"])
        with self._log("get", key):
            return super().get(key)
        return FALLBACKS["get"]

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, logged."""
        if self._level_cache.get(_INFO) is False:
            try:
                if self._state != OPEN:
                    self._ensure_open("put")
                self.store.put(key, data, if_absent=if_absent)
                return
            except Exception as err:
                return self._unlogged_failure("put", key, err, None)
        with self._log("put", key):
            super().put(key, data, if_absent=if_absent)

    @passes_values
    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, logged."""
        if self._level_cache.get(_INFO) is False:
            try:
                if self._state != OPEN:
                    self._ensure_open("exists")
                return self.store.exists(key)
            except Exception as err:
                return self._unlogged_failure("exists", key, err, bool(FALLBACKS["exists"]))
        with self._log("exists", key):
            return super().exists(key)
        return bool(FALLBACKS["exists"])

    @passes_values
    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, logged."""
        if self._level_cache.get(_INFO) is False:
            try:
                if self._state != OPEN:
                    self._ensure_open("delete")
                self.store.delete(key)
                return
            except Exception as err:
                return self._unlogged_failure("delete", key, err, None)
        with self._log("delete", key):
            super().delete(key)

    @passes_values
    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, logged when the listing ends."""
        return self._logged_keys(prefix)

    def _logged_keys(self, prefix: str) -> Iterator[str]:
        with self._log("keys", prefix or None):
            yield from super().keys(prefix)

    def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat``, logged."""
        with self._log("stat", key):
            return super().stat(key)
        return cast(ObjectInfo, FALLBACKS["stat"])

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``, logged."""
        with self._log("get_range", key):
            return super().get_range(key, start, end)
        return cast(bytes, FALLBACKS["get_range"])

    @passes_values
    def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``, logged."""
        with self._log("copy", f"{source} -> {target}"):
            super().copy(source, target)

    def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``, logged."""
        with self._log("rename", f"{source} -> {target}"):
            super().rename(source, target)

    def open_read(self, key: str) -> BinaryIO:
        """The wrapped store's ``open_read``, logged."""
        with self._log("open_read", key):
            return super().open_read(key)
        return cast(BinaryIO, FALLBACKS["open_read"])

    def open_write(self, key: str) -> BinaryIO:
        """The wrapped store's writer, logged when it is closed (or at once if it cannot be opened)."""
        log = self._log("open_write", key)
        with log.on_failure():
            return cast(BinaryIO, WatchedWriter(super().open_write(key), log))
        return cast(BinaryIO, FALLBACKS["open_write"])

    def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir``, logged."""
        with self._log("list_dir", prefix or None):
            return super().list_dir(prefix)
        return ListResult()


class ExceptionLoggingStore(LoggingStore):
    """Logs failures as errors and returns the seed's fallback (None, False, no keys) instead.

    ``get_many`` is the wrapped store's, logged as one operation: it returns only the keys that
    hold an object, and nothing (``{}``) if the batch fails.
    """

    SWALLOW: ClassVar[bool] = True

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, logged; ``{}`` if it fails."""
        with self._log("get_many"):
            self._check("get_many")
            return self.store.get_many(keys)
        return {}

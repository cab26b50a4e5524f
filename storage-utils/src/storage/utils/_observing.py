"""NotifyingStore, LoggingStore and ExceptionLoggingStore."""

from __future__ import annotations

import logging
from typing import Any, Callable, ClassVar, Iterator, Optional

from storage.utils._observe import FALLBACKS, Handlers, Observed
from storage.wrapper import StoreWrapper

__all__ = ["ExceptionLoggingStore", "LoggingStore", "NotifyingStore"]


class NotifyingStore(Handlers, StoreWrapper):
    """Calls handlers after every put and delete, with the exception if the write failed.

    A handler that raises is logged; it neither undoes nor hides the write.
    """

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.handlers = []

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data``, then notify."""
        self._write(self.PUT, key, lambda: super(NotifyingStore, self).put(key, data, if_absent=if_absent))

    def delete(self, key: str) -> None:
        """Delete ``key``, then notify."""
        self._write(self.DELETE, key, lambda: super(NotifyingStore, self).delete(key))

    def _write(self, action: str, key: str, write: Callable[[], None]) -> None:
        error: Optional[Exception] = None
        try:
            write()
        except Exception as err:
            error = err
        self._notify(action, key, error)
        if error is not None:
            raise error


class LoggingStore(Observed, StoreWrapper):
    """Logs one INFO record per operation: ``<store_name> put <key>: ok in 0.1 ms``."""

    def __init__(self, store: Any, store_name: str = "store", logger: Optional[logging.Logger] = None) -> None:
        super().__init__(store)
        self._set_logging(store_name, logger)

    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, logged."""
        with self._log("get", key):
            return super().get(key)
        return FALLBACKS["get"]

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, logged."""
        with self._log("put", key):
            super().put(key, data, if_absent=if_absent)

    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, logged."""
        with self._log("exists", key):
            return super().exists(key)
        return bool(FALLBACKS["exists"])

    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, logged."""
        with self._log("delete", key):
            super().delete(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, logged when the listing ends."""
        return self._logged_keys(prefix)

    def _logged_keys(self, prefix: str) -> Iterator[str]:
        with self._log("keys", prefix or None):
            yield from super().keys(prefix)


class ExceptionLoggingStore(LoggingStore):
    """Logs failures as errors and returns the seed's fallback (None, False, no keys) instead."""

    SWALLOW: ClassVar[bool] = True

"""What the logging, notifying and caching stores share: operation records, handler dispatch, watched writers.

``OperationLog`` is a context manager used the same way around a sync call and an ``await``:
it writes one INFO record per operation, in the seed's words (``<store_name> put <key>``) with
the outcome and duration, never the data, and does no formatting unless the record is emitted.
``ChangeNotice`` calls the change handlers when the write it guards ends. ``WatchedWriter`` and
``WatchedAsyncWriter`` run a writer's ``close()`` (its commit) inside such a guard, so a
streamed write is logged, notified or invalidated when it is stored, not when it is opened.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
from types import MappingProxyType, TracebackType
from typing import (
    Any,
    AsyncContextManager,
    Awaitable,
    BinaryIO,
    Callable,
    ClassVar,
    ContextManager,
    Iterator,
    Mapping,
    Optional,
)

from storage.streams import AsyncFileAdapter, DiscardOnError

__all__ = [
    "DEFAULT_LOGGER",
    "FALLBACKS",
    "ChangeNotice",
    "Handlers",
    "Observed",
    "OperationLog",
    "WatchedAsyncWriter",
    "WatchedWriter",
    "log_swallowed",
]

#: Where the logging stores write unless given a logger.
DEFAULT_LOGGER = "storage.utils.logging"

#: What ExceptionLoggingStore returns instead of raising, as the seed did (``list_dir``: an
#: empty ``ListResult``; every other operation beyond the seed's: None).
FALLBACKS: dict[str, Any] = {
    "get": None, "exists": False, "put": None, "delete": None, "stat": None, "get_range": None,
    "open_read": None, "open_write": None,
}

_notify_logger = logging.getLogger("storage.utils.notify")

Handler = Callable[[Any, str, str, Optional[BaseException]], Any]


class OperationLog:
    """Logs one operation on exit; with ``swallow`` also logs a failure as an error and hides it."""

    def __init__(self, logger: logging.Logger, name: str, operation: str, key: Optional[str], swallow: bool) -> None:
        self.logger = logger
        self.name = name
        self.operation = operation
        self.key = key
        self.swallow = swallow
        self.started = time.perf_counter() if logger.isEnabledFor(logging.INFO) else None

    def __enter__(self) -> OperationLog:
        return self

    def __exit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]
    ) -> bool:
        if self.started is not None:
            elapsed = (time.perf_counter() - self.started) * 1000
            outcome = "ok" if error is None else f"failed ({kind.__name__ if kind else 'error'})"
            if isinstance(error, GeneratorExit):
                outcome = "stopped early"
            self.logger.info(
                "%s %s%s: %s in %.3f ms", self.name, self.operation,
                "" if self.key is None else f" {self.key}", outcome, elapsed,
            )
        if self.swallow and isinstance(error, Exception):
            log_swallowed(self.logger, self.operation, self.key, error)
            return True
        return False

    async def __aenter__(self) -> OperationLog:
        return self

    async def __aexit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]
    ) -> bool:
        return self.__exit__(kind, error, trace)

    @contextlib.contextmanager
    def on_failure(self) -> Iterator[None]:
        """Log (and with ``swallow`` hide) a failure of the block; success is logged later, on exit."""
        try:
            yield
        except Exception as err:
            if not self.__exit__(type(err), err, err.__traceback__):
                raise


def log_swallowed(logger: logging.Logger, operation: str, key: Optional[str], error: BaseException) -> None:
    """Log a failure that a swallowing store hides, as an error with its traceback."""
    what = operation if key is None else f"{operation} {key}"
    logger.error("failed to %s: %s", what, error, exc_info=error)


class Observed:
    """The logging stores' settings: a label (``store_name``) and a logger."""

    #: Failures are logged and replaced by the seed's fallback values.
    SWALLOW: ClassVar[bool] = False
    #: The logger's own per-level cache of ``isEnabledFor`` (``logging`` empties it in place on
    #: every level change): ``get(INFO) is False`` is the cheapest sure sign that no record will be
    #: written. Not pickled; without it (or before the logger has cached INFO) the full check runs.
    _level_cache: Mapping[int, bool] = MappingProxyType({})
    _transient_attrs: ClassVar[tuple[str, ...]] = ("_level_cache",)
    label: str
    _logger: logging.Logger

    def _set_logging(self, store_name: str, logger: Optional[logging.Logger]) -> None:
        self.label = store_name
        self.logger = logger if logger is not None else logging.getLogger(DEFAULT_LOGGER)

    @property
    def logger(self) -> logging.Logger:
        """Where the records go."""
        return self._logger

    @logger.setter
    def logger(self, logger: logging.Logger) -> None:
        self._logger = logger
        cache = getattr(logger, "_cache", None)
        self._level_cache = cache if isinstance(cache, dict) else MappingProxyType({})

    @property
    def store_name(self) -> str:
        """The name this store's log records and errors use."""
        return self.label

    def _log(self, operation: str, key: Optional[str] = None) -> OperationLog:
        return OperationLog(self.logger, self.label, operation, key, self.SWALLOW)

    def repr_args(self) -> str:
        """The store's label."""
        return repr(self.label)


class Handlers:
    """The seed's change handlers: ``handler(store, action, key, exception)``."""

    PUT: ClassVar[str] = "put"
    DELETE: ClassVar[str] = "delete"
    handlers: list[Handler]
    store: Any

    def on_change(self, handler: Handler) -> None:
        """Call ``handler(store, action, key, exception)`` after every put and delete."""
        self.handlers.append(handler)

    def on_put(self, handler: Callable[[Any, str, Optional[BaseException]], Any]) -> None:
        """Call ``handler(store, key, exception)`` after every put."""
        self.handlers.append(_only(self.PUT, handler))

    def on_delete(self, handler: Callable[[Any, str, Optional[BaseException]], Any]) -> None:
        """Call ``handler(store, key, exception)`` after every delete."""
        self.handlers.append(_only(self.DELETE, handler))

    def _changes(self, operation: str, key: str, target: Optional[str] = None) -> ChangeNotice:
        """The notice for a write: ``copy`` puts ``target``; ``rename`` puts it and deletes ``key``."""
        if operation == "copy":
            return ChangeNotice(self, (self.PUT, str(target)))
        if operation == "rename":
            deleted = [] if key == target else [(self.DELETE, key)]
            return ChangeNotice(self, (self.PUT, str(target)), *deleted)
        return ChangeNotice(self, (operation, key))

    def _notify(self, action: str, key: str, error: Optional[BaseException]) -> list[Awaitable[Any]]:
        """Call every handler; a raising handler is logged, never raised. Returns pending awaitables."""
        pending = []
        for handler in list(self.handlers):
            try:
                result = handler(self.store, action, key, error)
            except Exception:
                _notify_logger.exception("handler %r failed on %s %r", handler, action, key)
                continue
            if inspect.isawaitable(result):
                pending.append(result)
        return pending


class ChangeNotice:
    """Notifies ``changes`` (``(action, key)`` pairs) when the write it guards ends, with its error.

    Used as ``with`` by sync stores and ``async with`` by async ones (which await coroutine
    handlers); the write's own exception is never hidden.
    """

    def __init__(self, handlers: Handlers, *changes: tuple[str, str]) -> None:
        self.handlers = handlers
        self.changes = changes

    def _pending(self, error: Optional[BaseException]) -> list[Awaitable[Any]]:
        if error is not None and not isinstance(error, Exception):
            return []
        return [done for action, key in self.changes for done in self.handlers._notify(action, key, error)]

    def __enter__(self) -> ChangeNotice:
        return self

    def __exit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Any) -> None:
        self._pending(error)

    async def __aenter__(self) -> ChangeNotice:
        return self

    async def __aexit__(self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Any) -> None:
        await await_handlers(self._pending(error))


class WatchedWriter(DiscardOnError):
    """A sync writer whose ``close()`` (the commit) runs inside ``guard``; ``discard()`` skips it."""

    def __init__(self, file: BinaryIO, guard: ContextManager[Any]) -> None:
        self.file = file
        self.guard: Optional[ContextManager[Any]] = guard

    @property
    def closed(self) -> bool:
        """True once closed or discarded."""
        return self.file.closed

    def writable(self) -> bool:
        """Writers write."""
        return True

    def write(self, data: Any) -> int:
        """Write ``data`` to the wrapped writer."""
        return self.file.write(data)

    def flush(self) -> None:
        """Flush the wrapped writer."""
        self.file.flush()

    def close(self) -> None:
        """Store the object (once), inside the guard."""
        guard, self.guard = self.guard, None
        if guard is None:
            self.file.close()
            return
        with guard:
            self.file.close()

    def discard(self) -> None:
        """Close without storing anything (and without the guard)."""
        self.guard = None
        discard = getattr(self.file, "discard", None)
        (discard if discard is not None else self.file.close)()


async def _await(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return await function(*args)


class WatchedAsyncWriter(AsyncFileAdapter):
    """An async writer whose ``close()`` (the commit) runs inside ``guard``; ``discard()`` skips it."""

    def __init__(self, file: AsyncFileAdapter, guard: AsyncContextManager[Any]) -> None:
        super().__init__(file, _await)  # type: ignore[arg-type]
        self.guard: Optional[AsyncContextManager[Any]] = guard

    async def close(self) -> None:
        """Store the object (once), inside the guard."""
        guard, self.guard = self.guard, None
        if guard is None:
            await self._call(self.file.close)
            return
        async with guard:
            await self._call(self.file.close)

    async def discard(self) -> None:
        """Close without storing anything (and without the guard)."""
        self.guard = None
        await super().discard()


def _only(action: str, handler: Callable[[Any, str, Optional[BaseException]], Any]) -> Handler:
    def filtered(store: Any, done: str, key: str, error: Optional[BaseException]) -> Any:
        return handler(store, key, error) if done == action else None

    return filtered


async def await_handlers(pending: list[Awaitable[Any]]) -> None:
    """Await handler coroutines; a failing one is logged, never raised."""
    for awaitable in pending:
        try:
            await awaitable
        except Exception:
            _notify_logger.exception("async handler failed")

"""What the logging and notifying stores share: operation records and handler dispatch.

``OperationLog`` is a context manager used the same way around a sync call and an ``await``:
it writes one INFO record per operation, in the seed's words (``<store_name> put <key>``) with
the outcome and duration, never the data, and does no formatting unless the record is emitted.
"""

from __future__ import annotations

import inspect
import logging
import time
from types import TracebackType
from typing import Any, Awaitable, Callable, ClassVar, Optional

__all__ = ["DEFAULT_LOGGER", "FALLBACKS", "Handlers", "Observed", "OperationLog"]

#: Where the logging stores write unless given a logger.
DEFAULT_LOGGER = "storage.utils.logging"

#: What ExceptionLoggingStore returns instead of raising, as the seed did.
FALLBACKS: dict[str, Any] = {"get": None, "exists": False, "put": None, "delete": None}

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
            what = self.operation if self.key is None else f"{self.operation} {self.key}"
            self.logger.error("failed to %s: %s", what, error, exc_info=error)
            return True
        return False


class Observed:
    """The logging stores' settings: a label (``store_name``) and a logger."""

    #: Failures are logged and replaced by the seed's fallback values.
    SWALLOW: ClassVar[bool] = False
    label: str
    logger: logging.Logger

    def _set_logging(self, store_name: str, logger: Optional[logging.Logger]) -> None:
        self.label = store_name
        self.logger = logger if logger is not None else logging.getLogger(DEFAULT_LOGGER)

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

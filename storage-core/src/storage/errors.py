"""The error types every store raises.

Each error subclasses the builtin that plain Python code would catch::

    StoreError                                  base of everything a store raises
    ├── ObjectNotFound        (KeyError)        the key holds no object
    ├── AlreadyExists         (FileExistsError) a conditional write found an object
    ├── InvalidKey            (ValueError)      the key cannot name an object here
    │   └── KeyRejected       (KeyError)        refused by a key-validating decorator
    ├── InvalidRange          (ValueError)      a byte range that selects nothing sensible
    ├── InvalidValue          (TypeError)       the value cannot be stored here
    ├── UnsupportedOperation  (NotImplementedError)
    ├── PermissionDenied      (PermissionError)
    ├── StoreUnavailable      (ConnectionError) retryable: the backend cannot be reached now
    ├── StoreClosed                             the store was used after close()
    ├── ConfigError           (ValueError)      a configuration cannot be built
    ├── IntegrityError                          stored data failed verification
    └── PartialFailure                          a batch or fan-out failed for some keys

``retryable`` says whether trying the same call again can succeed.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

__all__ = [
    "AlreadyExists",
    "ConfigError",
    "IntegrityError",
    "InvalidKey",
    "InvalidRange",
    "InvalidValue",
    "KeyRejected",
    "ObjectNotFound",
    "PartialFailure",
    "PermissionDenied",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "UnsupportedOperation",
]


class StoreError(Exception):
    """Base class of every error raised by a store."""

    retryable: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        store: Optional[str] = None,
        operation: Optional[str] = None,
        key: Optional[str] = None,
    ) -> None:
        self.store = store
        self.operation = operation
        self.key = key
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.store:
            parts.append(self.store)
        if self.operation:
            parts.append(self.operation if self.key is None else f"{self.operation} {self.key!r}")
        elif self.key is not None:
            parts.append(repr(self.key))
        where = ": ".join(parts)
        if where and self.message:
            return f"{where}: {self.message}"
        return where or self.message

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self.store, self.operation, self.key, self.__dict__))


def _rebuild(
    cls: type[StoreError],
    message: str,
    store: Optional[str],
    operation: Optional[str],
    key: Optional[str],
    state: Mapping[str, Any],
) -> StoreError:
    error = cls.__new__(cls)
    StoreError.__init__(error, message, store=store, operation=operation, key=key)
    error.__dict__.update(state)
    return error


class ObjectNotFound(StoreError, KeyError):
    """The key holds no object."""

    def __init__(self, message: str = "no such object", **where: Any) -> None:
        super().__init__(message, **where)


class AlreadyExists(StoreError, FileExistsError):
    """A write that required the key to be free found an object there."""

    def __init__(self, message: str = "object already exists", **where: Any) -> None:
        super().__init__(message, **where)


class InvalidKey(StoreError, ValueError):
    """The key cannot name an object in this store."""


class KeyRejected(InvalidKey, KeyError):
    """A key refused by a key-validating decorator (a ``KeyError``, as in the seed)."""


class InvalidRange(StoreError, ValueError):
    """A byte range that is negative or ends before it starts."""


class InvalidValue(StoreError, TypeError):
    """The value is of a type this store cannot hold."""


class UnsupportedOperation(StoreError, NotImplementedError):
    """The store cannot perform this operation."""


class PermissionDenied(StoreError, PermissionError):
    """The backend refused access."""


class StoreUnavailable(StoreError, ConnectionError):
    """The backend cannot be reached or did not answer in time."""

    retryable = True


class StoreClosed(StoreError):
    """The store was used after ``close()``."""

    def __init__(self, message: str = "store is closed", **where: Any) -> None:
        super().__init__(message, **where)


class ConfigError(StoreError, ValueError):
    """A configuration cannot be turned into stores."""


class IntegrityError(StoreError):
    """Stored data failed verification (tampered, corrupt or wrongly keyed)."""


class PartialFailure(StoreError):
    """An operation over several keys or stores failed for some of them.

    ``failed`` maps each failed key (or child name) to its error; ``succeeded`` lists the rest.
    ``retryable`` is true only when every failure is retryable.
    """

    def __init__(
        self,
        message: str,
        *,
        failed: Mapping[str, BaseException],
        succeeded: Sequence[str] = (),
        **where: Any,
    ) -> None:
        self.failed = dict(failed)
        self.succeeded = list(succeeded)
        self.retryable = bool(self.failed) and all(
            getattr(err, "retryable", False) for err in self.failed.values()
        )
        super().__init__(message, **where)

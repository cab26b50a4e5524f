"""GuardedStore: a sync decorator that runs every call of the wrapped store through one hook."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, TypeVar

from storage.wrapper import StoreWrapper

__all__ = ["GuardedStore"]

T = TypeVar("T")
_END: Any = object()


class GuardedStore(StoreWrapper):
    """Forwards ``get``, ``put``, ``exists``, ``delete`` and each step of ``keys`` through ``_guard``.

    The retry, timeout and concurrency-limit layers differ only in their ``_guard``.
    """

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        """Make ``call`` (one call of the wrapped store) under this layer's rule."""
        raise NotImplementedError

    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, guarded."""
        self._check("get")
        return self._guard("get", key, lambda: self.store.get(key))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, guarded."""
        self._check("put")
        self._guard("put", key, lambda: self.store.put(key, data, if_absent=if_absent))

    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, guarded."""
        self._check("exists")
        return self._guard("exists", key, lambda: self.store.exists(key))

    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, guarded."""
        self._check("delete")
        self._guard("delete", key, lambda: self.store.delete(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, each step (starting, fetching the next key) guarded."""
        self._check("keys")
        return self._keys(prefix)

    def _keys(self, prefix: str) -> Iterator[str]:
        listing = self._guard("keys", None, lambda: iter(self.store.keys(prefix)))
        while True:
            key = self._guard("keys", None, lambda: next(listing, _END))
            if key is _END:
                return
            yield key

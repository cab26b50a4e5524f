"""GuardedStore: a sync decorator that runs every call of the wrapped store through one hook."""

from __future__ import annotations

import functools
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, Optional, TypeVar

from storage._base import Items
from storage.metadata import ListResult, ObjectInfo
from storage.wrapper import StoreWrapper, passes_values

__all__ = ["GuardedStore", "reusable"]

T = TypeVar("T")
_END: Any = object()


def reusable(items: Items) -> Items:
    """``items`` (a mapping or ``(key, value)`` pairs) as a batch that can be sent more than once."""
    return items if isinstance(items, Mapping) else list(items)


class GuardedStore(StoreWrapper):
    """Forwards ``get``, ``put``, ``exists``, ``delete`` and each step of ``keys`` through ``_guard``.

    A batch (``get_many``, ``put_many``, ``delete_many``) goes to the wrapped store whole, as
    one guarded call: one deadline, one slot, one unit to retry, and the wrapped store's own
    batch (SQLite's one transaction) kept. The retry, timeout and concurrency-limit layers
    differ only in their ``_guard``.
    """

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        """Make ``call`` (one call of the wrapped store) under this layer's rule."""
        raise NotImplementedError

    @passes_values
    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, guarded."""
        self._check("get")
        return self._guard("get", key, lambda: self.store.get(key))

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, guarded."""
        self._check("put")
        self._guard("put", key, lambda: self.store.put(key, data, if_absent=if_absent))

    @passes_values
    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, guarded."""
        self._check("exists")
        return self._guard("exists", key, lambda: self.store.exists(key))

    @passes_values
    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, guarded."""
        self._check("delete")
        self._guard("delete", key, lambda: self.store.delete(key))

    @passes_values
    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, each step (starting, fetching the next key) guarded."""
        self._check("keys")
        return self._keys(prefix)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The wrapped store's ``get_many``, as one guarded call."""
        self._check("get_many")
        wanted = list(keys)
        return self._guard("get_many", None, lambda: self.store.get_many(wanted))

    def put_many(self, items: Items) -> None:
        """The wrapped store's ``put_many``, as one guarded call."""
        self._check("put_many")
        batch = reusable(items)
        self._guard("put_many", None, lambda: self.store.put_many(batch))

    def delete_many(self, keys: Iterable[str]) -> None:
        """The wrapped store's ``delete_many``, as one guarded call."""
        self._check("delete_many")
        doomed = list(keys)
        self._guard("delete_many", None, lambda: self.store.delete_many(doomed))

    def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat`` (native where it can be), guarded."""
        return self._guard("stat", key, functools.partial(StoreWrapper.stat, self, key))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range`` (native where it can be), guarded."""
        return self._guard("get_range", key, functools.partial(StoreWrapper.get_range, self, key, start, end))

    @passes_values
    def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy`` (native where it can be), guarded."""
        self._guard("copy", target, functools.partial(StoreWrapper.copy, self, source, target))

    def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename`` (native where it can be), guarded."""
        self._guard("rename", target, functools.partial(StoreWrapper.rename, self, source, target))

    def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir`` (native where it can be), guarded."""
        return self._guard("list_dir", None, functools.partial(StoreWrapper.list_dir, self, prefix))

    def open_read(self, key: str) -> BinaryIO:
        """The wrapped store's ``open_read``; opening is guarded, reading is not."""
        return self._guard("open_read", key, functools.partial(StoreWrapper.open_read, self, key))

    def open_write(self, key: str) -> BinaryIO:
        """The wrapped store's ``open_write``; opening is guarded, writing and closing are not."""
        return self._guard("open_write", key, functools.partial(StoreWrapper.open_write, self, key))

    def _keys(self, prefix: str) -> Iterator[str]:
        listing = self._guard("keys", None, lambda: iter(self.store.keys(prefix)))
        while True:
            key = self._guard("keys", None, lambda: next(listing, _END))
            if key is _END:
                return
            yield key

"""RoutingStore: each key goes to the store of the first pattern that matches it."""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator, Mapping, Optional

from storage._lifecycle import OPEN
from storage.metadata import ObjectInfo
from storage.utils._routes import RouteTable, RoutingRules
from storage.wrapper import MultiStoreWrapper, as_store

__all__ = ["RoutingStore"]


class RoutingStore(RoutingRules, MultiStoreWrapper):
    """Sends each key to the store of the first route (in mapping order) whose pattern matches.

    ``routes`` maps patterns to stores; a key no pattern matches goes to ``default``, or is
    refused with ``InvalidKey`` without one. ``match`` is ``'glob'`` (``*`` within a segment,
    ``**`` across segments) or ``'regex'`` (``re.search``). ``keys(prefix)`` merges the targets'
    listings, each filtered to the keys the routes send to it. ``stat``, ``get_range``,
    ``open_read`` and ``open_write`` are the key's store's own; ``copy`` and ``rename`` too when
    both keys go to one store (across stores: get, put, and for a rename delete).
    """

    def __init__(self, routes: Mapping[str, Any], default: Optional[Any] = None, match: str = "glob") -> None:
        self.table = RouteTable(routes, default, match, as_store)

    def get(self, key: str) -> Any:
        """Return the object from the key's store."""
        if self._state != OPEN:
            self._ensure_open("get")
        return self._target(key, "get").get(key)

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the key's store."""
        if self._state != OPEN:
            self._ensure_open("put")
        self._target(key, "put").put(key, data, if_absent=if_absent)

    def exists(self, key: str) -> bool:
        """Return whether the key's store holds it."""
        if self._state != OPEN:
            self._ensure_open("exists")
        return bool(self._target(key, "exists").exists(key))

    def delete(self, key: str) -> None:
        """Remove ``key`` from its store."""
        if self._state != OPEN:
            self._ensure_open("delete")
        self._target(key, "delete").delete(key)

    def stat(self, key: str) -> ObjectInfo:
        """The key's store's ``stat``."""
        self._check("stat")
        return self._target(key, "stat").stat(key)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The key's store's ``get_range``."""
        self._check("get_range")
        return self._target(key, "get_range").get_range(key, start, end)

    def open_read(self, key: str) -> BinaryIO:
        """The key's store's reader."""
        self._check("open_read")
        return self._target(key, "open_read").open_read(key)

    def open_write(self, key: str) -> BinaryIO:
        """The key's store's writer."""
        self._check("open_write")
        return self._target(key, "open_write").open_write(key)

    def copy(self, source: str, target: str) -> None:
        """The store's ``copy`` if both keys go to one store; else get from one, put to the other."""
        self._check("copy")
        store = self._shared_target(source, target, "copy")
        if store is None:
            super().copy(source, target)
        else:
            store.copy(source, target)

    def rename(self, source: str, target: str) -> None:
        """The store's ``rename`` if both keys go to one store; else copy, then delete ``source``."""
        self._check("rename")
        store = self._shared_target(source, target, "rename")
        if store is None:
            super().rename(source, target)
        else:
            store.rename(source, target)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys under ``prefix`` of every target, each filtered to the keys routed to it."""
        self._check("keys")
        return self._merged(self._listing_targets(prefix), prefix)

    def _merged(self, targets: list[Any], prefix: str) -> Iterator[str]:
        for store in targets:
            for key in store.keys(prefix):
                if self._owns(store, key):
                    yield key

"""RoutingStore: each key goes to the store of the first pattern that matches it."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Optional

from storage.utils._routes import RouteTable, RoutingRules
from storage.wrapper import MultiStoreWrapper, as_store

__all__ = ["RoutingStore"]


class RoutingStore(RoutingRules, MultiStoreWrapper):
    """Sends each key to the store of the first route (in mapping order) whose pattern matches.

    ``routes`` maps patterns to stores; a key no pattern matches goes to ``default``, or is
    refused with ``InvalidKey`` without one. ``match`` is ``'glob'`` (``*`` within a segment,
    ``**`` across segments) or ``'regex'`` (``re.search``). ``keys(prefix)`` merges the targets'
    listings, each filtered to the keys the routes send to it.
    """

    def __init__(self, routes: Mapping[str, Any], default: Optional[Any] = None, match: str = "glob") -> None:
        self.table = RouteTable(routes, default, match, as_store)

    def get(self, key: str) -> Any:
        """Return the object from the key's store."""
        self._check("get")
        return self._target(key, "get").get(key)

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the key's store."""
        self._check("put")
        self._target(key, "put").put(key, data, if_absent=if_absent)

    def exists(self, key: str) -> bool:
        """Return whether the key's store holds it."""
        self._check("exists")
        return bool(self._target(key, "exists").exists(key))

    def delete(self, key: str) -> None:
        """Remove ``key`` from its store."""
        self._check("delete")
        self._target(key, "delete").delete(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys under ``prefix`` of every target, each filtered to the keys routed to it."""
        self._check("keys")
        return self._merged(self._listing_targets(prefix), prefix)

    def _merged(self, targets: list[Any], prefix: str) -> Iterator[str]:
        for store in targets:
            for key in store.keys(prefix):
                if self._owns(store, key):
                    yield key

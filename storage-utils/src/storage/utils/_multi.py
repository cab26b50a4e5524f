"""MirroringStore and CachingStore: decorators over several stores."""

from __future__ import annotations

from typing import Any, ClassVar, Iterator, Mapping, Optional, Sequence

from storage.utils._cacheplans import CacheIndex, CachingLogic
from storage.utils._mirrorplans import MirrorLogic
from storage.utils._mixins import check_prefix
from storage.utils._sansio import run
from storage.validation import check_key
from storage.wrapper import MultiStoreWrapper, as_store

__all__ = ["CachingMixin", "CachingStore", "MirroringMixin", "MirroringStore"]


class CachingMixin:
    """What both caching twins share: arguments, capabilities, requirements, repr."""

    REQUIRES: ClassVar[Mapping[str, tuple[str, ...]]] = {"cache_store": ("read", "write", "delete")}
    main_store: Any
    cache_store: Any
    logic: CachingLogic

    def _setup(self, max_items: Optional[int], max_bytes: Optional[int], ttl: Optional[float]) -> None:
        self.index = CacheIndex(max_items, max_bytes, ttl)
        self.logic = CachingLogic(type(self).__name__, self.main_store, self.cache_store, self.index)

    def wrapped(self) -> list[tuple[str, Any]]:
        """The main store and the cache store."""
        return [("main_store", self.main_store), ("cache_store", self.cache_store)]

    def capability_sources(self) -> list[Any]:
        """The main store: the cache only speeds it up."""
        return [self.main_store]

    def repr_args(self) -> str:
        """The bounds, if any."""
        index = self.index
        bounds = {"max_items": index.max_items, "max_bytes": index.max_bytes, "ttl": index.ttl}
        return ", ".join(f"{name}={value!r}" for name, value in bounds.items() if value is not None)


class CachingStore(CachingMixin, MultiStoreWrapper):
    """Fronts ``main_store`` with ``cache_store``: read-through, write-through, delete invalidates.

    ``max_items`` and ``max_bytes`` bound the cache (least recently used entries are evicted),
    ``ttl`` (seconds) expires entries. A failing cache never fails a read the main store serves.
    """

    def __init__(
        self,
        main_store: Any,
        cache_store: Any,
        max_items: Optional[int] = None,
        max_bytes: Optional[int] = None,
        ttl: Optional[float] = None,
    ) -> None:
        self.main_store = as_store(main_store)
        self.cache_store = as_store(cache_store)
        self._setup(max_items, max_bytes, ttl)

    def get(self, key: str) -> Any:
        """Return the object, from the cache if it has it."""
        self._check("get")
        return run(self.logic.get(check_key(key, self.store_name, "get")))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the main store, then in the cache."""
        self._check("put")
        run(self.logic.put(check_key(key, self.store_name, "put"), data, if_absent))

    def exists(self, key: str) -> bool:
        """Return whether the cache or the main store holds ``key``."""
        self._check("exists")
        return run(self.logic.exists(check_key(key, self.store_name, "exists")))

    def delete(self, key: str) -> None:
        """Delete from the main store and the cache."""
        self._check("delete")
        run(self.logic.delete(check_key(key, self.store_name, "delete")))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The main store's keys."""
        self._check("keys")
        return iter(self.main_store.keys(prefix))

    def clear(self, key: Optional[str] = None) -> None:
        """Drop ``key`` from the cache, or everything the cache holds (the seed's ``clear``)."""
        self._check("clear")
        listed = list(self.cache_store.keys()) if key is None and self.cache_store.capabilities.listing else []
        run(self.logic.clear(key, listed))


class MirroringMixin:
    """What both mirroring twins share: their children, in order."""

    children: list[Any]

    def wrapped(self) -> list[tuple[str, Any]]:
        """The children, in order."""
        return [(f"children[{index}]", child) for index, child in enumerate(self.children)]


class MirroringStore(MirroringMixin, MultiStoreWrapper):
    """Writes go to every child; reads come from the first child that has the key."""

    def __init__(self, children: Sequence[Any]) -> None:
        self.children = [as_store(child) for child in children]
        self.logic = MirrorLogic(type(self).__name__, self.children)

    def get(self, key: str) -> Any:
        """Return the object from the first child that has it."""
        self._check("get")
        return run(self.logic.read("get", check_key(key, self.store_name, "get")))

    def exists(self, key: str) -> bool:
        """Return whether any child holds ``key``."""
        self._check("exists")
        return bool(run(self.logic.read("exists", check_key(key, self.store_name, "exists"))))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in every child."""
        self._check("put")
        run(self.logic.write("put", check_key(key, self.store_name, "put"), data, if_absent=if_absent))

    def delete(self, key: str) -> None:
        """Delete ``key`` from every child that has it."""
        self._check("delete")
        run(self.logic.write("delete", check_key(key, self.store_name, "delete")))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every child's keys under ``prefix``, each once."""
        self._check("keys")
        return self._union(check_prefix(prefix, self.store_name))

    def _union(self, prefix: str) -> Iterator[str]:
        seen: set[str] = set()
        for child in self.children:
            for key in child.keys(prefix):
                if key not in seen:
                    seen.add(key)
                    yield key

"""MirroringStore and CachingStore: decorators over several stores."""

from __future__ import annotations

from typing import Any, BinaryIO, ClassVar, Iterator, Mapping, Optional, Sequence, cast

from storage._lifecycle import OPEN
from storage.metadata import ListResult, ObjectInfo
from storage.object import ObjectStore
from storage.utils import _cacheplans, _mirrorplans
from storage.utils._cacheplans import CacheIndex, CachingLogic, Invalidation
from storage.utils._mirrorplans import MirrorLogic
from storage.utils._mixins import check_pair, check_prefix
from storage.utils._observe import WatchedWriter
from storage.utils._sansio import run
from storage.validation import check_key
from storage.wrapper import MultiStoreWrapper, as_store

__all__ = ["CachingMixin", "CachingStore", "MirroringMixin", "MirroringStore"]


def _key(store: Any, key: Any, operation: str) -> str:
    """``key`` if it is a key, else ``InvalidKey`` naming ``store`` (named only then)."""
    if key.__class__ is str and key:
        return key  # type: ignore[no-any-return]
    return check_key(key, store.store_name, operation)


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

    def forwards(self, operation: str) -> bool:
        """Every operation beyond get/put goes to the main store as such."""
        return operation in _cacheplans.NATIVE

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

    main_store: ObjectStore

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
        if self._state != OPEN:
            self._ensure_open("get")
        return run(self.logic.get(_key(self, key, "get")))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in the main store, then in the cache."""
        if self._state != OPEN:
            self._ensure_open("put")
        run(self.logic.put(_key(self, key, "put"), data, if_absent))

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

    def stat(self, key: str) -> ObjectInfo:
        """The main store's ``stat``."""
        self._check("stat")
        return self.main_store.stat(check_key(key, self.store_name, "stat"))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The main store's ``get_range``."""
        self._check("get_range")
        return self.main_store.get_range(check_key(key, self.store_name, "get_range"), start, end)

    def open_read(self, key: str) -> BinaryIO:
        """The main store's ``open_read``."""
        self._check("open_read")
        return self.main_store.open_read(check_key(key, self.store_name, "open_read"))

    def open_write(self, key: str) -> BinaryIO:
        """The main store's writer; closing it drops ``key`` from the cache."""
        self._check("open_write")
        writer = self.main_store.open_write(check_key(key, self.store_name, "open_write"))
        return cast(BinaryIO, WatchedWriter(writer, Invalidation(self.logic, key)))

    def copy(self, source: str, target: str) -> None:
        """The main store's ``copy``; drops ``target`` from the cache."""
        self._check("copy")
        run(self.logic.move("copy", *check_pair(source, target, self.store_name, "copy")))

    def rename(self, source: str, target: str) -> None:
        """The main store's ``rename``; drops both keys from the cache."""
        self._check("rename")
        run(self.logic.move("rename", *check_pair(source, target, self.store_name, "rename")))

    def list_dir(self, prefix: str = "") -> ListResult:
        """The main store's ``list_dir``."""
        self._check("list_dir")
        return self.main_store.list_dir(prefix)

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

    def forwards(self, operation: str) -> bool:
        """Reads fall through the children and copy/rename run on each; the rest is derived."""
        return operation in _mirrorplans.NATIVE


class MirroringStore(MirroringMixin, MultiStoreWrapper):
    """Writes go to every child; reads come from the first child that has the key."""

    def __init__(self, children: Sequence[Any]) -> None:
        self.children = [as_store(child) for child in children]
        self.logic = MirrorLogic(type(self).__name__, self.children)

    def get(self, key: str) -> Any:
        """Return the object from the first child that has it."""
        if self._state != OPEN:
            self._ensure_open("get")
        return run(self.logic.read("get", _key(self, key, "get")))

    def exists(self, key: str) -> bool:
        """Return whether any child holds ``key``."""
        self._check("exists")
        return bool(run(self.logic.read("exists", check_key(key, self.store_name, "exists"))))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` in every child."""
        if self._state != OPEN:
            self._ensure_open("put")
        run(self.logic.put(_key(self, key, "put"), data, if_absent))

    def delete(self, key: str) -> None:
        """Delete ``key`` from every child that has it."""
        self._check("delete")
        run(self.logic.write("delete", check_key(key, self.store_name, "delete")))

    def stat(self, key: str) -> ObjectInfo:
        """``stat`` from the first child that has ``key``."""
        self._check("stat")
        found: ObjectInfo = run(self.logic.read("stat", check_key(key, self.store_name, "stat")))
        return found

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """``get_range`` from the first child that has ``key``."""
        self._check("get_range")
        found: bytes = run(self.logic.read("get_range", check_key(key, self.store_name, "get_range"), start, end))
        return found

    def open_read(self, key: str) -> BinaryIO:
        """``open_read`` from the first child that has ``key``."""
        self._check("open_read")
        found: BinaryIO = run(self.logic.read("open_read", check_key(key, self.store_name, "open_read")))
        return found

    def copy(self, source: str, target: str) -> None:
        """``copy`` in every child that has ``source``."""
        self._check("copy")
        run(self.logic.write("copy", *check_pair(source, target, self.store_name, "copy")))

    def rename(self, source: str, target: str) -> None:
        """``rename`` in every child that has ``source``."""
        self._check("rename")
        run(self.logic.write("rename", *check_pair(source, target, self.store_name, "rename")))

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

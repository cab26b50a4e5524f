"""CachingStore's logic, shared by the sync and async twins: the LRU/TTL index and the plans.

Read-through, write-through, delete invalidates; ``copy``, ``rename`` and ``open_write`` go to
the main store natively and drop the keys they change from the cache (``stat``, ``get_range``
and ``open_read`` read the main store). The index remembers every cached key with its
size and the time it was cached. With a bound (``max_items``, ``max_bytes``) or a ``ttl`` only
entries the index holds and that are fresh are served, and the least recently used are
evicted; without one, the cache store is trusted as the seed trusted it. A failing cache never
fails an operation the main store can serve: its errors are logged and the cache bypassed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Iterable, Optional

from storage.errors import ConfigError, ObjectNotFound
from storage.utils._sansio import Call, Plan, arun, run

__all__ = ["NATIVE", "CacheIndex", "CachingLogic", "Invalidation"]

#: What a caching store hands to its main store as such: reads beyond ``get`` are not cached,
#: writes beyond ``put`` drop the keys they change from the cache.
NATIVE = frozenset({"stat", "get_range", "open_read", "open_write", "copy", "rename", "list_dir"})

logger = logging.getLogger("storage.utils.caching")


def _bound(name: str, value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{name} must be a positive number or None, not {value!r}")
    return value


def size_of(data: Any) -> int:
    """The size of a value in bytes (0 for values that are not bytes-like)."""
    try:
        return memoryview(data).nbytes
    except TypeError:
        return 0


class CacheIndex:
    """Which keys are cached, how big and since when; least recently used first."""

    def __init__(
        self,
        max_items: Optional[int] = None,
        max_bytes: Optional[int] = None,
        ttl: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_items = _bound("max_items", max_items, int)
        self.max_bytes = _bound("max_bytes", max_bytes, int)
        self.ttl = _bound("ttl", ttl, (int, float))
        self.clock = clock
        self.entries: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self.total_bytes = 0
        self._lock = threading.Lock()

    @property
    def bounded(self) -> bool:
        """True if entries expire or are evicted (then only indexed entries are served)."""
        return self.max_items is not None or self.max_bytes is not None or self.ttl is not None

    def servable(self, key: str) -> bool:
        """True if the cache may answer for ``key`` (and mark it recently used)."""
        if self.max_items is None and self.max_bytes is None and self.ttl is None:
            return True
        with self._lock:
            entry = self.entries.get(key)
            if entry is None:
                return False
            if self.ttl is not None and self.clock() - entry[1] >= self.ttl:
                self._pop(key)
                return False
            self.entries.move_to_end(key)
            return True

    def admit(self, key: str, size: int) -> Optional[list[str]]:
        """Record ``key`` as cached; return the keys to evict, or None if it is too big to cache."""
        with self._lock:
            self._pop(key)
            if self.max_bytes is not None and size > self.max_bytes:
                return None
            self.entries[key] = (size, self.clock())
            self.total_bytes += size
            evicted = []
            while (self.max_items is not None and len(self.entries) > self.max_items) or (
                self.max_bytes is not None and self.total_bytes > self.max_bytes
            ):
                oldest = next(iter(self.entries))
                self._pop(oldest)
                evicted.append(oldest)
            return evicted

    def discard(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._pop(key)

    def clear(self) -> list[str]:
        """Forget every key; return them."""
        with self._lock:
            keys = list(self.entries)
            self.entries.clear()
            self.total_bytes = 0
            return keys

    def _pop(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.total_bytes -= entry[0]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._lock = threading.Lock()


class CachingLogic:
    """The plans of a caching store over ``main`` and ``cache``."""

    def __init__(self, name: str, main: Any, cache: Any, index: CacheIndex) -> None:
        self.name = name
        self.main = main
        self.cache = cache
        self.index = index

    def _cache_failed(self, operation: str, key: str, err: BaseException) -> None:
        logger.warning("%s: cache %s %r failed, bypassing the cache: %s", self.name, operation, key, err)

    def get(self, key: str) -> Plan[Any]:
        """Serve from the cache if it holds ``key``, else read the main store and fill the cache."""
        if self.index.servable(key):
            try:
                return (yield Call(self.cache, "get", (key,)))
            except ObjectNotFound:
                self.index.discard(key)
            except Exception as err:
                self._cache_failed("get", key, err)
        data = yield Call(self.main, "get", (key,))
        yield from self._fill(key, data)
        return data

    def exists(self, key: str) -> Plan[bool]:
        """True if the cache or the main store holds ``key``."""
        if self.index.servable(key):
            try:
                if (yield Call(self.cache, "exists", (key,))):
                    return True
            except Exception as err:
                self._cache_failed("exists", key, err)
        return bool((yield Call(self.main, "exists", (key,))))

    def put(self, key: str, data: Any, if_absent: bool) -> Plan[None]:
        """Write the main store, then the cache."""
        yield Call(self.main, "put", (key, data), {"if_absent": if_absent})
        yield from self._fill(key, data)

    def delete(self, key: str) -> Plan[None]:
        """Delete from the main store; drop the cached copy whatever the main store said."""
        try:
            yield Call(self.main, "delete", (key,))
        except ObjectNotFound:
            self.index.discard(key)
            yield from self.drop(key)
            raise
        self.index.discard(key)
        yield from self.drop(key)

    def move(self, operation: str, source: str, target: str) -> Plan[None]:
        """``copy`` or ``rename`` in the main store, then drop the keys it changed from the cache."""
        error: Optional[Exception] = None
        try:
            yield Call(self.main, operation, (source, target))
        except Exception as err:
            error = err
        for key in dict.fromkeys([target] if operation == "copy" else [source, target]):
            yield from self.clear(key, ())
        if error is not None:
            raise error

    def _fill(self, key: str, data: Any) -> Plan[None]:
        evicted = self.index.admit(key, size_of(data))
        if evicted is None:
            yield from self.drop(key)
            return
        try:
            yield Call(self.cache, "put", (key, data))
        except Exception as err:
            self._cache_failed("put", key, err)
            self.index.discard(key)
            yield from self.drop(key)
        for old in evicted:
            yield from self.drop(old)

    def drop(self, key: str) -> Plan[None]:
        """Remove ``key`` from the cache store, ignoring a missing key and logging failures."""
        try:
            yield Call(self.cache, "delete", (key,))
        except ObjectNotFound:
            pass
        except Exception as err:
            self._cache_failed("delete", key, err)

    def clear(self, key: Optional[str], listed: Iterable[str]) -> Plan[None]:
        """Drop ``key`` from the cache, or (``key`` None) every indexed and ``listed`` key."""
        if key is not None:
            self.index.discard(key)
            yield from self.drop(key)
            return
        for cached in dict.fromkeys([*self.index.clear(), *listed]):
            yield from self.drop(cached)


class Invalidation:
    """Drops ``key`` from the cache when the write it guards ends (``with`` sync, ``async with`` async)."""

    def __init__(self, logic: CachingLogic, key: str) -> None:
        self.logic = logic
        self.key = key

    def __enter__(self) -> Invalidation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        run(self.logic.clear(self.key, ()))

    async def __aenter__(self) -> Invalidation:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await arun(self.logic.clear(self.key, ()))

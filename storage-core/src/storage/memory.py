"""In-memory stores: ``DictStore`` and ``AsyncDictStore``."""

from __future__ import annotations

import threading
from typing import Any, Iterator, MutableMapping, Optional

from storage._base import ObjectStore
from storage._lifecycle import OPEN
from storage.bridge import SyncBackedAsyncStore
from storage.capabilities import Capabilities
from storage.errors import AlreadyExists, ObjectNotFound
from storage.validation import check_key, check_prefix

__all__ = ["AsyncDictStore", "DictStore"]


class DictStore(ObjectStore):
    """A store kept in a dict: the one given, or a new one.

    Values are kept as given (not copied or type-checked), as in the seed.
    """

    CAPABILITIES = Capabilities(native_conditional_write=True)
    _lock = threading.Lock()

    def __init__(self, objects: Optional[MutableMapping[str, Any]] = None) -> None:
        self.objects: MutableMapping[str, Any] = {} if objects is None else objects

    def _missing(self, operation: str, key: Any) -> ObjectNotFound:
        check_key(key, self.store_name, operation)
        return ObjectNotFound(store=self.store_name, operation=operation, key=key)

    def get(self, key: str) -> Any:
        """Return the object stored at ``key``; ``ObjectNotFound`` if there is none."""
        if self._state != OPEN:
            self._ensure_open("get")
        try:
            return self.objects[key]
        except (KeyError, TypeError):
            raise self._missing("get", key) from None

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` at ``key`` (``if_absent``: only if no object is there)."""
        if self._state != OPEN:
            self._ensure_open("put")
        if key.__class__ is not str or not key:
            check_key(key, self.store_name, "put")
        if not if_absent:
            self.objects[key] = data
            return
        with self._lock:
            if key in self.objects:
                raise AlreadyExists(store=self.store_name, operation="put", key=key)
            self.objects[key] = data

    def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key``."""
        if self._state != OPEN:
            self._ensure_open("exists")
        try:
            if key in self.objects:
                return True
        except TypeError:
            pass
        check_key(key, self.store_name, "exists")
        return False

    def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""
        if self._state != OPEN:
            self._ensure_open("delete")
        try:
            del self.objects[key]
        except (KeyError, TypeError):
            raise self._missing("delete", key) from None

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over a snapshot of the keys that start with ``prefix``."""
        if self._state != OPEN:
            self._ensure_open("keys")
        check_prefix(prefix, self.store_name)
        return iter([key for key in list(self.objects) if key.startswith(prefix)])

    def __repr__(self) -> str:
        return f"DictStore(<{len(self.objects)} objects>)"


class AsyncDictStore(SyncBackedAsyncStore):
    """The asyncio twin of ``DictStore``; calls run inline, as nothing blocks."""

    offload = False

    def __init__(self, objects: Optional[MutableMapping[str, Any]] = None) -> None:
        super().__init__(DictStore(objects))

    @property
    def objects(self) -> MutableMapping[str, Any]:
        """The dict the objects live in."""
        return self.sync_store.objects  # type: ignore[attr-defined, no-any-return]

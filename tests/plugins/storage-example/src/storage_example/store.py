"""ExampleStore: an in-process store whose namespaces outlive instances, like a remote service."""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Iterator

from storage.errors import ObjectNotFound
from storage.object import ObjectStore
from storage.validation import check_bytes, check_key, check_prefix


class ExampleStore(ObjectStore):
    """Objects live in a process-wide namespace, shared by every ExampleStore naming it."""

    _namespaces: ClassVar[dict[str, dict[str, bytes]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, namespace: str = "default") -> None:
        self.namespace = namespace

    @property
    def _objects(self) -> dict[str, bytes]:
        self._ensure_open()
        with self._lock:
            return self._namespaces.setdefault(self.namespace, {})

    def get(self, key: str) -> bytes:
        """Return the object at ``key``."""
        check_key(key, self.store_name, "get")
        try:
            return self._objects[key]
        except KeyError:
            raise ObjectNotFound(store=self.store_name, operation="get", key=key) from None

    def put(self, key: str, data: Any) -> None:
        """Store a copy of ``data`` at ``key``."""
        check_key(key, self.store_name, "put")
        self._objects[key] = bytes(check_bytes(data, self.store_name, key))

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object."""
        check_key(key, self.store_name, "exists")
        return key in self._objects

    def delete(self, key: str) -> None:
        """Remove the object at ``key``."""
        check_key(key, self.store_name, "delete")
        try:
            del self._objects[key]
        except KeyError:
            raise ObjectNotFound(store=self.store_name, operation="delete", key=key) from None

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over a snapshot of the keys starting with ``prefix``."""
        check_prefix(prefix, self.store_name)
        return iter([key for key in list(self._objects) if key.startswith(prefix)])

    def __repr__(self) -> str:
        return f"ExampleStore(namespace={self.namespace!r})"

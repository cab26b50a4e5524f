"""DbmStore: objects in a dbm database file (the portable ``dbm.dumb`` format)."""

from __future__ import annotations

import dbm.dumb
import os
import threading
from typing import Any, Iterator

from storage.errors import ObjectNotFound
from storage.object import ObjectStore
from storage.validation import check_bytes, check_key, check_prefix


class DbmStore(ObjectStore):
    """Each object is one record of the dbm database at ``path``."""

    _transient_attrs = ("_db", "_lock")

    def __init__(self, path: str) -> None:
        self.path = os.fspath(path)

    def _open(self) -> None:
        self._lock = threading.Lock()
        self._db = dbm.dumb.open(self.path, "c")

    def _close(self) -> None:
        self._db.close()

    def get(self, key: str) -> bytes:
        """Return the object at ``key``."""
        self._ensure_open("get")
        check_key(key, self.store_name, "get")
        with self._lock:
            try:
                return self._db[key.encode()]
            except KeyError:
                raise ObjectNotFound(store=self.store_name, operation="get", key=key) from None

    def put(self, key: str, data: Any) -> None:
        """Store ``data`` at ``key``."""
        self._ensure_open("put")
        check_key(key, self.store_name, "put")
        value = bytes(check_bytes(data, self.store_name, key))
        with self._lock:
            self._db[key.encode()] = value

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds an object."""
        self._ensure_open("exists")
        check_key(key, self.store_name, "exists")
        with self._lock:
            return key.encode() in self._db

    def delete(self, key: str) -> None:
        """Remove the object at ``key``."""
        self._ensure_open("delete")
        check_key(key, self.store_name, "delete")
        with self._lock:
            try:
                del self._db[key.encode()]
            except KeyError:
                raise ObjectNotFound(store=self.store_name, operation="delete", key=key) from None

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys starting with ``prefix``."""
        check_prefix(prefix, self.store_name)
        self._ensure_open("keys")
        with self._lock:
            names = [name.decode() for name in self._db.keys()]
        return iter([name for name in names if name.startswith(prefix)])

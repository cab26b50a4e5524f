"""IdentityStore, ReadonlyStore and WriteonlyStore."""

from __future__ import annotations

from typing import Any, BinaryIO, ClassVar, Iterable, Iterator, Mapping

from storage.utils._mixins import refuse
from storage.wrapper import StoreWrapper

__all__ = ["IdentityStore", "ReadOnlyRules", "ReadonlyStore", "WriteOnlyRules", "WriteonlyStore"]

READ_ONLY = "store is read-only"
WRITE_ONLY = "store is write-only"


class IdentityStore(StoreWrapper):
    """A no-op store fronting a backing store."""


class ReadOnlyRules:
    """The capabilities and requirements of a read-only layer (sync and async)."""

    CAPABILITY_CHANGES: ClassVar[Mapping[str, bool]] = {"write": False, "delete": False}
    REQUIRES: ClassVar[Mapping[str, tuple[str, ...]]] = {"store": ("read",)}


class WriteOnlyRules:
    """The capabilities and requirements of a write-only layer (sync and async)."""

    CAPABILITY_CHANGES: ClassVar[Mapping[str, bool]] = {"read": False, "listing": False}
    REQUIRES: ClassVar[Mapping[str, tuple[str, ...]]] = {"store": ("write",)}


class ReadonlyStore(ReadOnlyRules, IdentityStore):
    """Reads pass through (``stat``, ``get_range``, ``open_read``, ``list_dir`` natively).

    ``put``, ``delete``, ``delete_many``, ``open_write`` (at once, not on close), ``copy`` and
    ``rename`` raise ``UnsupportedOperation``.
    """

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "put", READ_ONLY)

    def delete(self, key: str) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "delete", READ_ONLY)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Refused: the store is read-only."""
        refuse(self.store_name, "delete_many", READ_ONLY)

    def open_write(self, key: str) -> BinaryIO:
        """Refused: the store is read-only."""
        refuse(self.store_name, "open_write", READ_ONLY)


class WriteonlyStore(WriteOnlyRules, IdentityStore):
    """Writes pass through (``open_write`` natively); reads and listings raise ``UnsupportedOperation``."""

    def get(self, key: str) -> Any:
        """Refused: the store is write-only."""
        refuse(self.store_name, "get", WRITE_ONLY)

    def exists(self, key: str) -> bool:
        """Refused: the store is write-only."""
        refuse(self.store_name, "exists", WRITE_ONLY)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Refused: the store is write-only."""
        refuse(self.store_name, "keys", WRITE_ONLY)

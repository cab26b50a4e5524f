"""ChecksumStore: a decorator that appends a CRC-32 to each object and verifies it on read."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from storage.errors import IntegrityError
from storage.validation import check_bytes
from storage.wrapper import StoreWrapper

_TRAILER = struct.Struct(">I")


class ChecksumStore(StoreWrapper):
    """Stores ``data + crc32(data)``; a read whose checksum fails raises ``IntegrityError``."""

    def put(self, key: str, data: Any) -> None:
        """Store ``data`` followed by its checksum."""
        view = check_bytes(data, self.store_name, key)
        super().put(key, bytes(view) + _TRAILER.pack(zlib.crc32(view)))

    def get(self, key: str) -> bytes:
        """Return the object at ``key`` after checking its checksum."""
        stored = bytes(super().get(key))
        body, trailer = stored[: -_TRAILER.size], stored[-_TRAILER.size :]
        if len(stored) < _TRAILER.size or _TRAILER.unpack(trailer)[0] != zlib.crc32(body):
            raise IntegrityError("checksum mismatch", store=self.store_name, operation="get", key=key)
        return body

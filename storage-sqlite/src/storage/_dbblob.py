"""Streaming ``SqliteStore`` objects: chunked blob I/O where ``sqlite3`` offers it (Python 3.11+).

``BLOB_IO`` says whether ``Connection.blobopen`` exists. Without it, readers hold the whole object in
memory and writers hand the whole object to ``put`` when they close.
"""

from __future__ import annotations

import io
import sqlite3
from typing import Any, BinaryIO, Callable, NoReturn

__all__ = ["BLOB_IO", "CHUNK", "BlobReader", "copy_into_blob"]

BLOB_IO = hasattr(sqlite3.Connection, "blobopen")
#: Bytes moved per blob read or write.
CHUNK = 1 << 20

Fail = Callable[[sqlite3.Error, str], NoReturn]


class BlobReader(io.RawIOBase):
    """A read-only, seekable file over one blob, on a connection of its own that it closes with itself.

    The connection's read transaction pins the database snapshot the blob was opened in, so the
    reader sees the object as it was then, whatever other writers do meanwhile.
    """

    def __init__(self, connection: sqlite3.Connection, blob: Any, fail: Fail) -> None:
        super().__init__()
        self._connection = connection
        self._blob = blob
        self._fail = fail
        self._position = 0
        self._size: int = len(blob)

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always True."""
        return True

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def _read(self, size: int) -> bytes:
        self._check_open()
        try:
            data = bytes(self._blob.read(size))
        except sqlite3.Error as err:
            self._fail(err, "open_read")
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes into ``buffer``; 0 at the end."""
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """Read everything from the position to the end, in one blob read."""
        return self._read(-1)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` (relative to ``whence``), past the end too, as files do."""
        self._check_open()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        try:
            self._blob.seek(min(target, self._size))
        except sqlite3.Error as err:
            self._fail(err, "open_read")
        self._position = target
        return target

    def tell(self) -> int:
        """The current position."""
        self._check_open()
        return self._position

    def close(self) -> None:
        """Close the connection, and with it the blob."""
        try:
            self._connection.close()
        finally:
            super().close()


def copy_into_blob(connection: sqlite3.Connection, rowid: int, source: BinaryIO) -> None:
    """Write ``source`` chunk by chunk into the (pre-sized) blob of row ``rowid``."""
    with connection.blobopen("objects", "data", rowid) as blob:  # type: ignore[attr-defined]
        chunk = source.read(CHUNK)
        while chunk:
            blob.write(chunk)
            chunk = source.read(CHUNK)


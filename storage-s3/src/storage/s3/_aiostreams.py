"""Streaming file objects of ``AsyncBucketStore``: the async faces of ``open_read`` and ``open_write``."""

from __future__ import annotations

from typing import Any

from storage.s3._body import BodyHandle
from storage.s3._multipart import UploadHandle, discard_stream, finish_stream, write_stream
from storage.streams import AsyncDiscardOnError

__all__ = ["AsyncBodyReader", "AsyncUploadWriter"]


class AsyncBodyReader(BodyHandle):
    """An async readable file (``await f.read(n)``) over the streaming body of a GET.

    Once the store is closed, reading raises ``StoreClosed`` and releases the connection.
    """

    closed = False

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default); ``b""`` at the end."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        body = self._readable_body()
        try:
            data: bytes = await body.read(None if size is None or size < 0 else size)
        except Exception as err:
            self._failed(err)
        return data

    async def close(self) -> None:
        """Release the connection (the rest of the body is not read)."""
        if not self.closed:
            self.closed = True
            self._body.close()

    async def discard(self) -> None:
        """The same as ``close()``."""
        await self.close()

    async def __aenter__(self) -> AsyncBodyReader:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<AsyncBodyReader {self._protocol.store_name} {self.key!r}>"


class AsyncUploadWriter(UploadHandle, AsyncDiscardOnError):
    """The async twin of ``UploadWriter``: ``await write``, ``await close``, ``await discard``, ``async with``.

    An async writer dropped without ``close()`` or ``discard()`` cannot abort its upload from the
    garbage collector: use ``async with`` (or a bucket lifecycle rule for incomplete uploads).
    Closing the store discards a writer still open; ``write`` and ``close`` then raise ``StoreClosed``.
    """

    async def write(self, data: Any) -> int:
        """Take ``data`` (bytes-like); return how many bytes were taken."""
        self._check_abandoned()
        written: int = await self._run(write_stream(self._protocol, self._upload, data))
        return written

    async def close(self) -> None:
        """Store what was written (once); ``StoreClosed`` if the store was closed first (nothing is stored)."""
        self._check_abandoned()
        if not self.closed:
            await self._run(finish_stream(self._protocol, self._upload))

    async def discard(self) -> None:
        """Close without storing anything, aborting the multipart upload if one was started."""
        if not self.closed:
            await self._run(discard_stream(self._protocol, self._upload))

    def __repr__(self) -> str:
        return f"<AsyncUploadWriter {self._protocol.store_name} {self._upload.key!r}>"

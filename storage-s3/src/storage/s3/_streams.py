"""Streaming file objects of ``BucketStore``: ``open_read`` over a GET body, ``open_write`` as a multipart upload."""

from __future__ import annotations

import io
import logging
from typing import Any

from storage.s3._body import BodyHandle
from storage.s3._multipart import UploadHandle, discard_stream, finish_stream, write_stream
from storage.streams import DiscardOnError

__all__ = ["BodyReader", "UploadWriter"]

log = logging.getLogger("storage.s3")


class BodyReader(BodyHandle, io.RawIOBase):
    """A readable binary file over the streaming body of a GET (botocore's ``StreamingBody``).

    Reads go to the network as they are asked for; a failure is a ``storage.errors`` type. Once
    the store is closed, reading raises ``StoreClosed`` and releases the connection.
    """

    def readable(self) -> bool:
        """Always true."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes into ``buffer``; 0 at the end of the object."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        body = self._readable_body()
        try:
            count: int = body.readinto(buffer)
        except Exception as err:
            self._failed(err)
        return count

    def close(self) -> None:
        """Release the connection (the rest of the body is not read)."""
        if not self.closed:
            try:
                self._body.close()
            finally:
                super().close()

    def __repr__(self) -> str:
        return f"<BodyReader {self._protocol.store_name} {self.key!r}>"


class UploadWriter(UploadHandle, DiscardOnError, io.BufferedIOBase):
    """A writable, non-seekable binary file that streams into a multipart upload; the object appears on ``close()``.

    Each ``write`` runs through ``run`` (the store's plan runner): it takes all of ``data``, and
    sends a part whenever a part's worth is buffered. ``close()`` completes the upload (or sends
    one PutObject if no part was sent); ``discard()``, a ``with`` block that raises, or garbage
    collection before ``close()`` aborts it, so nothing is stored and no parts remain. As an
    ``io.BufferedIOBase`` it has ``writelines``, and ``io.TextIOWrapper`` can wrap it. Closing the
    store discards a writer still open; ``write`` and ``close`` then raise ``StoreClosed``.
    """

    def writable(self) -> bool:
        """Always true."""
        return True

    def readable(self) -> bool:
        """Always false."""
        return False

    def seekable(self) -> bool:
        """Always false: parts already sent cannot be rewritten."""
        return False

    def write(self, data: Any) -> int:
        """Take ``data`` (bytes-like); return how many bytes were taken."""
        self._check_abandoned()
        written: int = self._run(write_stream(self._protocol, self._upload, data))
        return written

    def flush(self) -> None:
        """Nothing to do: parts are sent as they fill."""

    def close(self) -> None:
        """Store what was written (once); ``StoreClosed`` if the store was closed first (nothing is stored)."""
        self._check_abandoned()
        if not self.closed:
            self._run(finish_stream(self._protocol, self._upload))

    def discard(self) -> None:
        """Close without storing anything, aborting the multipart upload if one was started."""
        if not self.closed:
            self._run(discard_stream(self._protocol, self._upload))

    def __del__(self) -> None:
        if "_upload" in self.__dict__ and not self.closed:
            log.warning("%s: a stream writing %r was never closed; discarding it",
                        self._protocol.store_name, self._upload.key)
            try:
                self.discard()
            except Exception as err:
                log.warning("%s: could not discard the stream writing %r: %s",
                            self._protocol.store_name, self._upload.key, err)

    def __repr__(self) -> str:
        return f"<UploadWriter {self._protocol.store_name} {self._upload.key!r}>"

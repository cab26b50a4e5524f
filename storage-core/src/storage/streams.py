"""File objects for streaming reads and writes (``open_read`` / ``open_write``).

The derived defaults buffer in memory: ``open_read`` reads the whole object, ``open_write``
stores what was written when it is closed. Backends that can stream override them. A writer
used in a ``with`` block that raises is discarded: no object, and no partial object, appears.
"""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, Awaitable, BinaryIO, Callable, Optional, Union

from storage.validation import RESERVED_SEGMENT_PREFIX

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = [
    "AsyncBufferedWriter",
    "AsyncDiscardOnError",
    "AsyncFileAdapter",
    "BufferedObjectWriter",
    "DiscardOnError",
    "TempFileWriter",
    "call_inline",
    "spooled_writer",
    "write_all",
]


class DiscardOnError:
    """``with`` for a writer: leaving the block closes (stores) it, or discards it if the block raised."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        writer: Any = self
        if exc_type is not None:
            writer.discard()
        else:
            writer.close()


class AsyncDiscardOnError:
    """``async with`` for an async writer: close (store) it, or discard it if the block raised."""

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, exc_type: Any, *rest: Any) -> None:
        writer: Any = self
        if exc_type is not None:
            await writer.discard()
        else:
            await writer.close()


class BufferedObjectWriter(DiscardOnError, io.BytesIO):
    """Collects writes in memory and hands them to ``commit`` on ``close()``."""

    def __init__(self, commit: Callable[[bytes], None]) -> None:
        super().__init__()
        self._commit: Optional[Callable[[bytes], None]] = commit

    def close(self) -> None:
        """Store what was written (once) and close."""
        commit, self._commit = self._commit, None
        if commit is not None and not self.closed:
            data = self.getvalue()
            super().close()
            commit(data)
        super().close()

    def discard(self) -> None:
        """Close without storing anything."""
        self._commit = None
        super().close()


def write_all(fd: int, data: Union[bytes, memoryview]) -> None:
    """Write all of ``data`` to ``fd``; a short write (the system may take less per call) is continued."""
    written = os.write(fd, data)
    if written < len(data):
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]


class TempFileWriter(DiscardOnError, io.FileIO):
    """A writer of the temporary file open as ``fd``: ``close()`` stores it (``commit``), ``discard()`` drops it.

    ``commit`` and ``discard`` own ``fd`` (the writer never closes it) and the file behind it. The
    writer is discarded (nothing stored) if a ``with`` block around it raises, or if it is
    garbage-collected without being closed.
    """

    def __init__(self, fd: int, commit: Callable[[], None], discard: Callable[[], None]) -> None:
        super().__init__(fd, "wb", closefd=False)
        self._endings: Optional[tuple[Callable[[], None], Callable[[], None]]] = (commit, discard)

    def write(self, data: ReadableBuffer, /) -> int:
        """Write all of ``data`` (the system may take less per call); return its length."""
        view = memoryview(data).cast("B")
        write_all(self.fileno(), view)
        return view.nbytes

    def close(self) -> None:
        """Store the object (once) and close."""
        self._end(commit=True)

    def discard(self) -> None:
        """Close without storing anything."""
        self._end(commit=False)

    def _end(self, commit: bool) -> None:
        endings, self._endings = self._endings, None
        try:
            if endings is not None:
                (endings[0] if commit else endings[1])()
        finally:
            super().close()

    def __del__(self) -> None:
        if getattr(self, "_endings", None) is not None:
            self.discard()


def spooled_writer(commit: Callable[[BinaryIO, int], None], directory: Optional[str] = None) -> BinaryIO:
    """A temporary file (in ``directory``) handed to ``commit(file, size)`` on close, then removed.

    Nothing is stored if a ``with`` block around it raises.
    """
    import tempfile

    fd, path = tempfile.mkstemp(prefix=RESERVED_SEGMENT_PREFIX, dir=directory)

    def store() -> None:
        try:
            os.close(fd)
            with open(path, "rb") as spooled:
                commit(spooled, os.fstat(spooled.fileno()).st_size)
        finally:
            os.unlink(path)

    def drop() -> None:
        os.close(fd)
        try:
            os.unlink(path)
        except OSError:
            pass

    return TempFileWriter(fd, store, drop)


async def call_inline(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in the current task (for files that never block)."""
    return function(*args)


class AsyncFileAdapter(AsyncDiscardOnError):
    """An async face for a binary file object; ``call`` runs each file method (e.g. in a thread)."""

    def __init__(self, file: BinaryIO, call: Callable[..., Awaitable[Any]] = call_inline) -> None:
        self.file = file
        self._call = call

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left by default)."""
        data: bytes = await self._call(self.file.read, size)
        return data

    async def write(self, data: Any) -> int:
        """Write ``data``; return how many bytes were taken."""
        written: int = await self._call(self.file.write, data)
        return written

    async def close(self) -> None:
        """Close the file (for a writer: store the object)."""
        await self._call(self.file.close)

    async def discard(self) -> None:
        """Close a writer without storing anything."""
        discard = getattr(self.file, "discard", None)
        await self._call(discard if discard is not None else self.file.close)


class AsyncBufferedWriter(AsyncFileAdapter):
    """Collects writes in memory and awaits ``commit`` with them on ``close()``."""

    def __init__(self, commit: Callable[[bytes], Awaitable[None]]) -> None:
        super().__init__(io.BytesIO())
        self._commit: Optional[Callable[[bytes], Awaitable[None]]] = commit

    async def close(self) -> None:
        """Store what was written (once) and close."""
        commit, self._commit = self._commit, None
        if commit is not None:
            data = self.file.getvalue()  # type: ignore[attr-defined]
            self.file.close()
            await commit(data)
        self.file.close()

    async def discard(self) -> None:
        """Close without storing anything."""
        self._commit = None
        self.file.close()

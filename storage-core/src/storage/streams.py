"""File objects for streaming reads and writes (``open_read`` / ``open_write``).

The derived defaults buffer in memory: ``open_read`` reads the whole object, ``open_write``
stores what was written when it is closed. Backends that can stream override them. A writer
used in a ``with`` block that raises is discarded: no object, and no partial object, appears.
"""

from __future__ import annotations

import io
from typing import Any, Awaitable, BinaryIO, Callable, Optional

__all__ = ["AsyncBufferedWriter", "AsyncFileAdapter", "BufferedObjectWriter", "call_inline"]


class BufferedObjectWriter(io.BytesIO):
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

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None:
            self.discard()
        else:
            self.close()


async def call_inline(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in the current task (for files that never block)."""
    return function(*args)


class AsyncFileAdapter:
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

    async def __aenter__(self) -> AsyncFileAdapter:
        return self

    async def __aexit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None:
            await self.discard()
        else:
            await self.close()


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

"""``BlockingStore``: a sync view of an async store, for sync code (the conformance kit, the CLI).

Every call runs the async store's coroutine to completion with the ``run`` function given, for
example ``loop.run_until_complete`` of an event loop the caller owns.
"""

from __future__ import annotations

from typing import Any, Awaitable, BinaryIO, Callable, Iterable, Iterator, Optional, TypeVar, cast

from storage._base import AsyncObjectStore, Items, ObjectStore
from storage.capabilities import Capabilities
from storage.metadata import ListResult, ObjectInfo

__all__ = ["BlockingStore"]

T = TypeVar("T")


class BlockingStore(ObjectStore):
    """Runs each call of ``inner`` (an async store) to completion with ``run``."""

    def __init__(self, inner: AsyncObjectStore, run: Callable[[Awaitable[Any]], Any]) -> None:
        self.inner = inner
        self.run = run

    @property
    def capabilities(self) -> Capabilities:
        """What the async store can do."""
        return self.inner.capabilities

    @property
    def closed(self) -> bool:
        """Whether the async store is closed."""
        return self.inner.closed

    def get(self, key: str) -> Any:
        """``await inner.get(key)``."""
        return self.run(self.inner.get(key))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """``await inner.put(key, data, if_absent=...)``."""
        self.run(self.inner.put(key, data, if_absent=if_absent))

    def stat(self, key: str) -> ObjectInfo:
        """``await inner.stat(key)``."""
        return cast(ObjectInfo, self.run(self.inner.stat(key)))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """``await inner.get_range(key, start, end)``."""
        return bytes(self.run(self.inner.get_range(key, start, end)))

    def copy(self, source: str, target: str) -> None:
        """``await inner.copy(source, target)``."""
        self.run(self.inner.copy(source, target))

    def rename(self, source: str, target: str) -> None:
        """``await inner.rename(source, target)``."""
        self.run(self.inner.rename(source, target))

    def list_dir(self, prefix: str = "") -> ListResult:
        """``await inner.list_dir(prefix)``."""
        return cast(ListResult, self.run(self.inner.list_dir(prefix)))

    def open_read(self, key: str) -> BinaryIO:
        """A blocking view of ``await inner.open_read(key)``."""
        return cast(BinaryIO, _BlockingFile(self.run(self.inner.open_read(key)), self.run))

    def open_write(self, key: str) -> BinaryIO:
        """A blocking view of ``await inner.open_write(key)``."""
        return cast(BinaryIO, _BlockingFile(self.run(self.inner.open_write(key)), self.run))

    def exists(self, key: str) -> bool:
        """``await inner.exists(key)``."""
        return bool(self.run(self.inner.exists(key)))

    def delete(self, key: str) -> None:
        """``await inner.delete(key)``."""
        self.run(self.inner.delete(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Pull ``inner.keys(prefix)`` one key at a time."""
        iterator = self.inner.keys(prefix).__aiter__()

        async def step() -> tuple[bool, str]:
            try:
                return True, await iterator.__anext__()
            except StopAsyncIteration:
                return False, ""

        def generate() -> Iterator[str]:
            while True:
                more, key = self.run(step())
                if not more:
                    return
                yield key

        return generate()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """``await inner.get_many(keys)``."""
        return dict(self.run(self.inner.get_many(keys)))

    def put_many(self, items: Items) -> None:
        """``await inner.put_many(items)``."""
        self.run(self.inner.put_many(items))

    def delete_many(self, keys: Iterable[str]) -> None:
        """``await inner.delete_many(keys)``."""
        self.run(self.inner.delete_many(keys))

    def open(self) -> None:
        """``await inner.open()``."""
        self.run(self.inner.open())

    def close(self) -> None:
        """``await inner.close()``."""
        self.run(self.inner.close())

    def __repr__(self) -> str:
        return f"BlockingStore({self.inner!r})"


class _BlockingFile:
    """Runs the coroutines of an async file object (``read``, ``write``, ``close``, ``discard``)."""

    def __init__(self, file: Any, run: Callable[[Awaitable[Any]], Any]) -> None:
        self.file = file
        self.run = run

    def read(self, size: int = -1) -> bytes:
        return bytes(self.run(self.file.read(size)))

    def write(self, data: Any) -> int:
        return int(self.run(self.file.write(data)))

    def close(self) -> None:
        self.run(self.file.close())

    def discard(self) -> None:
        self.run(self.file.discard())

    def __enter__(self) -> _BlockingFile:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        self.run(self.file.__aexit__(exc_type, *rest))

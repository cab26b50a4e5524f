"""A blocking view of an async store, so one set of conformance tests serves both kinds."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Iterable, Iterator, TypeVar

from storage._base import AsyncObjectStore, Items, ObjectStore
from storage.capabilities import Capabilities

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

    def put(self, key: str, data: Any) -> None:
        """``await inner.put(key, data)``."""
        self.run(self.inner.put(key, data))

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

"""AsyncMetricsStore: counts, bytes, errors and latencies of every operation."""

from __future__ import annotations

from typing import Any, AsyncIterator, Optional

from storage.metadata import ListResult, ObjectInfo
from storage.streams import AsyncFileAdapter
from storage.utils._meter import MetricsRules, size
from storage.wrapper import AsyncStoreWrapper, passes_values

__all__ = ["AsyncMetricsStore"]


class AsyncMetricsStore(MetricsRules, AsyncStoreWrapper):
    """Measures every operation on the wrapped store; ``snapshot()`` returns the figures.

    The figures and the OpenTelemetry export of ``storage.utils.MetricsStore``; the operations
    beyond get/put are the wrapped store's own (native where it has them), each measured.
    """

    def __init__(self, store: Any, name: str = "store", reservoir_size: int = 1024) -> None:
        super().__init__(store)
        self._set_metrics(name, reservoir_size)

    @passes_values
    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, measured."""
        with self.metrics.measure("get") as measured:
            value = await super().get(key)
            measured.bytes_out = size(value)
            return value

    @passes_values
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, measured."""
        with self.metrics.measure("put", size(data)):
            await super().put(key, data, if_absent=if_absent)

    @passes_values
    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, measured."""
        with self.metrics.measure("exists"):
            return await super().exists(key)

    @passes_values
    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, measured."""
        with self.metrics.measure("delete"):
            await super().delete(key)

    @passes_values
    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, measured as one operation."""
        with self.metrics.measure("keys"):
            async for key in super().keys(prefix):
                yield key

    async def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat``, measured."""
        with self.metrics.measure("stat"):
            return await super().stat(key)

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``, measured (its bytes as ``bytes_out``)."""
        with self.metrics.measure("get_range") as measured:
            data = await super().get_range(key, start, end)
            measured.bytes_out = size(data)
            return data

    @passes_values
    async def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``, measured."""
        with self.metrics.measure("copy"):
            await super().copy(source, target)

    async def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``, measured."""
        with self.metrics.measure("rename"):
            await super().rename(source, target)

    async def open_read(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's reader; opening it is measured."""
        with self.metrics.measure("open_read"):
            return await super().open_read(key)

    async def open_write(self, key: str) -> AsyncFileAdapter:
        """The wrapped store's writer; opening it is measured."""
        with self.metrics.measure("open_write"):
            return await super().open_write(key)

    async def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir``, measured."""
        with self.metrics.measure("list_dir"):
            return await super().list_dir(prefix)

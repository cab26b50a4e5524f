"""AsyncMetricsStore: counts, bytes, errors and latencies of every operation."""

from __future__ import annotations

from typing import Any, AsyncIterator

from storage.utils._meter import MetricsRules, size
from storage.wrapper import AsyncStoreWrapper

__all__ = ["AsyncMetricsStore"]


class AsyncMetricsStore(MetricsRules, AsyncStoreWrapper):
    """Measures every operation on the wrapped store; ``snapshot()`` returns the figures.

    The figures and the OpenTelemetry export of ``storage.utils.MetricsStore``.
    """

    def __init__(self, store: Any, name: str = "store", reservoir_size: int = 1024) -> None:
        super().__init__(store)
        self._set_metrics(name, reservoir_size)

    async def get(self, key: str) -> Any:
        """The wrapped store's ``get``, measured."""
        with self.metrics.measure("get") as measured:
            value = await super().get(key)
            measured.bytes_out = size(value)
            return value

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, measured."""
        with self.metrics.measure("put", size(data)):
            await super().put(key, data, if_absent=if_absent)

    async def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, measured."""
        with self.metrics.measure("exists"):
            return await super().exists(key)

    async def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, measured."""
        with self.metrics.measure("delete"):
            await super().delete(key)

    async def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The wrapped store's keys, measured as one operation."""
        with self.metrics.measure("keys"):
            async for key in super().keys(prefix):
                yield key

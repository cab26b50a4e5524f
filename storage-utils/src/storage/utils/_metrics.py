"""MetricsStore: counts, bytes, errors and latencies of every operation."""

from __future__ import annotations

from time import perf_counter
from typing import Any, Iterator

from storage._lifecycle import OPEN
from storage.utils._meter import MetricsRules, size
from storage.wrapper import StoreWrapper

__all__ = ["MetricsStore"]


class MetricsStore(MetricsRules, StoreWrapper):
    """Measures every operation on the wrapped store; ``snapshot()`` returns the figures.

    Per operation: ``count``, ``errors``, ``bytes_in`` (written by ``put``), ``bytes_out`` (read
    by ``get``) and latency percentiles (p50, p90, p99 of the latest ``reservoir_size`` calls; a
    listing counts once, from its start to its end). With ``opentelemetry-api`` installed
    (``pip install 'storage-utils[otel]'``) the same figures also go to the global meter provider,
    labelled with ``name``.
    """

    def __init__(self, store: Any, name: str = "store", reservoir_size: int = 1024) -> None:
        super().__init__(store)
        self._set_metrics(name, reservoir_size)

    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, measured."""
        started = perf_counter()
        try:
            if self._state != OPEN:
                self._ensure_open("get")
            value = self.store.get(key)
        except BaseException as err:
            self.metrics.record("get", perf_counter() - started, 0, 0, isinstance(err, Exception))
            raise
        self.metrics.record("get", perf_counter() - started, 0, size(value), False)
        return value

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, measured."""
        started = perf_counter()
        try:
            if self._state != OPEN:
                self._ensure_open("put")
            self.store.put(key, data, if_absent=if_absent)
        except BaseException as err:
            self.metrics.record("put", perf_counter() - started, size(data), 0, isinstance(err, Exception))
            raise
        self.metrics.record("put", perf_counter() - started, size(data), 0, False)

    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, measured."""
        with self.metrics.measure("exists"):
            return super().exists(key)

    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, measured."""
        with self.metrics.measure("delete"):
            super().delete(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, measured as one operation."""
        self._check("keys")
        return self._keys(prefix)

    def _keys(self, prefix: str) -> Iterator[str]:
        with self.metrics.measure("keys"):
            yield from super().keys(prefix)

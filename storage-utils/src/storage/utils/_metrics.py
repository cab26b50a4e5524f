"""MetricsStore: counts, bytes, errors and latencies of every operation."""

from __future__ import annotations

from time import perf_counter
from typing import Any, ClassVar, Deque, Iterator, Optional

from storage._lifecycle import OPEN
from storage.utils._meter import BATCH, MetricsRules, Recorder, size
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

    #: The recorder's queues of successful gets and puts, appended to directly; None while
    #: OpenTelemetry exports: every call then goes through ``Recorder.record``. Set with ``metrics``.
    _get_lane: Optional[Deque[tuple[float, int, int]]] = None
    _put_lane: Optional[Deque[tuple[float, int, int]]] = None
    _recorder: Recorder
    _transient_attrs: ClassVar[tuple[str, ...]] = ("_get_lane", "_put_lane")

    def __init__(self, store: Any, name: str = "store", reservoir_size: int = 1024) -> None:
        super().__init__(store)
        self._set_metrics(name, reservoir_size)

    @property
    def metrics(self) -> Recorder:
        """The recorder of the figures; another may be assigned (several stores may share one)."""
        return self._recorder

    @metrics.setter
    def metrics(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self._get_lane = recorder.lane("get")
        self._put_lane = recorder.lane("put")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.metrics = self._recorder

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
        lane = self._get_lane
        if lane is None:
            self.metrics.record("get", perf_counter() - started, 0, size(value), False)
        else:
            lane.append((perf_counter() - started, 0, len(value) if value.__class__ is bytes else size(value)))
            if len(lane) >= BATCH:
                self.metrics.settle("get")
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
        lane = self._put_lane
        if lane is None:
            self.metrics.record("put", perf_counter() - started, size(data), 0, False)
        else:
            lane.append((perf_counter() - started, len(data) if data.__class__ is bytes else size(data), 0))
            if len(lane) >= BATCH:
                self.metrics.settle("put")

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

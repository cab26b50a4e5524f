"""MetricsStore: counts, bytes, errors and latencies of every operation."""

from __future__ import annotations

from time import perf_counter
from typing import Any, BinaryIO, ClassVar, Deque, Iterator, Optional

from storage._lifecycle import OPEN
from storage.metadata import ListResult, ObjectInfo
from storage.utils._meter import BATCH, MetricsRules, Recorder, size
from storage.wrapper import StoreWrapper, passes_values

__all__ = ["MetricsStore"]


class MetricsStore(MetricsRules, StoreWrapper):
    """Measures every operation on the wrapped store; ``snapshot()`` returns the figures.

    Per operation: ``count``, ``errors``, ``bytes_in`` (written by ``put``), ``bytes_out`` (read
    by ``get`` and ``get_range``) and latency percentiles (p50, p90, p99 of the latest
    ``reservoir_size`` calls; a listing counts once, from its start to its end). Values pass
    through unchanged, so ``stat``, ``get_range``, ``copy``, ``rename``, ``open_read``,
    ``open_write`` and ``list_dir`` are the wrapped store's own (native where it has them), each
    measured as one operation (for streams: the call that opens them). With ``opentelemetry-api`` installed
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

    @passes_values
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

    @passes_values
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

    @passes_values
    def exists(self, key: str) -> bool:
        """The wrapped store's ``exists``, measured."""
        with self.metrics.measure("exists"):
            return super().exists(key)

    @passes_values
    def delete(self, key: str) -> None:
        """The wrapped store's ``delete``, measured."""
        with self.metrics.measure("delete"):
            super().delete(key)

    @passes_values
    def keys(self, prefix: str = "") -> Iterator[str]:
        """The wrapped store's keys, measured as one operation."""
        self._check("keys")
        return self._keys(prefix)

    def _keys(self, prefix: str) -> Iterator[str]:
        with self.metrics.measure("keys"):
            yield from super().keys(prefix)

    def stat(self, key: str) -> ObjectInfo:
        """The wrapped store's ``stat``, measured."""
        with self.metrics.measure("stat"):
            return super().stat(key)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """The wrapped store's ``get_range``, measured (its bytes as ``bytes_out``)."""
        with self.metrics.measure("get_range") as measured:
            data = super().get_range(key, start, end)
            measured.bytes_out = size(data)
            return data

    @passes_values
    def copy(self, source: str, target: str) -> None:
        """The wrapped store's ``copy``, measured."""
        with self.metrics.measure("copy"):
            super().copy(source, target)

    def rename(self, source: str, target: str) -> None:
        """The wrapped store's ``rename``, measured."""
        with self.metrics.measure("rename"):
            super().rename(source, target)

    def open_read(self, key: str) -> BinaryIO:
        """The wrapped store's reader; opening it is measured."""
        with self.metrics.measure("open_read"):
            return super().open_read(key)

    def open_write(self, key: str) -> BinaryIO:
        """The wrapped store's writer; opening it is measured."""
        with self.metrics.measure("open_write"):
            return super().open_write(key)

    def list_dir(self, prefix: str = "") -> ListResult:
        """The wrapped store's ``list_dir``, measured."""
        with self.metrics.measure("list_dir"):
            return super().list_dir(prefix)

"""What both metrics twins share: the recorder, its snapshot, the OpenTelemetry export, the report.

``Recorder.measure(operation)`` is a context manager used the same way around a sync call and an
``await``. Counts, errors and bytes are exact; latency percentiles come from the latest
``reservoir_size`` samples of each operation.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from itertools import repeat, starmap
from types import TracebackType
from typing import Any, Deque, Optional

from storage.errors import ConfigError

__all__ = ["BATCH", "Measurement", "MetricsRules", "Recorder", "format_metrics", "size"]

PERCENTILES = (50, 90, 99)
#: Successful calls are added to the figures in batches of this many.
BATCH = 256
_COLUMNS = ("operation", "count", "errors", "bytes_in", "bytes_out", "p50_ms", "p90_ms", "p99_ms")


def size(value: Any) -> int:
    """Bytes in a bytes-like value; 0 for values of other types (a DictStore keeps any value)."""
    if value.__class__ is bytes:
        return len(value)
    try:
        return memoryview(value).nbytes
    except TypeError:
        return 0


def _percentile(ordered: list[float], percent: int) -> Optional[float]:
    """Nearest-rank percentile of sorted samples, None without samples."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class _Stats:
    """One operation's figures, and its calls finished since they were last added up."""

    def __init__(self, reservoir_size: int) -> None:
        self.count = 0
        self.errors = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.latencies: Deque[float] = collections.deque(maxlen=reservoir_size)
        #: Successful calls not yet added up, as ``(seconds, bytes_in, bytes_out)``: appended without a
        #: lock (``deque.append`` is atomic), added up by ``settle`` under the recorder's lock.
        self.pending: Deque[tuple[float, int, int]] = collections.deque()

    def settle(self) -> None:
        """Add the pending calls to the figures (the caller holds the recorder's lock)."""
        pending = self.pending
        done = list(starmap(pending.popleft, repeat((), len(pending))))
        if done:
            seconds, bytes_in, bytes_out = zip(*done)
            self.count += len(done)
            self.bytes_in += sum(bytes_in)
            self.bytes_out += sum(bytes_out)
            self.latencies.extend(seconds)

    def add_failed(self, seconds: float, bytes_in: int, bytes_out: int) -> None:
        """Count one failed call (the caller holds the recorder's lock)."""
        self.count += 1
        self.errors += 1
        self.bytes_in += bytes_in
        self.bytes_out += bytes_out
        self.latencies.append(seconds)

    def clear(self) -> None:
        """Forget the figures (the caller holds the recorder's lock and has settled)."""
        self.count = self.errors = self.bytes_in = self.bytes_out = 0
        self.latencies.clear()

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        latency = {f"p{p}": _ms(_percentile(ordered, p)) for p in PERCENTILES}
        return {
            "count": self.count, "errors": self.errors, "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out, "latency_ms": latency,
        }


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 3)


class _Telemetry:
    """The OpenTelemetry instruments, when ``opentelemetry-api`` is installed."""

    def __init__(self, metrics: Any) -> None:
        meter = metrics.get_meter("storage.utils")
        self.operations = meter.create_counter("storage.operations", unit="{operation}")
        self.errors = meter.create_counter("storage.errors", unit="{operation}")
        self.bytes_in = meter.create_counter("storage.bytes_in", unit="By")
        self.bytes_out = meter.create_counter("storage.bytes_out", unit="By")
        self.duration = meter.create_histogram("storage.operation.duration", unit="s")

    @classmethod
    def load(cls) -> Optional[_Telemetry]:
        """The instruments, or None without ``opentelemetry-api``."""
        try:
            from opentelemetry import metrics
        except ImportError:
            return None
        return cls(metrics)

    def record(self, attributes: dict[str, str], seconds: float, sent: int, received: int, failed: bool) -> None:
        self.operations.add(1, attributes)
        self.duration.record(seconds, attributes)
        if failed:
            self.errors.add(1, attributes)
        if sent:
            self.bytes_in.add(sent, attributes)
        if received:
            self.bytes_out.add(received, attributes)


class Recorder:
    """Thread-safe per-operation counts, bytes, errors and latencies of one store.

    Successful calls are queued per operation without a lock and added up in batches of
    ``BATCH`` and before every read of the figures; a store's hot path may append to the queue
    that ``lane`` returns itself.
    """

    def __init__(self, name: str, reservoir_size: int) -> None:
        self.name = name
        self.reservoir_size = reservoir_size
        self._stats: dict[str, _Stats] = {}
        self._lock = threading.Lock()
        self._telemetry: Any = None

    def telemetry(self) -> Optional[_Telemetry]:
        """The OpenTelemetry instruments, loaded on first use (None without the package)."""
        if self._telemetry is None:
            self._telemetry = _Telemetry.load() or False
        return self._telemetry or None

    def _stats_of(self, operation: str) -> _Stats:
        """``operation``'s figures, made under the lock the first time (so no reader sees ``_stats`` change size)."""
        stats = self._stats.get(operation)
        if stats is None:
            with self._lock:
                stats = self._stats.setdefault(operation, _Stats(self.reservoir_size))
        return stats

    def lane(self, operation: str) -> Optional[Deque[tuple[float, int, int]]]:
        """The queue of ``operation``'s successful calls, or None while OpenTelemetry is exporting.

        A caller appends ``(seconds, bytes_in, bytes_out)`` and calls ``settle(operation)`` once the
        queue holds ``BATCH`` calls or more; with None every call must go through ``record``.
        """
        return None if self.telemetry() is not None else self._stats_of(operation).pending

    def settle(self, operation: str) -> None:
        """Add ``operation``'s queued calls to its figures."""
        stats = self._stats_of(operation)
        with self._lock:
            stats.settle()

    def measure(self, operation: str, bytes_in: int = 0) -> Measurement:
        """Time one operation; set ``bytes_out`` on the result for reads."""
        return Measurement(self, operation, bytes_in)

    def record(self, operation: str, seconds: float, bytes_in: int, bytes_out: int, failed: bool) -> None:
        """Add one finished operation."""
        stats = self._stats_of(operation)
        if failed:
            with self._lock:
                stats.add_failed(seconds, bytes_in, bytes_out)
        else:
            pending = stats.pending
            pending.append((seconds, bytes_in, bytes_out))
            if len(pending) >= BATCH:
                with self._lock:
                    stats.settle()
        if self._telemetry is not False:
            telemetry = self.telemetry()
            if telemetry is not None:
                attributes = {"storage.store": self.name, "storage.operation": operation}
                telemetry.record(attributes, seconds, bytes_in, bytes_out, failed)

    def _settled(self) -> list[tuple[str, _Stats]]:
        """Every operation's figures with its queue added up (the caller holds ``_lock``)."""
        for stats in self._stats.values():
            stats.settle()
        return sorted(self._stats.items())

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the figures so far (operations not called since the last reset are left out)."""
        with self._lock:
            operations = {name: stats.as_dict() for name, stats in self._settled() if stats.count}
        return {"store": self.name, "operations": operations}

    def reset(self) -> None:
        """Forget every figure (the queues stay, so stores holding a lane keep counting)."""
        with self._lock:
            for _, stats in self._settled():
                stats.clear()

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            self._settled()
            state = {name: getattr(self, name) for name in ("name", "reservoir_size", "_stats")}
        state["_telemetry"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._lock = threading.Lock()


class Measurement:
    """Records one operation when the ``with`` block ends: its time, bytes and outcome."""

    def __init__(self, recorder: Recorder, operation: str, bytes_in: int) -> None:
        self.recorder = recorder
        self.operation = operation
        self.bytes_in = bytes_in
        self.bytes_out = 0
        self.started = time.perf_counter()

    def __enter__(self) -> Measurement:
        return self

    def __exit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]
    ) -> None:
        failed = isinstance(error, Exception) and not isinstance(error, (GeneratorExit, StopAsyncIteration))
        seconds = time.perf_counter() - self.started
        self.recorder.record(self.operation, seconds, self.bytes_in, self.bytes_out, failed)


class MetricsRules:
    """The metrics twins' settings and their Python view: ``snapshot()`` and ``reset()``."""

    metrics: Recorder

    def _set_metrics(self, name: str, reservoir_size: int) -> None:
        if isinstance(reservoir_size, bool) or not isinstance(reservoir_size, int) or reservoir_size < 1:
            raise ConfigError(f"reservoir_size must be an integer of at least 1, not {reservoir_size!r}")
        self.metrics = Recorder(name, reservoir_size)

    def snapshot(self) -> dict[str, Any]:
        """Per-operation ``count``, ``errors``, ``bytes_in``, ``bytes_out`` and ``latency_ms`` percentiles.

        A plain dict (``json.dumps`` takes it); ``format_metrics`` prints it as a table.
        """
        return self.metrics.snapshot()

    def reset(self) -> None:
        """Forget every figure."""
        self.metrics.reset()

    def repr_args(self) -> str:
        """The name the figures are recorded under."""
        return repr(self.metrics.name)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def format_metrics(snapshot: dict[str, Any]) -> str:
    """A snapshot as an aligned text table (one line per operation), for the command line."""
    rows = [list(_COLUMNS)]
    for operation, stats in snapshot.get("operations", {}).items():
        latency = stats.get("latency_ms", {})
        rows.append([
            operation, *(_cell(stats.get(name)) for name in ("count", "errors", "bytes_in", "bytes_out")),
            *(_cell(latency.get(f"p{p}")) for p in PERCENTILES),
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [f"metrics of {snapshot.get('store', 'store')}"]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
    return "\n".join(lines)

"""MetricsStore and AsyncMetricsStore: counts, bytes, errors, percentiles, the report, OpenTelemetry."""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
from typing import Any

import pytest

from storage.aioutils import AsyncMetricsStore
from storage.errors import ConfigError, ObjectNotFound
from storage.object import AsyncDictStore, DictStore
from storage.utils import MetricsStore, format_metrics
from storage.utils._meter import BATCH, Recorder, _Telemetry


@pytest.fixture(params=["queued", "exported"])
def exporting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a test twice: without OpenTelemetry (gets and puts queue their figures) and with it."""
    if request.param == "queued":
        monkeypatch.setitem(sys.modules, "opentelemetry", None)
    return request.param == "exported"


def _exercise(store: MetricsStore) -> None:
    store.put("a", b"12345")
    store.put("b", b"xy")
    assert store.get("a") == b"12345"
    with pytest.raises(ObjectNotFound):
        store.get("missing")
    assert store.exists("a")
    store.delete("b")
    assert list(store.keys()) == ["a"]


@pytest.mark.usefixtures("exporting")
def test_snapshot_counts_bytes_errors_and_latency() -> None:
    store = MetricsStore(DictStore(), "main")
    _exercise(store)
    snapshot = store.snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["store"] == "main"
    operations = snapshot["operations"]
    assert operations["put"]["count"] == 2 and operations["put"]["bytes_in"] == 7
    assert operations["get"] == {**operations["get"], "count": 2, "errors": 1, "bytes_out": 5}
    assert operations["exists"]["count"] == operations["delete"]["count"] == operations["keys"]["count"] == 1
    latency = operations["get"]["latency_ms"]
    assert set(latency) == {"p50", "p90", "p99"}
    assert 0 <= latency["p50"] <= latency["p90"] <= latency["p99"]


@pytest.mark.usefixtures("exporting")
def test_counts_are_exact_across_threads_and_batches() -> None:
    import threading

    store = MetricsStore(DictStore(), "threads", reservoir_size=100)
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for n in range(700):
                store.put(f"t{thread}/{n}", b"abc")
                store.get(f"t{thread}/{n}")
        except BaseException as err:  # pragma: no cover - reported below
            failures.append(err)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    operations = store.snapshot()["operations"]
    assert operations["put"]["count"] == operations["get"]["count"] == 4200
    assert operations["put"]["bytes_in"] == operations["get"]["bytes_out"] == 3 * 4200
    assert operations["get"]["errors"] == 0


@pytest.mark.usefixtures("exporting")
def test_snapshots_while_new_operations_appear() -> None:
    import threading

    recorder = Recorder("race", reservoir_size=10)
    stop = threading.Event()
    failures: list[BaseException] = []

    def snapshots() -> None:
        try:
            while not stop.is_set():
                recorder.snapshot()
        except BaseException as err:  # pragma: no cover - reported below
            failures.append(err)

    reader = threading.Thread(target=snapshots)
    reader.start()
    try:
        for n in range(3000):
            recorder.record(f"operation-{n}", 0.001, 0, 0, n % 2 == 0)
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert len(recorder.snapshot()["operations"]) == 3000


@pytest.mark.usefixtures("exporting")
def test_percentiles_come_from_a_bounded_reservoir() -> None:
    recorder = Recorder("r", reservoir_size=100)
    for millis in range(1, 1001):
        recorder.record("get", millis / 1000, 0, 0, False)
    stats = recorder.snapshot()["operations"]["get"]
    assert stats["count"] == 1000
    assert stats["latency_ms"] == {"p50": 950.0, "p90": 990.0, "p99": 999.0}


def test_format_metrics_prints_a_table() -> None:
    store = MetricsStore(DictStore(), "main")
    _exercise(store)
    text = format_metrics(store.snapshot())
    lines = text.splitlines()
    assert lines[0] == "metrics of main"
    assert lines[1].split() == ["operation", "count", "errors", "bytes_in", "bytes_out", "p50_ms", "p90_ms", "p99_ms"]
    assert lines[2].split()[:5] == ["delete", "1", "0", "0", "0"]
    assert any(line.split()[:5] == ["get", "2", "1", "0", "5"] for line in lines)
    assert format_metrics({"store": "empty", "operations": {}}).splitlines()[0] == "metrics of empty"


@pytest.mark.usefixtures("exporting")
def test_reset_and_pickle() -> None:
    store = MetricsStore(DictStore())
    store.put("a", b"1")
    clone = pickle.loads(pickle.dumps(store))
    assert clone.snapshot()["operations"]["put"]["count"] == 1
    clone.put("b", b"22")
    assert clone.get("b") == b"22"
    operations = clone.snapshot()["operations"]
    assert (operations["put"]["count"], operations["put"]["bytes_in"]) == (2, 3)
    assert (operations["get"]["count"], operations["get"]["bytes_out"]) == (1, 2)
    assert store.snapshot()["operations"]["put"]["count"] == 1
    store.reset()
    assert store.snapshot()["operations"] == {}
    for _ in range(BATCH + 1):
        store.put("c", b"333")
    assert store.get("c") == b"333"
    operations = store.snapshot()["operations"]
    assert (operations["put"]["count"], operations["put"]["bytes_in"]) == (BATCH + 1, 3 * (BATCH + 1))
    assert (operations["get"]["count"], operations["get"]["bytes_out"], operations["get"]["errors"]) == (1, 3, 0)


def test_an_assigned_recorder_gets_every_call(exporting: bool) -> None:
    shared = Recorder("shared", 100)
    first, second = MetricsStore(DictStore(), "first"), MetricsStore(DictStore(), "second")
    first.put("a", b"1")
    first.metrics = second.metrics = shared
    for store in (first, second):
        store.put("k", b"abc")
        assert store.get("k") == b"abc"
    operations = shared.snapshot()["operations"]
    assert (operations["put"]["count"], operations["put"]["bytes_in"]) == (2, 6)
    assert (operations["get"]["count"], operations["get"]["bytes_out"]) == (2, 6)
    assert first.snapshot() == shared.snapshot()
    clone = pickle.loads(pickle.dumps(first))
    clone.put("b", b"22")
    assert clone.snapshot()["operations"]["put"]["count"] == 3
    assert clone._put_lane is clone.metrics.lane("put")
    assert (clone._put_lane is None) is exporting


@pytest.mark.parametrize("size", [0, -1, "10", True])
def test_bad_reservoir_sizes_are_config_errors(size: Any) -> None:
    with pytest.raises(ConfigError):
        MetricsStore(DictStore(), reservoir_size=size)


@pytest.mark.usefixtures("exporting")
def test_async_twin_records_the_same_figures() -> None:
    store = AsyncMetricsStore(AsyncDictStore(), "async")

    async def scenario() -> None:
        await store.put("a", b"abc")
        assert await store.get("a") == b"abc"
        assert [key async for key in store.keys()] == ["a"]
        with pytest.raises(ObjectNotFound):
            await store.delete("zzz")

    asyncio.run(scenario())
    operations = store.snapshot()["operations"]
    assert operations["put"]["bytes_in"] == 3 and operations["get"]["bytes_out"] == 3
    assert operations["delete"]["errors"] == 1 and operations["keys"]["count"] == 1


def _beyond_get_put(store: MetricsStore) -> None:
    store.put("a", b"0123456789")
    assert store.stat("a").size == 10
    assert store.get_range("a", 2, 6) == b"2345"
    store.copy("a", "d/b")
    store.rename("d/b", "d/c")
    with store.open_read("d/c") as reader:
        assert reader.read() == b"0123456789"
    with store.open_write("d/w") as writer:
        writer.write(b"w")
    assert store.list_dir("d/").keys == ["d/c", "d/w"]
    with pytest.raises(ObjectNotFound):
        store.stat("missing")


_BEYOND = {"stat": 2, "get_range": 1, "copy": 1, "rename": 1, "open_read": 1, "open_write": 1, "list_dir": 1}


@pytest.mark.usefixtures("exporting")
def test_operations_beyond_get_put_are_native_and_measured() -> None:
    inner = DictStore()
    store = MetricsStore(inner)
    assert store.forwards("stat") and store.forwards("rename") and store.forwards("list_dir")
    _beyond_get_put(store)
    operations = store.snapshot()["operations"]
    assert {name: operations[name]["count"] for name in _BEYOND} == _BEYOND
    assert operations["stat"]["errors"] == 1 and operations["get_range"]["bytes_out"] == 4
    assert "get" not in operations and operations["put"]["count"] == 1
    assert sorted(inner.objects) == ["a", "d/c", "d/w"]


def test_async_operations_beyond_get_put_are_measured() -> None:
    store = AsyncMetricsStore(AsyncDictStore())

    async def scenario() -> None:
        await store.put("a", b"0123456789")
        assert (await store.stat("a")).size == 10
        assert await store.get_range("a", 2, 6) == b"2345"
        await store.copy("a", "d/b")
        await store.rename("d/b", "d/c")
        reader = await store.open_read("d/c")
        assert await reader.read() == b"0123456789"
        writer = await store.open_write("d/w")
        await writer.write(b"w")
        await writer.close()
        assert (await store.list_dir("d/")).keys == ["d/c", "d/w"]
        with pytest.raises(ObjectNotFound):
            await store.stat("missing")

    asyncio.run(scenario())
    operations = store.snapshot()["operations"]
    assert {name: operations[name]["count"] for name in _BEYOND} == _BEYOND
    assert operations["get_range"]["bytes_out"] == 4 and "get" not in operations


def test_without_opentelemetry_nothing_is_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    assert _Telemetry.load() is None
    store = MetricsStore(DictStore())
    store.put("a", b"1")
    assert store.metrics.telemetry() is None
    assert store.snapshot()["operations"]["put"]["count"] == 1


class _Instrument:
    def __init__(self, name: str, sink: list[tuple[str, float, dict[str, str]]]) -> None:
        self.name = name
        self.sink = sink

    def add(self, value: float, attributes: dict[str, str]) -> None:
        self.sink.append((self.name, value, attributes))

    record = add


class _Meter:
    def __init__(self) -> None:
        self.sink: list[tuple[str, float, dict[str, str]]] = []

    def create_counter(self, name: str, unit: str = "") -> _Instrument:
        return _Instrument(name, self.sink)

    create_histogram = create_counter


def test_records_through_the_opentelemetry_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import metrics  # a test requirement (requirements-test.txt)

    default = MetricsStore(DictStore())
    default.put("a", b"1")
    assert default.metrics.telemetry() is not None
    meter = _Meter()
    monkeypatch.setattr(metrics, "get_meter", lambda name, *args, **kwargs: meter)
    store = MetricsStore(DictStore(), "orders")
    store.put("a", b"1234")
    with pytest.raises(ObjectNotFound):
        store.get("b")
    attributes = {"storage.store": "orders", "storage.operation": "put"}
    names = [(name, value) for name, value, given in meter.sink if given == attributes]
    assert ("storage.operations", 1) in names and ("storage.bytes_in", 4) in names
    assert any(name == "storage.operation.duration" for name, _ in names)
    assert ("storage.errors", 1, {"storage.store": "orders", "storage.operation": "get"}) in meter.sink

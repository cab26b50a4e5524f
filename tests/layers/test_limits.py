"""ConcurrencyLimitStore and its async twin: at most N calls inside the wrapped store at once."""

from __future__ import annotations

import asyncio
import pickle
import threading
from typing import Any

import pytest
from tests.layers._support import GateStore

from storage.aioutils import AsyncConcurrencyLimitStore, AsyncTimeoutStore
from storage.bridge import SyncBackedAsyncStore
from storage.errors import ConfigError, StoreUnavailable
from storage.object import AsyncDictStore, DictStore
from storage.utils import ConcurrencyLimitStore


def test_threads_share_one_limit() -> None:
    inner = GateStore()
    inner.put("k", b"v")
    store = ConcurrencyLimitStore(inner, 3)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(store.get("k"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    inner.wait_active(3)
    inner.gate.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [b"v"] * 8
    assert inner.peak == 3


class CountingAsyncStore(AsyncDictStore):
    """Counts the ``get`` calls inside at once; each waits for ``gate``."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.peak = 0
        self.gate: asyncio.Event

    async def get(self, key: str) -> Any:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await self.gate.wait()
            return await super().get(key)
        finally:
            self.active -= 1


def test_tasks_share_one_limit() -> None:
    inner = CountingAsyncStore()
    store = AsyncConcurrencyLimitStore(inner, 2)

    async def scenario() -> list[Any]:
        inner.gate = asyncio.Event()
        await store.put("k", b"v")
        tasks = [asyncio.ensure_future(store.get("k")) for _ in range(6)]
        while inner.active < 2:
            await asyncio.sleep(0)
        for _ in range(10):
            await asyncio.sleep(0)
        inner.gate.set()
        return await asyncio.gather(*tasks)

    assert asyncio.run(scenario()) == [b"v"] * 6
    assert inner.peak == 2


def test_a_listing_does_not_hold_a_slot_between_steps() -> None:
    store = ConcurrencyLimitStore(DictStore(), 1)
    store.put_many({"a": b"1", "b": b"2"})
    listing = store.keys()
    assert next(listing) in ("a", "b")
    assert store.get("a") == b"1"


@pytest.mark.parametrize("limit", [0, -2, 1.5, "4", True])
def test_bad_limits_are_config_errors(limit: Any) -> None:
    with pytest.raises(ConfigError):
        ConcurrencyLimitStore(DictStore(), limit)
    with pytest.raises(ConfigError):
        AsyncConcurrencyLimitStore(AsyncDictStore(), limit)


def test_pickled_store_has_its_own_limit() -> None:
    clone = pickle.loads(pickle.dumps(ConcurrencyLimitStore(DictStore(), 2)))
    assert clone.max_concurrency == 2 and repr(clone).startswith("ConcurrencyLimitStore(max_concurrency=2)")
    clone.put("k", b"v")
    assert clone.get("k") == b"v"


def test_rename_and_copy_under_a_limit_of_one_do_not_deadlock() -> None:
    store = ConcurrencyLimitStore(DictStore({"a": b"1"}), 1)
    assert store.forwards("rename") and store.forwards("copy")
    done = threading.Event()

    def moves() -> None:
        store.copy("a", "b")
        store.rename("b", "c")
        done.set()

    threading.Thread(target=moves, daemon=True).start()
    assert done.wait(timeout=10), "copy/rename under ConcurrencyLimitStore(store, 1) deadlocked"
    assert sorted(store.keys()) == ["a", "c"]


def test_async_rename_under_a_limit_of_one_does_not_deadlock() -> None:
    async def scenario() -> list[str]:
        store = AsyncConcurrencyLimitStore(AsyncDictStore({"a": b"1"}), 1)
        assert store.forwards("rename")
        await asyncio.wait_for(store.copy("a", "b"), 10)
        await asyncio.wait_for(store.rename("b", "c"), 10)
        return sorted([key async for key in store.keys()])

    assert asyncio.run(scenario()) == ["a", "c"]


async def _until(condition: Any) -> None:
    """Wait (up to 10 s) until ``condition()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not condition():
        assert loop.time() < deadline, "condition not met within 10 s"
        await asyncio.sleep(0.001)


def _run_then_open(scenario: Any, inner: GateStore) -> None:
    """Run ``scenario``, opening ``inner``'s gate at its end, so no worker thread stays blocked."""

    async def run() -> None:
        try:
            await scenario
        finally:
            inner.gate.set()

    asyncio.run(run())


def test_async_a_slot_is_held_until_a_cancelled_threads_operation_ends() -> None:
    inner = GateStore()
    inner.put("k", b"v")
    store = AsyncConcurrencyLimitStore(SyncBackedAsyncStore(inner), 1)

    async def scenario() -> None:
        first = asyncio.ensure_future(store.get("k"))
        await _until(lambda: inner.active == 1)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(first, 10)
        second = asyncio.ensure_future(store.get("k"))
        await asyncio.sleep(0.05)
        assert inner.active == 1 and not second.done()
        inner.gate.set()
        assert await asyncio.wait_for(second, 10) == b"v"

    _run_then_open(scenario(), inner)
    assert inner.peak == 1


def test_async_a_slot_is_held_until_a_timed_out_threads_operation_ends() -> None:
    inner = GateStore()
    inner.put("k", b"v")
    limited = AsyncConcurrencyLimitStore(SyncBackedAsyncStore(inner), 1)
    store = AsyncTimeoutStore(limited, 0.05)

    async def scenario() -> None:
        for _ in range(2):
            with pytest.raises(StoreUnavailable):
                await store.get("k")
        assert inner.active == 1
        inner.gate.set()
        assert await asyncio.wait_for(limited.get("k"), 10) == b"v"

    _run_then_open(scenario(), inner)
    assert inner.peak == 1

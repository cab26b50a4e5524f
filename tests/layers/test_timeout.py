"""TimeoutStore and AsyncTimeoutStore: the deadline, the error, and what the interrupted call does."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.layers._support import GateStore

from storage.aioutils import AsyncTimeoutStore
from storage.errors import ConfigError, StoreUnavailable
from storage.fs import FilesystemStore
from storage.object import AsyncDictStore, DictStore
from storage.utils import RetryStore, TimeoutStore


class HeldPutStore(FilesystemStore):
    """A FilesystemStore whose ``put`` waits for ``release`` before writing, then signals ``done``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.release = threading.Event()
        self.done = threading.Event()

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        try:
            assert self.release.wait(timeout=30)
            super().put(key, data, if_absent=if_absent)
        finally:
            self.done.set()


def test_a_slow_call_raises_store_unavailable() -> None:
    inner = GateStore()
    inner.put("k", b"v")
    store = TimeoutStore(inner, 0.01)
    with pytest.raises(StoreUnavailable) as caught:
        store.get("k")
    assert caught.value.retryable
    assert "TimeoutStore" in str(caught.value) and "get 'k'" in str(caught.value)
    inner.gate.set()
    assert store.get("k") == b"v"
    store.close()


def test_a_timed_out_put_lands_whole_or_not_at_all(tmp_path: Path) -> None:
    inner = HeldPutStore(tmp_path)
    store = TimeoutStore(inner, 0.01)
    data = os.urandom(1 << 20)
    with pytest.raises(StoreUnavailable):
        store.put("obj", data)
    assert not inner.exists("obj")
    inner.release.set()
    assert inner.done.wait(timeout=30)
    assert inner.get("obj") == data
    store.close()


def test_puts_interrupted_at_any_point_never_leave_partial_objects(tmp_path: Path) -> None:
    inner = FilesystemStore(tmp_path)
    store = TimeoutStore(inner, 0.0005)
    data = os.urandom(4 << 20)
    for attempt in range(5):
        key = f"big{attempt}"
        try:
            store.put(key, data)
        except StoreUnavailable:
            pass
        assert not inner.exists(key) or inner.get(key) == data
    store.close()
    later = FilesystemStore(tmp_path)
    for attempt in range(5):
        assert not later.exists(f"big{attempt}") or later.get(f"big{attempt}") == data


def test_retry_over_timeout_retries_the_timeout() -> None:
    inner = GateStore()
    inner.put("k", b"v")
    store = RetryStore(TimeoutStore(inner, 0.01), attempts=2, backoff=0)
    store.sleep = lambda seconds: inner.gate.set()  # type: ignore[method-assign, assignment, return-value]
    assert store.get("k") == b"v"


def test_each_listing_step_has_a_deadline() -> None:
    class SlowListing(DictStore):
        gate = threading.Event()

        def keys(self, prefix: str = "") -> Any:
            yield "a"
            assert self.gate.wait(timeout=30)
            yield "b"

    store = TimeoutStore(SlowListing(), 0.01)
    listing = store.keys()
    assert next(listing) == "a"
    with pytest.raises(StoreUnavailable):
        next(listing)
    SlowListing.gate.set()
    store.close()


@pytest.mark.parametrize("seconds", [0, -1, "5", None, True])
def test_bad_seconds_are_config_errors(seconds: Any) -> None:
    with pytest.raises(ConfigError):
        TimeoutStore(DictStore(), seconds)
    with pytest.raises(ConfigError):
        AsyncTimeoutStore(AsyncDictStore(), seconds)


def test_pickles_without_its_threads() -> None:
    import pickle

    store = TimeoutStore(DictStore(), 5)
    store.put("k", b"v")
    clone = pickle.loads(pickle.dumps(store))
    assert clone.get("k") == b"v" and clone.seconds == 5
    clone.close()
    store.close()


class StuckStore(AsyncDictStore):
    """An async store whose ``get`` waits forever, noting whether it was cancelled."""

    cancelled = False

    async def get(self, key: str) -> Any:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


def test_async_timeout_cancels_the_interrupted_coroutine() -> None:
    inner = StuckStore()
    store = AsyncTimeoutStore(inner, 0.01)

    async def scenario() -> None:
        with pytest.raises(StoreUnavailable) as caught:
            await store.get("k")
        assert caught.value.retryable and "get 'k'" in str(caught.value)
        await store.put("k", b"v")
        assert await store.exists("k")

    asyncio.run(scenario())
    assert inner.cancelled


class CancelsItsCaller(AsyncDictStore):
    """An async store whose ``get`` cancels ``caller`` and ends in the same step, with a result."""

    caller: asyncio.Future[Any]

    async def get(self, key: str) -> Any:
        self.caller.cancel()
        return b"v"


def test_async_a_caller_cancelled_as_its_call_ends_is_cancelled() -> None:
    inner = CancelsItsCaller()
    store = AsyncTimeoutStore(inner, 30)

    async def scenario() -> None:
        async def caller() -> str:
            await store.get("k")
            return "ran on after its cancellation"

        task = asyncio.ensure_future(caller())
        inner.caller = task
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)

    asyncio.run(scenario())


def test_async_a_cancelled_caller_cancels_the_call_and_waits_for_it() -> None:
    inner = StuckStore()
    store = AsyncTimeoutStore(inner, 30)

    async def scenario() -> None:
        task = asyncio.ensure_future(store.get("k"))
        for _ in range(10):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        assert inner.cancelled

    asyncio.run(scenario())


def test_async_a_call_that_ignores_its_deadline_answers() -> None:
    class Stubborn(AsyncDictStore):
        async def get(self, key: str) -> Any:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass
            return b"late"

    store = AsyncTimeoutStore(Stubborn(), 0.01)
    assert asyncio.run(store.get("k")) == b"late"

"""Batches through the retry, timeout and concurrency-limit layers: the wrapped store's own batch, as one call."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest
from tests.layers._support import FlakyStore

from storage import aioutils, utils
from storage.aiodb import AsyncSqliteStore
from storage.bridge import SyncBackedAsyncStore
from storage.db import SqliteStore
from storage.errors import InvalidValue, StoreUnavailable
from storage.object import DictStore

SYNC: dict[str, Callable[[Any], Any]] = {
    "Retry": lambda s: utils.RetryStore(s, attempts=2, backoff=0),
    "Timeout": lambda s: utils.TimeoutStore(s, 30),
    "Limit": lambda s: utils.ConcurrencyLimitStore(s, 1),
}

ASYNC: dict[str, Callable[[Any], Any]] = {
    "Retry": lambda s: aioutils.AsyncRetryStore(s, attempts=2, backoff=0),
    "Timeout": lambda s: aioutils.AsyncTimeoutStore(s, 30),
    "Limit": lambda s: aioutils.AsyncConcurrencyLimitStore(s, 1),
}


class BatchLog(DictStore):
    """A DictStore noting each call of its single-key and batch members."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(self, key: str) -> Any:
        self.calls.append("get")
        return super().get(key)

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        self.calls.append("put")
        super().put(key, data, if_absent=if_absent)

    def delete(self, key: str) -> None:
        self.calls.append("delete")
        super().delete(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        self.calls.append("get_many")
        return {key: self.objects[key] for key in keys if key in self.objects}

    def put_many(self, items: Any) -> None:
        self.calls.append("put_many")
        self.objects.update(items)

    def delete_many(self, keys: Iterable[str]) -> None:
        self.calls.append("delete_many")
        for key in keys:
            self.objects.pop(key, None)


def _pairs() -> Iterator[tuple[str, bytes]]:
    yield "a", b"1"
    yield "b", b"2"


@pytest.mark.parametrize("layer", SYNC)
def test_a_batch_is_one_call_of_the_wrapped_stores_batch(layer: str) -> None:
    inner = BatchLog()
    store = SYNC[layer](inner)
    store.put_many(_pairs())
    assert store.get_many(key for key in ["a", "b", "missing"]) == {"a": b"1", "b": b"2"}
    store.delete_many(key for key in ["a", "missing"])
    assert inner.calls == ["put_many", "get_many", "delete_many"] and inner.objects == {"b": b"2"}
    store.close()


@pytest.mark.parametrize("layer", ASYNC)
def test_async_a_batch_is_one_call_of_the_wrapped_stores_batch(layer: str) -> None:
    inner = BatchLog()
    store = ASYNC[layer](SyncBackedAsyncStore(inner))

    async def scenario() -> dict[str, Any]:
        await store.put_many(_pairs())
        found = await store.get_many(key for key in ["a", "b", "missing"])
        await store.delete_many(key for key in ["a", "missing"])
        await store.close()
        return found

    assert asyncio.run(scenario()) == {"a": b"1", "b": b"2"}
    assert inner.calls == ["put_many", "get_many", "delete_many"] and inner.objects == {"b": b"2"}


@pytest.mark.parametrize("layer", SYNC)
def test_a_bad_item_leaves_a_sqlite_batch_unapplied(layer: str, tmp_path: Path) -> None:
    store = SYNC[layer](SqliteStore(tmp_path / "db.sqlite"))
    with pytest.raises(InvalidValue):
        store.put_many({"a": b"1", "b": "not bytes"})
    assert not store.exists("a")
    store.close()


@pytest.mark.parametrize("layer", ASYNC)
def test_async_a_bad_item_leaves_a_sqlite_batch_unapplied(layer: str, tmp_path: Path) -> None:
    store = ASYNC[layer](AsyncSqliteStore(tmp_path / "db.sqlite"))

    async def scenario() -> bool:
        with pytest.raises(InvalidValue):
            await store.put_many({"a": b"1", "b": "not bytes"})
        stored = await store.exists("a")
        await store.close()
        return stored

    assert not asyncio.run(scenario())


def test_retry_sends_a_failed_batch_again_whole() -> None:
    inner = FlakyStore(StoreUnavailable("down"), failures=1)
    store = utils.RetryStore(inner, attempts=2, backoff=0)
    store.put_many(_pairs())
    assert inner.calls == ["put", "put", "put"] and inner.objects == {"a": b"1", "b": b"2"}
    inner.failures = 1
    store.delete_many(key for key in ["a", "b", "missing"])
    assert inner.calls[3:] == ["delete"] * 6 and not inner.objects  # both tries go through the three keys


def test_async_retry_sends_a_failed_batch_again_whole() -> None:
    inner = FlakyStore(StoreUnavailable("down"), failures=1)
    store = aioutils.AsyncRetryStore(SyncBackedAsyncStore(inner), attempts=2, backoff=0)

    async def scenario() -> None:
        await store.put_many(_pairs())
        inner.failures = 1
        await store.delete_many(key for key in ["a", "b", "missing"])

    asyncio.run(scenario())
    assert inner.calls == ["put"] * 3 + ["delete"] * 6 and not inner.objects


def test_a_batch_has_one_deadline() -> None:
    class HeldBatch(DictStore):
        gate = threading.Event()

        def put_many(self, items: Any) -> None:
            assert self.gate.wait(timeout=30)
            super().put_many(items)

    store = utils.TimeoutStore(HeldBatch(), 0.01)
    try:
        with pytest.raises(StoreUnavailable, match="put_many"):
            store.put_many({"a": b"1"})
    finally:
        HeldBatch.gate.set()
        store.close()

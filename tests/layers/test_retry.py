"""RetryStore and AsyncRetryStore: what is retried, how long it waits, what it logs."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Iterator

import pytest
from tests.layers._support import FlakyStore

from storage.aioutils import AsyncRetryStore
from storage.bridge import SyncBackedAsyncStore
from storage.errors import AlreadyExists, ConfigError, InvalidKey, ObjectNotFound, PermissionDenied, StoreUnavailable
from storage.object import DictStore
from storage.utils import RetryStore, TimeoutStore
from storage.utils._retrying import is_retryable
from storage.wrapper import as_async_store


def _retrying(inner: Any, **options: Any) -> tuple[RetryStore, list[float]]:
    store = RetryStore(inner, **options)
    waits: list[float] = []
    store.sleep = waits.append  # type: ignore[method-assign]
    return store, waits


def test_retries_then_succeeds_with_exponential_backoff() -> None:
    inner = FlakyStore(StoreUnavailable("down", store="Flaky"))
    inner.put("k", b"v")
    inner.calls.clear()
    inner.failures = 2
    store, waits = _retrying(inner, attempts=3, backoff=0.1, jitter=False)
    assert store.get("k") == b"v"
    assert inner.calls == ["get", "get", "get"]
    assert waits == [0.1, 0.2]


def test_gives_up_after_the_last_attempt() -> None:
    inner = FlakyStore(StoreUnavailable("down"), failures=10)
    store, waits = _retrying(inner, attempts=4, backoff=1, max_delay=2.5, jitter=False)
    with pytest.raises(StoreUnavailable):
        store.put("k", b"v")
    assert inner.calls == ["put"] * 4
    assert waits == [1.0, 2.0, 2.5]
    assert not DictStore.exists(inner, "k")


def test_full_jitter_stays_under_the_cap() -> None:
    store = RetryStore(DictStore(), backoff=0.5, max_delay=3.0, jitter=True)
    for retry in range(1, 8):
        assert 0.0 <= store.delay(retry) <= min(3.0, 0.5 * 2 ** (retry - 1))


@pytest.mark.parametrize(
    "error", [ObjectNotFound(), InvalidKey("bad"), PermissionDenied("no"), PermissionError("no"), ValueError("x")]
)
def test_permanent_errors_are_not_retried(error: Exception) -> None:
    inner = FlakyStore(error, failures=5)
    store, waits = _retrying(inner)
    with pytest.raises(type(error)):
        store.exists("k")
    assert inner.calls == ["exists"] and waits == []


def test_a_permanent_error_marked_retryable_is_still_not_retried() -> None:
    error = ObjectNotFound()
    error.retryable = True
    assert not is_retryable(error)


def test_each_retry_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    inner = FlakyStore(StoreUnavailable("down"), failures=1)
    store, _ = _retrying(inner, backoff=0)
    with caplog.at_level(logging.WARNING, logger="storage.retry"):
        store.delete("gone")
        inner.failures = 1
        store.delete_many(["gone", "other"])
    record, batch = caplog.records
    assert record.levelno == logging.WARNING
    assert "RetryStore" in record.getMessage() and "delete 'gone'" in record.getMessage()
    assert "attempt 1 of 3" in record.getMessage()
    assert batch.getMessage().startswith("RetryStore: delete_many failed (attempt 1 of 3: PartialFailure")


class _BreaksMidListing(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.starts = 0

    def keys(self, prefix: str = "") -> Iterator[str]:
        self.starts += 1
        yield "a"
        raise StoreUnavailable("lost the connection")


def test_keys_are_retried_only_before_the_first_key() -> None:
    flaky = FlakyStore(StoreUnavailable("down"))
    flaky.put("a", b"1")
    flaky.failures = 1
    store, _ = _retrying(flaky, backoff=0)
    assert list(store.keys()) == ["a"]
    broken = _BreaksMidListing()
    store, waits = _retrying(broken, backoff=0)
    listing = store.keys()
    assert next(listing) == "a"
    with pytest.raises(StoreUnavailable):
        next(listing)
    assert broken.starts == 1 and waits == []


@pytest.mark.parametrize(
    "options", [{"attempts": 0}, {"attempts": "3"}, {"attempts": True}, {"backoff": -1}, {"max_delay": "x"}]
)
def test_bad_settings_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        RetryStore(DictStore(), **options)


def test_repr_shows_the_policy() -> None:
    assert repr(RetryStore(DictStore(), attempts=5)).startswith("RetryStore(attempts=5, backoff=0.1")


class _AnswerLost(DictStore):
    """A DictStore whose next ``failures`` writes do their work, then raise a retryable error."""

    def __init__(self, objects: dict[str, bytes], failures: int = 1) -> None:
        super().__init__(objects)
        self.failures = failures
        self.calls: list[str] = []

    def _lose_answer(self, operation: str) -> None:
        self.calls.append(operation)
        if self.failures > 0:
            self.failures -= 1
            raise StoreUnavailable("no answer", store="AnswerLost", operation=operation)

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        super().put(key, data, if_absent=if_absent)
        self._lose_answer("put")

    def delete(self, key: str) -> None:
        super().delete(key)
        self._lose_answer("delete")

    def rename(self, source: str, target: str) -> None:
        self.objects[target] = self.objects.pop(source)
        self._lose_answer("rename")


def test_a_delete_whose_retry_finds_the_object_gone_is_done() -> None:
    inner = _AnswerLost({"k": b"v"})
    store, waits = _retrying(inner, backoff=0)
    store.delete("k")
    assert inner.calls == ["delete"] and len(waits) == 1 and not inner.objects
    with pytest.raises(ObjectNotFound):
        store.delete("k")


def test_rename_is_not_retried() -> None:
    inner = _AnswerLost({"a": b"v"})
    store, waits = _retrying(inner, backoff=0)
    with pytest.raises(StoreUnavailable):
        store.rename("a", "b")
    assert inner.calls == ["rename"] and waits == [] and inner.objects == {"b": b"v"}


def test_a_conditional_put_whose_retry_finds_an_object_is_not_a_success() -> None:
    inner = _AnswerLost({})
    store, _ = _retrying(inner, backoff=0)
    with pytest.raises(AlreadyExists, match="earlier try") as caught:
        store.put("k", b"v", if_absent=True)
    assert isinstance(caught.value.__cause__, AlreadyExists) and inner.objects == {"k": b"v"}
    inner.failures = 1
    store.put("k", b"w")
    assert inner.objects == {"k": b"w"} and inner.calls == ["put", "put", "put"]


def test_over_a_timeout_a_delete_that_completes_late_is_done() -> None:
    class Slow(DictStore):
        first = True

        def delete(self, key: str) -> None:
            if self.first:
                self.first = False
                time.sleep(0.3)
            super().delete(key)

    inner = Slow({"k": b"v"})
    store = RetryStore(TimeoutStore(inner, 0.1), attempts=3, backoff=0.4, jitter=False)
    store.delete("k")
    assert not inner.objects


def test_async_twin_settles_deletes_and_does_not_retry_renames() -> None:
    inner = _AnswerLost({"k": b"v", "a": b"1"})
    store = AsyncRetryStore(SyncBackedAsyncStore(inner), attempts=3, backoff=0, jitter=False)

    async def scenario() -> None:
        await store.delete("k")
        inner.failures = 1
        with pytest.raises(StoreUnavailable):
            await store.rename("a", "b")
        inner.failures = 1
        with pytest.raises(AlreadyExists, match="earlier try"):
            await store.put("n", b"v", if_absent=True)

    asyncio.run(scenario())
    assert inner.calls == ["delete", "rename", "put"] and inner.objects == {"b": b"1", "n": b"v"}


def test_async_twin_retries_and_gives_up() -> None:
    inner = FlakyStore(StoreUnavailable("down"))
    inner.put("k", b"v")
    inner.failures = 1
    store = AsyncRetryStore(as_async_store(inner), attempts=2, backoff=0.25, jitter=False)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    store.sleep = sleep  # type: ignore[method-assign]

    async def scenario() -> None:
        assert await store.get("k") == b"v"
        inner.failures = 5
        with pytest.raises(StoreUnavailable):
            await store.put("k", b"w")
        inner.failures, inner.error = 1, StoreUnavailable("down")
        assert [key async for key in store.keys()] == ["k"]
        inner.failures, inner.error = 5, ObjectNotFound()
        with pytest.raises(ObjectNotFound):
            await store.get("k")

    asyncio.run(scenario())
    assert waits == [0.25, 0.25, 0.25]


def test_native_operations_pass_through_and_are_retried(tmp_path: Any) -> None:
    from storage.fs import FilesystemStore

    over_files = RetryStore(FilesystemStore(tmp_path))
    assert over_files.capabilities.native_range and over_files.capabilities.native_metadata
    over_files.put("dir/k", b"0123456789")
    assert over_files.get_range("dir/k", 2, 5) == b"234"
    info = over_files.stat("dir/k")
    assert info.modified is not None and info.key == "dir/k"
    assert over_files.list_dir("dir/").keys == ["dir/k"]
    inner = FlakyStore(StoreUnavailable("down"))
    inner.put("k", b"0123456789")
    inner.failures = 1
    store, waits = _retrying(inner, attempts=2, backoff=0.1, jitter=False)
    assert store.stat("k").size == 10
    inner.failures = 1
    assert store.get_range("k", 1, 3) == b"12"
    assert waits == [0.1, 0.1]


def test_async_native_operations_are_retried() -> None:
    inner = FlakyStore(StoreUnavailable("down"))
    inner.put("k", b"0123456789")
    inner.failures = 1
    store = AsyncRetryStore(as_async_store(inner), attempts=2, backoff=0, jitter=False)

    async def scenario() -> bytes:
        return await store.get_range("k", 0, 4)

    assert asyncio.run(scenario()) == b"0123"

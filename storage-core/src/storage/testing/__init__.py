"""The conformance kit: pytest base classes every store's tests subclass (SPEC §2).

A plugin author writes::

    from storage.testing import ObjectStoreTests

    class TestMyStore(ObjectStoreTests):
        @pytest.fixture
        def store(self, tmp_path):
            return MyStore(tmp_path)        # fresh and empty; the kit closes it

For async stores subclass ``AsyncObjectStoreTests``; its ``store`` fixture is a plain
(non-async) fixture returning an unopened async store, which the kit drives on its own loop.

Class attributes tune the kit: ``bytes_only`` (the store refuses non-bytes values),
``large_object_size``, ``picklable`` and ``state_machine_settings``.
"""

from __future__ import annotations

import asyncio
import os
import pickle
from typing import Any, Callable, ClassVar, Iterator, Optional

import pytest
from hypothesis import settings

from storage._base import AsyncObjectStore, ObjectStore
from storage.capabilities import Capabilities
from storage.errors import (
    InvalidKey,
    InvalidValue,
    ObjectNotFound,
    StoreError,
    UnsupportedOperation,
)
from storage.testing._blocking import BlockingStore
from storage.testing.stateful import StoreStateMachine, keys_strategy, run_store_state_machine

__all__ = [
    "AsyncObjectStoreTests",
    "BlockingStore",
    "ObjectStoreTests",
    "StoreStateMachine",
    "keys_strategy",
    "run_store_state_machine",
]

NESTED_KEYS = ["top", "dir/a", "dir/b", "dir/sub/c", "dir/sub/d", "dirt", "other/x", "ünï/cødé/日本"]


def _as_bytes(value: Any) -> bytes:
    return bytes(value)


class ObjectStoreTests:
    """Conformance tests for a synchronous store given by the ``store`` fixture."""

    #: The store refuses values that are not bytes-like (every byte backend does).
    bytes_only: ClassVar[bool] = True
    #: Size of the large-object round trip.
    large_object_size: ClassVar[int] = 8 * 1024 * 1024 + 1
    #: The store survives a pickle round trip (stateful ones reopen from their configuration).
    picklable: ClassVar[bool] = True
    #: Hypothesis settings for the state machine (None: the kit's defaults).
    state_machine_settings: ClassVar[Optional[settings]] = None

    @pytest.fixture
    def store(self) -> Any:
        """A fresh, empty store: define this fixture in your subclass."""
        raise NotImplementedError("define a `store` fixture returning a fresh, empty store")

    @pytest.fixture
    def subject(self, store: ObjectStore) -> Iterator[ObjectStore]:
        """The store under test, closed after the test."""
        yield store
        store.close()

    @pytest.fixture
    def listing(self, subject: ObjectStore) -> ObjectStore:
        """The store, for tests that need ``keys()``; skipped for stores that cannot list."""
        if not subject.capabilities.listing:
            pytest.skip("the store declares that it cannot list keys")
        return subject

    # Round trips ---------------------------------------------------------------------------

    def test_put_then_get(self, subject: ObjectStore) -> None:
        assert subject.put("key", b"value") is None
        assert _as_bytes(subject.get("key")) == b"value"

    def test_empty_object(self, subject: ObjectStore) -> None:
        subject.put("empty", b"")
        assert _as_bytes(subject.get("empty")) == b""
        assert subject.exists("empty")

    def test_all_byte_values(self, subject: ObjectStore) -> None:
        data = bytes(range(256)) * 4
        subject.put("bytes", data)
        assert _as_bytes(subject.get("bytes")) == data

    def test_large_object(self, subject: ObjectStore) -> None:
        data = os.urandom(self.large_object_size)
        subject.put("large", data)
        assert _as_bytes(subject.get("large")) == data

    def test_bytes_like_values(self, subject: ObjectStore) -> None:
        subject.put("bytearray", bytearray(b"abc"))
        subject.put("memoryview", memoryview(b"xabcx")[1:4])
        assert _as_bytes(subject.get("bytearray")) == b"abc"
        assert _as_bytes(subject.get("memoryview")) == b"abc"

    def test_overwrite(self, subject: ObjectStore) -> None:
        subject.put("key", b"first")
        subject.put("key", b"second, longer")
        assert _as_bytes(subject.get("key")) == b"second, longer"
        subject.put("key", b"3")
        assert _as_bytes(subject.get("key")) == b"3"

    def test_unicode_and_nested_keys(self, subject: ObjectStore) -> None:
        for index, key in enumerate(NESTED_KEYS):
            subject.put(key, str(index).encode())
        for index, key in enumerate(NESTED_KEYS):
            assert _as_bytes(subject.get(key)) == str(index).encode()
            assert subject.exists(key)

    def test_keys_with_odd_characters(self, subject: ObjectStore) -> None:
        for key in ["with space", "dots.in.name", "dash-under_score", "percent%20", "plus+eq=", "ü€😀"]:
            subject.put(key, key.encode())
            assert _as_bytes(subject.get(key)) == key.encode()

    # Missing keys and deletion ------------------------------------------------------------

    def test_get_missing(self, subject: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound) as caught:
            subject.get("missing")
        assert isinstance(caught.value, KeyError)
        assert "missing" in str(caught.value)

    def test_exists(self, subject: ObjectStore) -> None:
        assert not subject.exists("key")
        subject.put("key", b"v")
        assert subject.exists("key")
        assert not subject.exists("ke")
        assert not subject.exists("key/below")

    def test_delete(self, subject: ObjectStore) -> None:
        subject.put("dir/key", b"v")
        subject.put("dir/other", b"w")
        assert subject.delete("dir/key") is None
        assert not subject.exists("dir/key")
        assert subject.exists("dir/other")
        with pytest.raises(ObjectNotFound):
            subject.get("dir/key")

    def test_delete_missing(self, subject: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound):
            subject.delete("missing")

    def test_put_after_delete(self, subject: ObjectStore) -> None:
        subject.put("a/b/c", b"1")
        subject.delete("a/b/c")
        subject.put("a/b", b"2")
        assert _as_bytes(subject.get("a/b")) == b"2"

    # Bad input ----------------------------------------------------------------------------

    @pytest.mark.parametrize("key", ["", None, 5, b"bytes"])
    def test_invalid_keys(self, subject: ObjectStore, key: Any) -> None:
        for call in (
            lambda: subject.put(key, b"v"),
            lambda: subject.get(key),
            lambda: subject.exists(key),
            lambda: subject.delete(key),
        ):
            with pytest.raises(InvalidKey):
                call()

    def test_non_bytes_value_refused(self, subject: ObjectStore) -> None:
        if not self.bytes_only:
            pytest.skip("the store keeps values of any type")
        subject.put("key", b"old")
        for value in ["text", 12, None, {"a": 1}]:
            with pytest.raises(InvalidValue) as caught:
                subject.put("key", value)
            assert isinstance(caught.value, TypeError)
            with pytest.raises(InvalidValue):
                subject.put("new", value)
        assert _as_bytes(subject.get("key")) == b"old"
        assert not subject.exists("new")

    # Listing ------------------------------------------------------------------------------

    def test_keys_unsupported(self, subject: ObjectStore) -> None:
        if subject.capabilities.listing:
            pytest.skip("the store can list")
        with pytest.raises(UnsupportedOperation):
            list(subject.keys())

    def test_keys_empty_store(self, listing: ObjectStore) -> None:
        assert list(listing.keys()) == []
        assert list(listing.keys("anything")) == []

    def test_keys(self, listing: ObjectStore) -> None:
        for key in NESTED_KEYS:
            listing.put(key, b"v")
        assert sorted(listing.keys()) == sorted(NESTED_KEYS)
        assert len(list(listing.keys())) == len(NESTED_KEYS)

    @pytest.mark.parametrize(
        "prefix",
        ["", "dir", "dir/", "dir/sub", "dir/sub/", "dir/s", "di", "dirt", "top", "t", "nothing", "dir/zz", "ünï/"],
    )
    def test_keys_prefix(self, listing: ObjectStore, prefix: str) -> None:
        for key in NESTED_KEYS:
            listing.put(key, b"v")
        expected = sorted(key for key in NESTED_KEYS if key.startswith(prefix))
        assert sorted(listing.keys(prefix)) == expected

    def test_keys_is_lazy_iterator(self, listing: ObjectStore) -> None:
        listing.put("a", b"1")
        result = listing.keys()
        assert iter(result) is result

    def test_keys_after_delete(self, listing: ObjectStore) -> None:
        listing.put("dir/sub/a", b"1")
        listing.put("dir/b", b"2")
        listing.delete("dir/sub/a")
        assert sorted(listing.keys()) == ["dir/b"]
        assert list(listing.keys("dir/sub")) == []

    # Batches ------------------------------------------------------------------------------

    def test_put_many_get_many(self, subject: ObjectStore) -> None:
        items = {f"batch/{i}": str(i).encode() for i in range(20)}
        subject.put_many(items)
        subject.put_many([("pairs/a", b"a"), ("pairs/b", b"b")])
        found = subject.get_many([*items, "missing", "pairs/a"])
        assert {k: _as_bytes(v) for k, v in found.items()} == {**items, "pairs/a": b"a"}

    def test_delete_many(self, subject: ObjectStore) -> None:
        subject.put_many({"x/1": b"1", "x/2": b"2", "x/3": b"3"})
        subject.delete_many(["x/1", "x/2", "missing"])
        assert not subject.exists("x/1")
        assert not subject.exists("x/2")
        assert subject.exists("x/3")

    # Lifecycle ----------------------------------------------------------------------------

    def test_context_manager(self, subject: ObjectStore) -> None:
        with subject as entered:
            entered.put("key", b"v")
            assert _as_bytes(entered.get("key")) == b"v"
        assert subject.closed

    @pytest.mark.parametrize("operation", ["get", "put", "exists", "delete", "keys"])
    def test_use_after_close(self, subject: ObjectStore, operation: str) -> None:
        subject.put("key", b"v")
        subject.close()
        subject.close()
        calls: dict[str, Callable[[], object]] = {
            "get": lambda: subject.get("key"),
            "put": lambda: subject.put("key", b"w"),
            "exists": lambda: subject.exists("key"),
            "delete": lambda: subject.delete("key"),
            "keys": lambda: list(subject.keys()),
        }
        with pytest.raises(StoreError) as caught:
            calls[operation]()
        if operation != "keys" or subject.capabilities.listing:
            assert not isinstance(caught.value, UnsupportedOperation)

    def test_capabilities(self, subject: ObjectStore) -> None:
        assert isinstance(subject.capabilities, Capabilities)
        assert subject.capabilities.read and subject.capabilities.write and subject.capabilities.delete

    def test_pickle(self, subject: ObjectStore) -> None:
        if not self.picklable:
            pytest.skip("the store does not pickle")
        subject.put("key", b"v")
        self._check_clone(pickle.loads(pickle.dumps(subject)))

    @staticmethod
    def _check_clone(clone: ObjectStore) -> None:
        try:
            clone.put("cloned", b"c")
            assert _as_bytes(clone.get("cloned")) == b"c"
        finally:
            clone.close()

    # Properties ---------------------------------------------------------------------------

    def test_state_machine(self, subject: ObjectStore) -> None:
        run_store_state_machine(subject, self.state_machine_settings)


class AsyncObjectStoreTests(ObjectStoreTests):
    """Conformance tests for an async store; every sync test runs through ``BlockingStore``."""

    @pytest.fixture
    def event_loop_runner(self) -> Iterator[asyncio.AbstractEventLoop]:
        """One event loop per test, closed afterwards."""
        loop = asyncio.new_event_loop()
        yield loop
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    @pytest.fixture
    def subject(self, store: AsyncObjectStore, event_loop_runner: asyncio.AbstractEventLoop) -> Iterator[ObjectStore]:
        """The async store behind a blocking view, closed after the test."""
        assert isinstance(store, AsyncObjectStore)
        blocking = BlockingStore(store, event_loop_runner.run_until_complete)
        yield blocking
        blocking.close()

    def test_pickle(self, subject: ObjectStore) -> None:
        if not self.picklable:
            pytest.skip("the store does not pickle")
        assert isinstance(subject, BlockingStore)
        subject.put("key", b"v")
        clone = pickle.loads(pickle.dumps(subject.inner))
        self._check_clone(BlockingStore(clone, subject.run))

    def test_async_context_manager(self, subject: ObjectStore) -> None:
        assert isinstance(subject, BlockingStore)
        inner = subject.inner

        async def scenario() -> None:
            async with inner as entered:
                assert entered is inner
                await entered.put("key", b"v")
                assert bytes(await entered.get("key")) == b"v"
            assert inner.closed

        subject.run(scenario())

    def test_keys_is_async_iterator(self, listing: ObjectStore) -> None:
        assert isinstance(listing, BlockingStore)
        listing.put("a", b"1")
        result = listing.inner.keys()
        assert hasattr(result, "__aiter__") and hasattr(result, "__anext__")

        async def drain() -> list[str]:
            return [key async for key in result]

        assert listing.run(drain()) == ["a"]

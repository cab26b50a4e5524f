"""Base-class behaviour: derived members, capabilities, stores written for the seed."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Iterator

import pytest

from storage.errors import ObjectNotFound, PartialFailure, StoreUnavailable, UnsupportedOperation
from storage.object import AsyncObjectStore, Capabilities, DictStore, ObjectStore


class SeedStyleStore(ObjectStore):
    """Written against the seed: no super().__init__(), keys() without prefix, put returns True."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes:
        return self.data[key]

    def put(self, key: str, data: Any) -> bool:  # type: ignore[override]
        self.data[key] = data
        return True

    def exists(self, key: str) -> bool:
        return key in self.data

    def delete(self, key: str) -> None:
        del self.data[key]

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return iter(list(self.data))


class SeedStyleAsyncStore(AsyncObjectStore):
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes:
        return self.data[key]

    async def put(self, key: str, data: Any) -> None:
        self.data[key] = data

    async def exists(self, key: str) -> bool:
        return key in self.data

    async def delete(self, key: str) -> None:
        del self.data[key]

    async def keys(self) -> AsyncIterator[str]:  # type: ignore[override]
        for key in list(self.data):
            yield key


class Unlistable(ObjectStore):
    def get(self, key: str) -> bytes:
        raise ObjectNotFound(key=key)

    def put(self, key: str, data: Any) -> None:
        pass

    def exists(self, key: str) -> bool:
        return False

    def delete(self, key: str) -> None:
        raise StoreUnavailable("down", key=key)


def test_seed_style_store_gets_prefix_listing_and_lifecycle() -> None:
    store = SeedStyleStore()
    store.put("a/1", b"x")
    store.put("b/1", b"y")
    assert list(store.keys("a/")) == ["a/1"]
    assert sorted(store.keys()) == ["a/1", "b/1"]
    assert store.capabilities.listing
    with store:
        assert store.get("a/1") == b"x"
    assert store.closed


def test_seed_style_async_store_gets_prefix_listing() -> None:
    async def scenario() -> list[str]:
        store = SeedStyleAsyncStore()
        await store.put("a/1", b"x")
        await store.put("b/1", b"y")
        return [key async for key in store.keys("b")]

    assert asyncio.run(scenario()) == ["b/1"]


def test_capabilities_are_derived_from_overrides() -> None:
    assert not Unlistable.CAPABILITIES.listing
    assert DictStore.CAPABILITIES.listing
    with pytest.raises(UnsupportedOperation):
        Unlistable().keys()
    assert Capabilities().merge_all([Capabilities(listing=False)]).listing is False
    assert "listing" not in Capabilities(listing=False).names()


def test_delete_many_reports_failed_keys() -> None:
    with pytest.raises(PartialFailure) as caught:
        Unlistable().delete_many(["a", "b"])
    assert sorted(caught.value.failed) == ["a", "b"] and caught.value.retryable


def test_dict_store_uses_the_given_dict_and_keeps_values() -> None:
    backing: dict[str, Any] = {"pre": "existing"}
    store = DictStore(backing)
    store.put("obj", {"any": "value"})
    assert backing == {"pre": "existing", "obj": {"any": "value"}}
    assert store.get("pre") == "existing"


def test_concurrent_first_use_opens_an_async_store_once() -> None:
    opened: list[int] = []

    class SlowOpen(SeedStyleAsyncStore):
        async def _open(self) -> None:
            await asyncio.sleep(0.01)
            opened.append(1)

    store = SlowOpen()

    async def scenario() -> None:
        await asyncio.gather(*(store.open() for _ in range(5)))

    asyncio.run(scenario())
    assert opened == [1]


def test_stores_pickle_after_their_locks_were_used() -> None:
    import pickle

    store = SeedStyleStore()
    store.open()
    store.put("k", b"v", if_absent=True)
    clone = pickle.loads(pickle.dumps(store))
    assert clone.get("k") == b"v"

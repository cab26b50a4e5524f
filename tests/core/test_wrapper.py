"""storage.wrapper: explicit forwarding, lifecycle pass-through, capabilities, validation, repr, seed adapters."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, ClassVar, Mapping

import pytest

from storage.aiofs import AsyncFilesystemStore
from storage.capabilities import Capabilities
from storage.errors import ConfigError, InvalidValue, ObjectNotFound, StoreClosed, UnsupportedOperation
from storage.fs import FilesystemStore, HashdirStore
from storage.object import AsyncDictStore, AsyncObjectStore, DictStore
from storage.testing import AsyncObjectStoreTests, ObjectStoreTests
from storage.wrapper import (
    AsyncMultiStoreWrapper,
    AsyncStoreWrapper,
    MultiStoreWrapper,
    StoreWrapper,
    as_async_store,
    as_store,
    passes_values,
    same_for_every_key,
)


class Recording:
    """Logs when it is really opened and closed; can fail to close."""

    log: list[str]
    name: str
    fail_close: bool

    def _open(self) -> None:
        self.log.append(f"open {self.name}")

    def _close(self) -> None:
        self.log.append(f"close {self.name}")
        if self.fail_close:
            raise RuntimeError(f"{self.name} close failed")


class Counting(Recording, DictStore):
    def __init__(self, log: list[str], name: str = "base", fail_close: bool = False) -> None:
        super().__init__()
        self.log, self.name, self.fail_close = log, name, fail_close


class Layer(Recording, StoreWrapper):
    def __init__(self, store: Any, log: list[str], name: str, fail_close: bool = False) -> None:
        super().__init__(store)
        self.log, self.name, self.fail_close = log, name, fail_close


class Pair(MultiStoreWrapper):
    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second

    def wrapped(self) -> list[tuple[str, Any]]:
        return [("first", self.first), ("second", self.second)]

    def get(self, key: str) -> Any:
        return self.first.get(key)

    def put(self, key: str, data: Any) -> None:
        self.first.put(key, data)

    def exists(self, key: str) -> bool:
        return bool(self.first.exists(key))

    def delete(self, key: str) -> None:
        self.first.delete(key)


class TestStoreWrapperOverDict(ObjectStoreTests):
    bytes_only = False

    @pytest.fixture
    def store(self) -> Any:
        return StoreWrapper(DictStore())


class TestStoreWrapperOverFilesystem(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Any) -> Any:
        return StoreWrapper(StoreWrapper(FilesystemStore(tmp_path)))


class TestAsyncStoreWrapper(AsyncObjectStoreTests):
    bytes_only = False

    @pytest.fixture
    def store(self) -> Any:
        return AsyncStoreWrapper(AsyncDictStore())


def test_open_bases_first_close_wrappers_first() -> None:
    log: list[str] = []
    top = Layer(Layer(Counting(log), log, "middle"), log, "top")
    with top:
        top.put("k", b"v")
    assert log == ["open base", "open middle", "open top", "close top", "close middle", "close base"]


def test_close_reaches_base_even_if_a_layer_fails() -> None:
    log: list[str] = []
    top = Layer(Counting(log), log, "top", fail_close=True)
    top.open()
    with pytest.raises(RuntimeError, match="top close failed"):
        top.close()
    assert log[-2:] == ["close top", "close base"]


def test_lazy_open_and_use_after_close() -> None:
    log: list[str] = []
    top = Layer(Counting(log), log, "top")
    top.put("k", b"v")
    assert log == ["open base", "open top"]
    top.close()
    with pytest.raises(StoreClosed):
        top.get("k")


def test_shared_base_opened_and_closed_once() -> None:
    log: list[str] = []
    shared = Counting(log)
    pair = Pair(Layer(shared, log, "left"), Layer(shared, log, "right", fail_close=True))
    pair.open()
    with pytest.raises(RuntimeError):
        pair.close()
    assert log.count("open base") == 1 and log.count("close base") == 1
    assert log.index("close left") < log.index("close base")


class Flushing(Recording, StoreWrapper):
    """A write-back layer: stores a pending object in its base when it is closed."""

    def __init__(self, store: Any, log: list[str], name: str, fail_close: bool = False) -> None:
        super().__init__(store)
        self.log, self.name, self.fail_close = log, name, fail_close

    def _close(self) -> None:
        super()._close()
        self.store.put(f"flushed-by-{self.name}", b"x")


def test_a_shared_base_is_closed_after_every_wrapper_using_it() -> None:
    log: list[str] = []
    shared = Counting(log)
    top = Layer(Pair(Flushing(shared, log, "left"), Flushing(Layer(shared, log, "middle"), log, "right")), log, "top")
    with top:
        top.put("k", b"v")
    closes = [event for event in log if event.startswith("close")]
    assert sorted(closes) == ["close base", "close left", "close middle", "close right", "close top"]
    assert closes[0] == "close top" and closes[-1] == "close base"
    assert closes.index("close right") < closes.index("close middle")
    assert sorted(shared.objects) == ["flushed-by-left", "flushed-by-right", "k"]


def test_a_failing_close_in_a_shared_tree_still_closes_every_store_once() -> None:
    log: list[str] = []
    shared = Counting(log, fail_close=True)
    left, right = Layer(shared, log, "left", fail_close=True), Layer(shared, log, "right")
    pair = Pair(left, right)
    pair.open()
    with pytest.raises(RuntimeError, match="left close failed"):
        pair.close()
    assert sorted(log[3:]) == ["close base", "close left", "close right"] and log[-1] == "close base"
    assert left.closed and right.closed and shared.closed
    left.close()  # closing a part again, alone, changes nothing
    assert log.count("close base") == 1


def test_a_shared_async_base_is_closed_after_every_wrapper_using_it() -> None:
    log: list[str] = []

    class AsyncCounting(AsyncObjectStore):
        def __init__(self) -> None:
            self.objects: dict[str, Any] = {}

        async def get(self, key: str) -> Any:
            return self.objects[key]

        async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
            if self.closed:
                raise StoreClosed()
            self.objects[key] = data

        async def exists(self, key: str) -> bool:
            return key in self.objects

        async def delete(self, key: str) -> None:
            del self.objects[key]

        async def _close(self) -> None:
            log.append("close base")

    class AsyncFlushing(AsyncStoreWrapper):
        def __init__(self, store: Any, name: str) -> None:
            super().__init__(store)
            self.name = name

        async def _close(self) -> None:
            log.append(f"close {self.name}")
            await self.store.put(f"flushed-by-{self.name}", b"x")

    class AsyncPair(AsyncMultiStoreWrapper):
        def __init__(self, first: Any, second: Any) -> None:
            self.first, self.second = first, second

        def wrapped(self) -> list[tuple[str, Any]]:
            return [("first", self.first), ("second", self.second)]

        async def get(self, key: str) -> Any:
            return await self.first.get(key)

        async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
            await self.first.put(key, data)

        async def exists(self, key: str) -> bool:
            return bool(await self.first.exists(key))

        async def delete(self, key: str) -> None:
            await self.first.delete(key)

    shared = AsyncCounting()

    async def scenario() -> None:
        async with AsyncPair(AsyncFlushing(shared, "left"), AsyncFlushing(shared, "right")) as pair:
            await pair.put("k", b"v")

    asyncio.run(scenario())
    assert sorted(log) == ["close base", "close left", "close right"] and log[-1] == "close base"
    assert sorted(shared.objects) == ["flushed-by-left", "flushed-by-right", "k"]


@pytest.mark.parametrize("base", ["files", 5, None, ["a"]])
def test_a_wrapper_refuses_what_is_not_a_store(base: Any) -> None:
    with pytest.raises(InvalidValue, match=f"a wrapper wraps a store, not a {type(base).__name__}"):
        StoreWrapper(base)
    with pytest.raises(InvalidValue, match=f"not a {type(base).__name__}"):
        AsyncStoreWrapper(base)


def test_capabilities_derived_and_changed() -> None:
    class NoWrite(StoreWrapper):
        CAPABILITY_CHANGES: ClassVar[Mapping[str, bool]] = {"write": False}

    assert StoreWrapper(HashdirStore("/tmp/unused")).capabilities.listing is False
    assert NoWrite(DictStore()).capabilities == Capabilities(write=False, native_conditional_write=True)
    assert Pair(DictStore(), HashdirStore("/tmp/unused")).capabilities.listing is False


def test_validate_stack_names_layers() -> None:
    class NeedsListing(StoreWrapper):
        REQUIRES: ClassVar[Mapping[str, tuple[str, ...]]] = {"store": ("listing",)}

    NeedsListing(DictStore()).validate_stack()
    with pytest.raises(ConfigError) as caught:
        NeedsListing(StoreWrapper(HashdirStore("/x"))).validate_stack()
    assert "NeedsListing needs its store to list its keys" in str(caught.value)
    assert "StoreWrapper() -> HashdirStore" in str(caught.value)


def test_repr_shows_chain() -> None:
    class Named(StoreWrapper):
        def repr_args(self) -> str:
            return "'p/'"

    assert repr(Named(FilesystemStore("/x"))) == "Named('p/') -> FilesystemStore('/x')"
    assert repr(Pair(DictStore(), DictStore())).startswith("Pair() -> [first=DictStore(")


def test_batches_follow_overridden_single_methods() -> None:
    class Upper(StoreWrapper):
        def get(self, key: str) -> Any:
            return super().get(key).upper()

    base = DictStore({"a": b"x", "b": b"y"})
    assert Upper(base).get_many(["a", "b", "missing"]) == {"a": b"X", "b": b"Y"}
    assert StoreWrapper(base).get_many(["a"]) == {"a": b"x"}


def test_wrappers_pickle() -> None:
    clone = pickle.loads(pickle.dumps(StoreWrapper(DictStore({"k": b"v"}))))
    assert clone.get("k") == b"v"


class SeedStore:
    """A store written against the seed's interface: not an ObjectStore."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.entered = 0

    def __enter__(self) -> SeedStore:
        self.entered += 1
        return self

    def __exit__(self, *args: object) -> None:
        self.entered -= 1

    def put(self, key: str, data: Any) -> bool:
        self.data[key] = data
        return True

    def get(self, key: str) -> Any:
        return self.data[key]

    def exists(self, key: str) -> bool:
        return key in self.data

    def delete(self, key: str) -> None:
        del self.data[key]

    def keys(self) -> Any:
        return iter(list(self.data))


def test_seed_store_adapted() -> None:
    seed = SeedStore()
    store = StoreWrapper(seed)
    assert store.put("a/b", b"1") is None
    store.put("c", b"2")
    assert sorted(store.keys()) == ["a/b", "c"]
    assert list(store.keys("a/")) == ["a/b"]
    with pytest.raises(ObjectNotFound) as caught:
        store.get("missing")
    assert "SeedStore" in str(caught.value)
    with store:
        assert seed.entered == 1
    assert seed.entered == 0
    assert repr(store).endswith("-> " + repr(seed))


def test_seed_store_without_keys() -> None:
    class NoKeys:
        def get(self, key: str) -> Any:
            raise NotImplementedError("write-only")

    store = as_store(NoKeys())
    assert not store.capabilities.listing
    with pytest.raises(UnsupportedOperation):
        store.get("k")


def test_seed_async_store_adapted() -> None:
    class SeedAsync:
        def __init__(self) -> None:
            self.data: dict[str, Any] = {}

        async def put(self, key: str, data: Any) -> bool:
            self.data[key] = data
            return True

        async def get(self, key: str) -> Any:
            return self.data[key]

        async def exists(self, key: str) -> bool:
            return key in self.data

        async def delete(self, key: str) -> None:
            self.data.pop(key)

        async def keys(self) -> Any:
            for key in list(self.data):
                yield key

    async def scenario() -> None:
        store = AsyncStoreWrapper(SeedAsync())
        assert await store.put("x/1", b"1") is None
        await store.put("y", b"2")
        assert [k async for k in store.keys("x/")] == ["x/1"]
        with pytest.raises(ObjectNotFound):
            await store.get("nope")
        with pytest.raises(ObjectNotFound):
            await store.delete("nope")
        assert as_async_store(store) is store

    asyncio.run(scenario())


class RangeSpy(DictStore):
    """A DictStore whose derived operations say so when they are called natively."""

    CAPABILITIES = Capabilities(native_range=True, native_metadata=True, native_copy=True)

    def __init__(self, objects: Any = None) -> None:
        super().__init__(objects)
        self.native: list[str] = []

    def get_range(self, key: str, start: int, end: Any = None) -> bytes:
        self.native.append("get_range")
        return super().get_range(key, start, end)

    def copy(self, source: str, target: str) -> None:
        self.native.append("copy")
        super().copy(source, target)


def test_wrapper_forwards_derived_operations_and_flags() -> None:
    base = RangeSpy({"k": b"0123"})
    store = StoreWrapper(StoreWrapper(base))
    assert store.get_range("k", 1, 3) == b"12"
    store.copy("k", "c")
    assert base.native == ["get_range", "copy"]
    assert store.capabilities == base.capabilities
    assert store.forwards("stat") and store.forwards("list_dir")


def test_passes_values_keeps_forwarding_and_unmarked_overrides_derive() -> None:
    seen: list[str] = []

    class Observing(StoreWrapper):
        @passes_values
        def get(self, key: str) -> Any:
            seen.append(key)
            return super().get(key)

    class Doubling(StoreWrapper):
        def get(self, key: str) -> Any:
            return super().get(key) * 2

    class Independent(Doubling):
        @same_for_every_key
        def get(self, key: str) -> Any:
            return super().get(key)

    base = RangeSpy({"k": b"ab"})
    assert Observing(base).get_range("k", 0, 1) == b"a" and base.native == ["get_range"] and seen == []
    doubling = Doubling(base)
    assert doubling.get_range("k", 1) == b"bab" and doubling.stat("k").size == 4
    assert not doubling.capabilities.native_range and not doubling.capabilities.native_copy
    independent = Independent(base)
    assert independent.forwards("copy") and independent.forwards("rename") and not independent.forwards("stat")


def test_async_wrapper_forwards_derived_operations(tmp_path: Any) -> None:
    async def scenario() -> None:
        store = AsyncStoreWrapper(AsyncFilesystemStore(tmp_path))
        await store.put("d/k", b"0123")
        info = await store.stat("d/k")
        assert info.key == "d/k" and info.modified is not None and info.etag is not None
        assert await store.get_range("d/k", 2) == b"23"
        listed = await store.list_dir()
        assert listed.prefixes == ["d/"]
        assert store.capabilities.native_range and store.capabilities.native_metadata

    asyncio.run(scenario())


def test_instance_lock_is_made_once_per_instance_even_by_racing_threads() -> None:
    import threading

    from storage.wrapper import instance_lock

    made: list[object] = []

    def factory() -> threading.Lock:
        lock = threading.Lock()
        made.append(lock)
        return lock

    store, other = DictStore(), DictStore()
    start = threading.Barrier(8)
    seen: list[object] = []

    def take() -> None:
        start.wait()
        seen.append(instance_lock(store, "_test_lock", factory))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and seen == made * 8
    assert instance_lock(other, "_test_lock", factory) is not made[0] and len(made) == 2
    # The lock is a plain attribute of the instance.
    assert store._test_lock is made[0]  # type: ignore[attr-defined]


def test_a_pickled_store_has_no_lifecycle_locks_and_opens_again() -> None:
    store = DictStore()
    store.put("k", b"v", if_absent=True)  # creates the conditional-write lock if the store needs one
    store.open()
    copy = pickle.loads(pickle.dumps(store))
    assert not any(name.startswith("_lifecycle_") for name in vars(copy))
    assert copy.get("k") == b"v"
    copy.put("j", b"w", if_absent=True)
    assert copy.get("j") == b"w"

"""Decorators forward stat, ranges, copy, rename, streams and list_dir natively where values pass through."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from storage import aioutils, utils
from storage.bridge import SyncBackedAsyncStore
from storage.capabilities import Capabilities
from storage.errors import AlreadyExists, InvalidKey, KeyRejected, ObjectNotFound, StoreUnavailable
from storage.fs import FilesystemStore
from storage.metadata import ListResult, ObjectInfo
from storage.object import DictStore
from storage.wrapper import StoreWrapper


class Spy(FilesystemStore):
    """A FilesystemStore that records which operations were called, with which keys, and bytes read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[Any, ...]] = []
        self.bytes_read = 0

    def _record(self, *call: Any) -> None:
        self.calls.append(call)

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]

    def get(self, key: str) -> bytes:
        data = super().get(key)
        self._record("get", key)
        self.bytes_read += len(data)
        return data

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        data = super().get_range(key, start, end)
        self._record("get_range", key, start, end)
        self.bytes_read += len(data)
        return data

    def stat(self, key: str) -> ObjectInfo:
        self._record("stat", key)
        return super().stat(key)

    def copy(self, source: str, target: str) -> None:
        self._record("copy", source, target)
        super().copy(source, target)

    def rename(self, source: str, target: str) -> None:
        self._record("rename", source, target)
        super().rename(source, target)

    def open_read(self, key: str) -> Any:
        self._record("open_read", key)
        return super().open_read(key)

    def open_write(self, key: str) -> Any:
        self._record("open_write", key)
        return super().open_write(key)

    def list_dir(self, prefix: str = "") -> ListResult:
        self._record("list_dir", prefix)
        return super().list_dir(prefix)

    def keys(self, prefix: str = "") -> Iterator[str]:
        self._record("keys", prefix)
        return super().keys(prefix)


class AsyncSpy(SyncBackedAsyncStore):
    """The async twin: an async store over a ``Spy``."""

    def __init__(self, root: Path) -> None:
        super().__init__(Spy(root))
        self.spy: Spy = self.sync_store  # type: ignore[assignment]


BIG = os.urandom(1_000_000)


# Native forwarding through value-preserving layers -------------------------------------------


def test_get_range_through_prefix_reads_only_the_range(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.PrefixStore(spy, "pre/")
    store.put("big", BIG)
    assert store.get_range("big", 10, 20) == BIG[10:20]
    assert spy.calls == [("get_range", "pre/big", 10, 20)]
    assert spy.bytes_read == 10


def test_stat_through_prefix_names_the_callers_key_and_the_files_time(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.PrefixStore(spy, "pre/")
    store.put("dir/k", b"12345")
    info = store.stat("dir/k")
    assert (info.key, info.size) == ("dir/k", 5)
    assert info.modified is not None
    assert info.modified.timestamp() == pytest.approx(os.stat(tmp_path / "pre" / "dir" / "k").st_mtime)
    assert info.etag is not None and "get" not in spy.names()


def test_copy_rename_and_streams_through_prefix(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.PrefixStore(spy, "pre/")
    with store.open_write("a") as writer:
        writer.write(b"streamed")
    store.copy("a", "b")
    store.rename("b", "c/d")
    with store.open_read("c/d") as reader:
        assert reader.read() == b"streamed"
    assert spy.calls == [
        ("open_write", "pre/a"), ("copy", "pre/a", "pre/b"), ("rename", "pre/b", "pre/c/d"), ("open_read", "pre/c/d"),
    ]
    assert (tmp_path / "pre" / "c" / "d").read_bytes() == b"streamed" and not (tmp_path / "pre" / "b").exists()


@pytest.mark.parametrize("prefix", ["pre/", "q"])
def test_list_dir_through_prefix_pushes_the_prefix_down(tmp_path: Path, prefix: str) -> None:
    spy = Spy(tmp_path)
    store = utils.PrefixStore(spy, prefix)
    for key in ["top", "dir/a", "dir/sub/b", "other/c"]:
        store.put(key, b"v")
    spy.put("outside", b"not ours")
    listed = store.list_dir()
    assert (listed.keys, listed.prefixes) == (["top"], ["dir/", "other/"])
    below = store.list_dir("dir/")
    assert (below.keys, below.prefixes) == (["dir/a"], ["dir/sub/"])
    assert [call for call in spy.calls if call[0] in ("list_dir", "keys")] == [
        ("list_dir", prefix), ("list_dir", prefix + "dir/"),
    ]


def test_list_dir_through_url_encoding_maps_prefixes_back(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.UrlEncodingStore(spy)
    for key in ["a b/c", "a b/d e/f", "x?y"]:
        store.put(key, b"v")
    top = store.list_dir()
    assert (top.keys, top.prefixes) == (["x?y"], ["a b/"])
    below = store.list_dir("a b/")
    assert (below.keys, below.prefixes) == (["a b/c"], ["a b/d e/"])
    assert ("list_dir", "a%20b/") in spy.calls and "keys" not in spy.names()


def test_hash_prefix_maps_keys_and_derives_list_dir(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.HashPrefixStore(spy, hash_length=4)
    mapped = store.transform_key
    store.put("dir/a", b"0123456789")
    assert store.get_range("dir/a", 2, 4) == b"23"
    assert store.stat("dir/a").key == "dir/a"
    store.copy("dir/a", "dir/b")
    store.rename("dir/b", "c")
    assert spy.calls == [
        ("get_range", mapped("dir/a"), 2, 4), ("stat", mapped("dir/a")),
        ("copy", mapped("dir/a"), mapped("dir/b")), ("rename", mapped("dir/b"), mapped("c")),
    ]
    listed = store.list_dir()
    assert (listed.keys, listed.prefixes) == (["c"], ["dir/"])
    assert "list_dir" not in spy.names() and "keys" in spy.names()


def test_observers_and_readonly_forward_natively(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    spy.put("k", BIG)
    for layer in (utils.IdentityStore, utils.LoggingStore, utils.NotifyingStore, utils.ReadonlyStore):
        spy.calls.clear()
        store = layer(spy)
        assert store.get_range("k", 0, 3) == BIG[:3]
        assert store.stat("k").size == len(BIG)
        assert spy.names() == ["get_range", "stat"], layer


def test_readonly_and_writeonly_refuse_what_they_refuse(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    spy.put("k", b"v")
    readonly, writeonly = utils.ReadonlyStore(spy), utils.WriteonlyStore(spy)
    refused: list[Callable[[], object]] = [
        lambda: readonly.copy("k", "x"),
        lambda: readonly.rename("k", "x"),
        lambda: readonly.open_write("x"),
        lambda: writeonly.stat("k"),
        lambda: writeonly.get_range("k", 0),
        lambda: writeonly.copy("k", "x"),
        writeonly.list_dir,
    ]
    for call in refused:
        with pytest.raises(NotImplementedError):
            call()
    with writeonly.open_write("w") as writer:
        writer.write(b"native")
    assert sorted(spy.keys()) == ["k", "w"] and ("open_write", "w") in spy.calls


# Value transforms fall back to the derived default -------------------------------------------


def test_gzip_derives_ranges_and_stat_but_copies_natively(tmp_path: Path) -> None:
    spy = Spy(tmp_path)
    store = utils.GzipStore(spy)
    store.put("k", b"0123456789" * 100)
    assert store.stat("k").size == 1000
    assert store.get_range("k", 995) == b"56789"
    with store.open_read("k") as reader:
        assert reader.read(3) == b"012"
    assert spy.names() == ["get", "get", "get"]
    spy.calls.clear()
    store.copy("k", "copied")
    store.rename("copied", "moved")
    assert spy.names() == ["copy", "rename"]
    assert store.get("moved") == b"0123456789" * 100
    with store.open_write("w") as writer:
        writer.write(b"abc")
    assert "open_write" not in spy.names() and store.get("w") == b"abc"


def test_a_layer_overriding_get_gets_the_derived_default() -> None:
    class Shouting(StoreWrapper):
        def get(self, key: str) -> Any:
            return super().get(key).upper()

    store = Shouting(DictStore({"k": b"abc"}))
    assert store.get_range("k", 1) == b"BC"
    assert store.stat("k").size == 3
    assert store.open_read("k").read() == b"ABC"


FS_NATIVE = {"native_range": True, "native_metadata": True, "native_copy": True, "native_conditional_write": True}


@pytest.mark.parametrize(
    ("build", "native"),
    [
        (utils.IdentityStore, FS_NATIVE),
        (lambda fs: utils.PrefixStore(fs, "p/"), FS_NATIVE),
        (utils.HashPrefixStore, FS_NATIVE),
        (utils.LoggingStore, FS_NATIVE),
        (utils.NotifyingStore, FS_NATIVE),
        (lambda fs: utils.CachingStore(fs, DictStore()), FS_NATIVE),
        (lambda fs: utils.MirroringStore([fs, fs]), FS_NATIVE),
        (lambda fs: utils.MirroringStore([fs, DictStore()]), {**FS_NATIVE, "native_range": False,
                                                              "native_metadata": False, "native_copy": False}),
        (utils.GzipStore, {**FS_NATIVE, "native_range": False, "native_metadata": False}),
        (utils.JsonStore, {**FS_NATIVE, "native_range": False, "native_metadata": False}),
        (utils.ReadonlyStore, {**FS_NATIVE, "native_copy": False}),
        (utils.WriteonlyStore, {**FS_NATIVE, "native_range": False, "native_metadata": False,
                                               "native_copy": False}),
        (lambda fs: utils.PrefixStore(utils.GzipStore(fs), "p/"), {**FS_NATIVE, "native_range": False,
                                                                    "native_metadata": False}),
    ],
)
def test_native_flags_tell_the_truth(tmp_path: Path, build: Callable[[Any], Any], native: dict[str, bool]) -> None:
    capabilities: Capabilities = build(FilesystemStore(tmp_path)).capabilities
    assert {flag: getattr(capabilities, flag) for flag in native} == native


# Key checks on both keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda s: utils.RegexValidatingStore(s, r"ok/"),
        utils.UrlValidatingStore,
    ],
)
def test_validating_stores_check_both_keys(build: Callable[[Any], Any]) -> None:
    base = DictStore()
    store = build(base)
    good = "ok/a" if isinstance(store, utils.RegexValidatingStore) else "http://a/"
    store.put(good, b"v")
    calls: list[Callable[[], None]] = [
        lambda: store.copy(good, "bad"), lambda: store.rename(good, "bad"), lambda: store.copy("bad", good),
    ]
    for call in calls:
        with pytest.raises(KeyRejected):
            call()
    with pytest.raises(InvalidKey):
        store.copy(good, "")
    assert base.objects == {good: b"v"}


# Observers -------------------------------------------------------------------------------------


def test_logging_store_logs_each_new_operation_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = utils.LoggingStore(FilesystemStore(tmp_path), store_name="s")
    with caplog.at_level(logging.INFO, "storage.utils.logging"):
        store.put("a", b"data")
        caplog.clear()
        store.stat("a")
        store.get_range("a", 1)
        store.copy("a", "b")
        store.rename("b", "c")
        store.open_read("a").close()
        writer = store.open_write("w")
        assert caplog.records[-1].getMessage().startswith("s open_read a: ok")
        writer.write(b"x")
        writer.close()
        store.list_dir("")
        with pytest.raises(ObjectNotFound):
            store.stat("missing")
    messages = [record.getMessage().split(": ")[0] for record in caplog.records]
    assert messages == [
        "s stat a", "s get_range a", "s copy a -> b", "s rename b -> c", "s open_read a", "s open_write w",
        "s list_dir", "s stat missing",
    ]
    assert "failed (ObjectNotFound)" in caplog.records[-1].getMessage()


def test_exception_logging_store_new_fallbacks(caplog: pytest.LogCaptureFixture) -> None:
    class Down(DictStore):
        def get(self, key: str) -> Any:
            raise StoreUnavailable("down")

        def keys(self, prefix: str = "") -> Iterator[str]:
            raise StoreUnavailable("down")

    store = utils.ExceptionLoggingStore(Down())
    with caplog.at_level(logging.ERROR):
        assert store.stat("k") is None
        assert store.get_range("k", 0) is None
        assert store.copy("k", "x") is None
        assert store.open_read("k") is None
        assert store.list_dir() == ListResult()
    assert caplog.text.count("failed to") == 5


def test_notifying_store_notifies_copy_rename_and_streamed_writes(tmp_path: Path) -> None:
    base = FilesystemStore(tmp_path)
    store = utils.NotifyingStore(base)
    calls: list[tuple[str, str, Any]] = []
    store.on_change(lambda s, action, key, error: calls.append((action, key, error)))
    store.on_change(lambda *args: 1 / 0)
    base.put("a", b"v")
    store.copy("a", "b")
    store.rename("b", "c")
    store.rename("c", "c")
    with store.open_write("w") as writer:
        writer.write(b"x")
        assert calls[-1] == ("put", "c", None)
    with pytest.raises(RuntimeError), store.open_write("discarded") as writer:
        writer.write(b"x")
        raise RuntimeError("interrupted")
    with pytest.raises(ObjectNotFound):
        store.copy("missing", "d")
    assert calls[:-1] == [
        ("put", "b", None), ("put", "c", None), ("delete", "b", None), ("put", "c", None), ("put", "w", None),
    ]
    assert calls[-1][:2] == ("put", "d") and isinstance(calls[-1][2], ObjectNotFound)
    assert base.get("w") == b"x" and not base.exists("discarded")


# Mirroring and caching -------------------------------------------------------------------------


def test_mirroring_put_if_absent_decided_by_the_first_child() -> None:
    first, second = DictStore(), DictStore({"k": b"stale"})
    store = utils.MirroringStore([first, second])
    store.put("k", b"new", if_absent=True)
    assert first.objects == second.objects == {"k": b"new"}
    second.objects["k"] = b"kept"
    with pytest.raises(AlreadyExists):
        store.put("k", b"refused", if_absent=True)
    assert (first.objects["k"], second.objects["k"]) == (b"new", b"kept")


def test_mirroring_copy_rename_on_every_child_and_reads_fall_through(tmp_path: Path) -> None:
    first, second = Spy(tmp_path / "1"), Spy(tmp_path / "2")
    store = utils.MirroringStore([first, second])
    store.put("a", b"0123")
    store.copy("a", "b")
    store.rename("b", "c")
    for child in (first, second):
        assert child.names() == ["copy", "rename"] and child.get("c") == b"0123"
    first.delete("a")
    assert store.get_range("a", 1, 3) == b"12"
    assert store.stat("a").size == 4
    assert ("get_range", "a", 1, 3) in second.calls
    with pytest.raises(ObjectNotFound):
        store.copy("missing", "x")


def test_caching_forwards_to_main_and_invalidates(tmp_path: Path) -> None:
    main, cache = Spy(tmp_path), DictStore()
    store = utils.CachingStore(main, cache)
    store.put("a", b"first")
    store.put("b", b"old b")
    store.copy("a", "b")
    assert "b" not in cache.objects and store.get("b") == b"first"
    store.rename("b", "c")
    assert not {"b", "c"} & set(cache.objects) and store.get("c") == b"first"
    with store.open_write("a") as writer:
        writer.write(b"streamed")
    assert "a" not in cache.objects and store.get("a") == b"streamed"
    assert store.get_range("a", 0, 6) == b"stream" and store.stat("a").size == 8
    assert {"copy", "rename", "open_write", "get_range", "stat"} <= set(main.names())


# Async twins -------------------------------------------------------------------------------------


def test_async_twins_forward_natively(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = AsyncSpy(tmp_path)
        spy = base.spy
        store = aioutils.AsyncPrefixStore(base, "pre/")
        await store.put("big", BIG)
        assert await store.get_range("big", 5, 8) == BIG[5:8]
        info = await store.stat("big")
        assert (info.key, info.size) == ("big", len(BIG)) and info.modified is not None
        await store.copy("big", "dir/copy")
        await store.rename("dir/copy", "dir/moved")
        writer = await store.open_write("dir/w")
        await writer.write(b"w")
        await writer.close()
        listed = await store.list_dir("dir/")
        assert (listed.keys, listed.prefixes) == (["dir/moved", "dir/w"], [])
        assert spy.names() == ["get_range", "stat", "copy", "rename", "open_write", "list_dir"]
        assert spy.bytes_read == 3
        gzip = aioutils.AsyncGzipStore(base)
        assert not gzip.capabilities.native_range and gzip.capabilities.native_copy
        assert store.capabilities.native_range and store.capabilities.native_metadata

    asyncio.run(scenario())


def test_async_observers_and_multi(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    async def handler(store: Any, action: str, key: str, error: Any) -> None:
        calls.append(f"{action} {key}")

    async def scenario() -> None:
        notifying = aioutils.AsyncNotifyingStore(AsyncSpy(tmp_path / "n"))
        notifying.on_change(handler)
        await notifying.put("a", b"v")
        await notifying.rename("a", "b")
        async with await notifying.open_write("w") as writer:
            await writer.write(b"x")
        logged = aioutils.AsyncLoggingStore(AsyncSpy(tmp_path / "l"), store_name="al")
        await logged.put("a", b"v")
        writer = await logged.open_write("w")
        await writer.write(b"x")
        await writer.close()
        fanout = aioutils.AsyncFanoutStore([AsyncSpy(tmp_path / "f1"), AsyncSpy(tmp_path / "f2")])
        await fanout.put("k", b"0123", if_absent=True)
        with pytest.raises(AlreadyExists):
            await fanout.put("k", b"again", if_absent=True)
        await fanout.copy("k", "c")
        assert await fanout.get_range("c", 1, 2) == b"1"
        cache = aioutils.AsyncCachingStore(AsyncSpy(tmp_path / "m"), AsyncSpy(tmp_path / "c"))
        await cache.put("k", b"old")
        writer = await cache.open_write("k")
        await writer.write(b"new")
        await writer.close()
        assert await cache.get("k") == b"new"

    with caplog.at_level(logging.INFO, "storage.utils.logging"):
        asyncio.run(scenario())
    assert calls == ["put a", "put b", "delete a", "put w"]
    assert "al open_write w: ok" in caplog.text


# Reliability, metrics and routing layers ------------------------------------------------------


LAYERS_THAT_KEEP_VALUES: dict[str, Callable[[Any], Any]] = {
    "retry": utils.RetryStore,
    "timeout": lambda s: utils.TimeoutStore(s, 30),
    "limit": lambda s: utils.ConcurrencyLimitStore(s, 2),
    "metrics": utils.MetricsStore,
    "routing": lambda s: utils.RoutingStore({"*.json": s, "d/**": s}, default=s),
}


@pytest.mark.parametrize("build", LAYERS_THAT_KEEP_VALUES.values(), ids=LAYERS_THAT_KEEP_VALUES.keys())
def test_reliability_metrics_and_routing_layers_forward_natively(tmp_path: Path, build: Callable[[Any], Any]) -> None:
    spy = Spy(tmp_path)
    spy.put("k", BIG)
    store = build(spy)
    spy.calls.clear()
    assert store.get_range("k", 0, 3) == BIG[:3]
    info = store.stat("k")
    assert (info.key, info.size) == ("k", len(BIG)) and info.modified is not None and info.etag is not None
    store.copy("k", "d/c")
    store.rename("d/c", "d/m")
    with store.open_read("d/m") as reader:
        assert reader.read(2) == BIG[:2]
    with store.open_write("w") as writer:
        writer.write(b"x")
    assert spy.names() == ["get_range", "stat", "copy", "rename", "open_read", "open_write"]
    assert spy.bytes_read == 3 and spy.get("w") == b"x" and not spy.exists("d/c")
    assert {flag: getattr(store.capabilities, flag) for flag in FS_NATIVE} == FS_NATIVE


def test_async_metrics_and_routing_forward_natively(tmp_path: Path) -> None:
    async def scenario(build: Callable[[Any], Any], root: Path) -> None:
        base = AsyncSpy(root)
        await base.put("k", BIG)
        store = build(base)
        base.spy.calls.clear()
        assert await store.get_range("k", 0, 3) == BIG[:3]
        assert (await store.stat("k")).modified is not None
        await store.copy("k", "c")
        await store.rename("c", "m")
        reader = await store.open_read("m")
        assert await reader.read(2) == BIG[:2]
        await reader.close()
        writer = await store.open_write("w")
        await writer.write(b"x")
        await writer.close()
        assert base.spy.names() == ["get_range", "stat", "copy", "rename", "open_read", "open_write"]
        assert store.capabilities.native_range and store.capabilities.native_metadata

    for name, build in {
        "metrics": aioutils.AsyncMetricsStore,
        "routing": lambda s: aioutils.AsyncRoutingStore({"*.json": s}, default=s),
        "retry": aioutils.AsyncRetryStore,
        "limit": lambda s: aioutils.AsyncConcurrencyLimitStore(s, 2),
    }.items():
        asyncio.run(scenario(build, tmp_path / name))

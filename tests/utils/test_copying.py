"""copy_store, sync_stores, clear_store and their async twins: reports, updates, progress."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import os
import tempfile
import threading
import time
from typing import Any, AsyncIterator, Iterator

import pytest

from storage import aioutils, utils
from storage.errors import ConfigError, StoreUnavailable
from storage.fs import FilesystemStore
from storage.metadata import ObjectInfo
from storage.object import AsyncDictStore, DictStore
from storage.utils._copyplans import SyncRun, compare_stats, etag_digest


def test_copy_store_report_and_progress() -> None:
    source, target = DictStore({"a": b"1", "b": b"2", "c/d": b"3"}), DictStore({"a": b"old"})
    seen: list[tuple[str, str]] = []
    report = utils.copy_store(source, target, progress=lambda key, outcome, r: seen.append((key, outcome)))
    assert target.objects == source.objects
    assert (report.copied, report.updated, report.deleted, report.unchanged, report.failed) == (3, 0, 0, 0, 0)
    assert sorted(seen) == [("a", "copied"), ("b", "copied"), ("c/d", "copied")]
    keep = utils.copy_store(DictStore({"a": b"new", "z": b"z"}), target, overwrite=False)
    assert target.objects["a"] == b"1" and (keep.copied, keep.unchanged) == (1, 1)


def test_sync_stores_updates_changed_and_deletes() -> None:
    source = DictStore({"same": b"s", "changed": b"new", "added": b"a"})
    target = DictStore({"same": b"s", "changed": b"old", "extra": b"e"})
    report = utils.sync_stores(source, target)
    assert (report.copied, report.updated, report.unchanged, report.deleted) == (1, 1, 1, 0)
    assert target.objects["changed"] == b"new" and "extra" in target.objects
    report = utils.sync_stores(source, target, delete=True, concurrency=1)
    assert (report.unchanged, report.deleted) == (3, 1)
    assert target.objects == source.objects


def test_sync_stores_over_filesystem(tmp_path: Any) -> None:
    source, target = FilesystemStore(tmp_path / "s"), FilesystemStore(tmp_path / "t")
    for i in range(30):
        source.put(f"d{i % 3}/k{i}", str(i).encode())
    target.put("d0/k0", b"stale")
    report = utils.sync_stores(source, target, delete=True, concurrency=4)
    assert (report.copied, report.updated) == (29, 1)
    assert sorted(target.keys()) == sorted(source.keys())


def test_failed_keys_are_reported() -> None:
    class Flaky(DictStore):
        def put(self, key: str, data: Any) -> None:
            if key == "bad":
                raise StoreUnavailable("nope", store="Flaky", operation="put", key=key)
            super().put(key, data)

    report = utils.copy_store(DictStore({"ok": b"1", "bad": b"2"}), Flaky())
    assert (report.copied, report.failed, report.failed_keys) == (1, 1, ["bad"])
    assert isinstance(report.errors["bad"], StoreUnavailable) and not report.ok


def test_cheap_comparison_uses_stat() -> None:
    class Described(DictStore):
        CAPABILITIES = DictStore.CAPABILITIES.replace(native_metadata=True)

        def __init__(self, objects: dict[str, bytes]) -> None:
            super().__init__(objects)
            self.gets = 0

        def get(self, key: str) -> Any:
            self.gets += 1
            return super().get(key)

        def stat(self, key: str) -> dict[str, Any]:
            return {"size": len(self.objects[key]), "sha256": hash(self.objects[key])}

    source = Described({"same": b"s", "longer": b"22", "edited": b"1"})
    target = Described({"same": b"s", "longer": b"2", "edited": b"9"})
    report = utils.sync_stores(source, target)
    assert target.objects == source.objects
    assert (report.updated, report.unchanged) == (2, 1)
    assert target.gets == 0 and source.gets == 2


class _CountingFiles(FilesystemStore):
    """A FilesystemStore counting its whole-object reads."""

    gets = 0

    def get(self, key: str) -> Any:
        self.gets += 1
        return super().get(key)


def _set_time(store: FilesystemStore, key: str, seconds: float) -> None:
    os.utime(os.path.join(store.root_path, key), (seconds, seconds))


_T0 = 1_700_000_000


def test_sync_between_filesystems_compares_content_when_times_cannot_tell(tmp_path: Any) -> None:
    source, target = _CountingFiles(tmp_path / "s"), _CountingFiles(tmp_path / "t")
    source.put("same-time", b"total,42\n")
    target.put("same-time", b"total,17\n")
    source.put("equal", b"e")
    target.put("equal", b"e")
    for store in (source, target):
        _set_time(store, "same-time", _T0)
        _set_time(store, "equal", _T0)
    report = utils.sync_stores(source, target)
    assert (report.updated, report.unchanged) == (1, 1)
    assert source.gets == target.gets == 2 and target.get("same-time") == b"total,42\n"


def test_sync_between_filesystems_goes_by_size_and_time(tmp_path: Any) -> None:
    source, target = _CountingFiles(tmp_path / "s"), _CountingFiles(tmp_path / "t")
    for key in ("newer-source", "copied-later", "resized"):
        source.put(key, b"new")
    target.put("newer-source", b"old")
    target.put("copied-later", b"cop")
    target.put("resized", b"longer")
    for key, (when_source, when_target) in {
        "newer-source": (_T0, _T0 - 60), "copied-later": (_T0, _T0 + 60), "resized": (_T0, _T0 + 60),
    }.items():
        _set_time(source, key, when_source)
        _set_time(target, key, when_target)
    report = utils.sync_stores(source, target)
    assert (report.updated, report.unchanged) == (2, 1)
    assert target.get("newer-source") == b"new" and target.get("resized") == b"new"
    assert target.get("copied-later") == b"cop"  # written after the source: left, as aws s3 sync does
    assert source.gets == 2 and target.gets == 3


def test_async_sync_between_filesystems_with_equal_times_updates() -> None:
    from storage.aiofs import AsyncFilesystemStore

    async def scenario(root: str) -> None:
        source, target = AsyncFilesystemStore(f"{root}/s"), AsyncFilesystemStore(f"{root}/t")
        await source.put("k", b"AAAA")
        await target.put("k", b"BBBB")
        for folder in ("s", "t"):
            os.utime(os.path.join(root, folder, "k"), (_T0, _T0))
        report = await aioutils.async_sync_stores(source, target)
        assert report.updated == 1 and await target.get("k") == b"AAAA"

    with tempfile.TemporaryDirectory() as root:
        asyncio.run(scenario(root))


@pytest.mark.parametrize("direction", ["files-to-dict", "dict-to-files"])
def test_sync_between_a_filesystem_and_a_dict_compares_content(tmp_path: Any, direction: str) -> None:
    files, memory = FilesystemStore(tmp_path), DictStore()
    source, target = (files, memory) if direction == "files-to-dict" else (memory, files)
    source.put_many({"same": b"s", "changed": b"new"})
    target.put_many({"same": b"s", "changed": b"old"})
    report = utils.sync_stores(source, target)
    assert (report.updated, report.unchanged) == (1, 1) and target.get("changed") == b"new"


class _Tagged(DictStore):
    """A DictStore with native metadata: its etag is a hash of the content, its time given per key."""

    CAPABILITIES = DictStore.CAPABILITIES.replace(native_metadata=True)

    def __init__(self, objects: dict[str, bytes], modified: datetime.datetime) -> None:
        super().__init__(objects)
        self.modified = modified
        self.gets = 0

    def get(self, key: str) -> Any:
        self.gets += 1
        return super().get(key)

    def stat(self, key: str) -> ObjectInfo:
        data = self.objects[key]
        return ObjectInfo(key, len(data), self.modified, hashlib.md5(data).hexdigest())


class _Declared(_Tagged):
    etag_digest = "md5"


def test_equal_etags_count_only_where_both_stores_declare_one_digest() -> None:
    older = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    newer = older + datetime.timedelta(hours=1)
    source, target = _Declared({"k": b"v"}, newer), _Declared({"k": b"v"}, older)
    assert utils.sync_stores(source, target).unchanged == 1 and source.gets == target.gets == 0
    assert utils.sync_stores(utils.LoggingStore(source), utils.PrefixStore(target, "")).unchanged == 1
    assert source.gets == 0
    assert utils.sync_stores(_Tagged({"k": b"v"}, newer), target).updated == 1
    assert etag_digest(utils.GzipStore(source)) is None
    assert etag_digest(utils.MirroringStore([source, _Tagged({}, older)])) is None
    assert etag_digest(utils.RoutingStore({"*": source}, default=target)) == "md5"


def _at(seconds: float) -> datetime.datetime:
    """``seconds`` after a moment in whole seconds, as an aware UTC time."""
    return datetime.datetime.fromtimestamp(_T0 + seconds, datetime.timezone.utc)


@pytest.mark.parametrize(
    ("source", "target", "verdict"),
    [
        (_at(0), _at(1.5), None),  # a time in whole seconds may lie up to 2 s behind its write
        (_at(0), _at(2), "unchanged"),
        (_at(0.5), _at(0.505), None),  # a finer one a clock tick
        (_at(0.5), _at(0.52), "unchanged"),
        (_at(0.5), _at(0.5), None),
        (_at(0.5), _at(0), "updated"),
        (None, _at(0), None),
        (_at(0).replace(tzinfo=None), _at(60), None),
    ],
)
def test_compare_stats_by_time(source: Any, target: Any, verdict: Any) -> None:
    same_etag = "e" * 32
    first, second = ObjectInfo("k", 3, source, same_etag), ObjectInfo("k", 3, target, same_etag)
    assert compare_stats(first, second) == verdict
    assert compare_stats(first, second, trust_etags=True) == "unchanged"
    assert compare_stats(first, ObjectInfo("k", 4, target)) == "updated"


def test_clear_store() -> None:
    store = DictStore({"a": 1, "b/c": 2})
    report = utils.clear_store(store)
    assert store.objects == {} and report.deleted == 2


class _Slow(DictStore):
    """A DictStore whose puts wait a little and count how many run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.running = self.most = 0
        self.guard = threading.Lock()

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.002)
        super().put(key, data, if_absent=if_absent)
        with self.guard:
            self.running -= 1


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_at_most_concurrency_keys_run_at_once(concurrency: int) -> None:
    target = _Slow()
    report = utils.copy_store(DictStore({f"k{i}": b"x" for i in range(40)}), target, concurrency=concurrency)
    assert report.copied == 40 and len(target.objects) == 40
    assert 1 <= target.most <= concurrency
    if concurrency > 1:
        assert target.most > 1


def test_a_failing_listing_stops_the_run_and_is_raised() -> None:
    class Broken(DictStore):
        def keys(self, prefix: str = "") -> Iterator[str]:
            yield "a"
            yield "b"
            raise StoreUnavailable("listing lost", store="Broken", operation="keys")

    target = _Slow()
    with pytest.raises(StoreUnavailable, match="listing lost"):
        utils.copy_store(Broken({"a": b"1", "b": b"2"}), target, concurrency=4)
    assert target.objects == {"a": b"1", "b": b"2"} and target.running == 0


@pytest.mark.parametrize("error", [RuntimeError("progress failed"), KeyboardInterrupt()])
def test_an_error_of_the_progress_callback_stops_the_run(error: BaseException) -> None:
    def progress(key: str, outcome: str, report: Any) -> None:
        if report.total == 5:
            raise error

    target = _Slow()
    with pytest.raises(type(error)):
        utils.copy_store(DictStore({f"k{i:02d}": b"x" for i in range(60)}), target, progress=progress, concurrency=4)
    assert 5 <= len(target.objects) < 60 and target.running == 0


def test_sync_plans_are_made_once_per_key_in_listing_order() -> None:
    source = DictStore({f"k{i:03d}": b"v" for i in range(200)})
    target = DictStore({"gone": b"x"})
    planned: list[str] = []
    plan_for = SyncRun.plan_for

    def recording(run: SyncRun, key: str) -> Any:
        planned.append(key)
        return plan_for(run, key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SyncRun, "plan_for", recording)
        report = utils.sync_stores(source, target, delete=True, concurrency=8)
    assert planned == list(source.keys())
    assert (report.copied, report.deleted) == (200, 1) and target.objects == source.objects


def test_bad_concurrency_refused() -> None:
    with pytest.raises(ConfigError):
        utils.copy_store(DictStore(), DictStore(), concurrency=0)


def test_async_twins() -> None:
    async def scenario() -> None:
        source = AsyncDictStore({"a": b"1", "b": b"2"})
        target = AsyncDictStore({"a": b"old", "x": b"x"})
        report = await aioutils.async_sync_stores(source, target, delete=True, concurrency=2)
        assert (report.copied, report.updated, report.deleted) == (1, 1, 1)
        assert target.objects == source.objects
        copied = await aioutils.async_copy_store(source, AsyncDictStore())
        assert copied.copied == 2
        cleared = await aioutils.async_clear_store(target)
        assert cleared.deleted == 2 and target.objects == {}

    asyncio.run(scenario())


class _SlowAsync(AsyncDictStore):
    """An AsyncDictStore whose writes take a while (longer for some keys) and count how many are under way."""

    def __init__(self) -> None:
        super().__init__()
        self.running = 0

    async def _slowly(self, key: str) -> None:
        self.running += 1
        try:
            await asyncio.sleep(0.02 + 0.03 * (sum(map(ord, key)) % 3))
        finally:
            self.running -= 1

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        await self._slowly(key)
        await super().put(key, data, if_absent=if_absent)

    async def delete(self, key: str) -> None:
        await self._slowly(key)
        await super().delete(key)


def test_async_run_stopped_by_the_listing_waits_for_the_copies_under_way() -> None:
    class Broken(AsyncDictStore):
        async def keys(self, prefix: str = "") -> AsyncIterator[str]:
            for key in ("a", "b", "c"):
                yield key
            raise StoreUnavailable("listing lost", store="Broken", operation="keys")

    async def scenario() -> None:
        target = _SlowAsync()
        with pytest.raises(StoreUnavailable, match="listing lost"):
            await aioutils.async_copy_store(Broken({"a": b"1", "b": b"2", "c": b"3"}), target, concurrency=8)
        assert target.running == 0 and target.objects == {"a": b"1", "b": b"2", "c": b"3"}

    asyncio.run(scenario())


@pytest.mark.parametrize("run", ["copy", "sync", "clear"])
def test_async_run_stopped_by_the_progress_callback_waits_for_the_plans_under_way(run: str) -> None:
    def progress(key: str, outcome: str, report: Any) -> None:
        raise RuntimeError("progress failed")

    async def scenario() -> None:
        source, target = AsyncDictStore({f"k{i:02d}": b"x" for i in range(40)}), _SlowAsync()
        if run == "clear":
            target.objects.update(source.objects)
            done = aioutils.async_clear_store(target, progress=progress, concurrency=4)
        else:
            function = aioutils.async_copy_store if run == "copy" else aioutils.async_sync_stores
            done = function(source, target, progress=progress, concurrency=4)
        with pytest.raises(RuntimeError, match="progress failed"):
            await done
        assert target.running == 0
        settled = dict(target.objects)
        await asyncio.sleep(0.2)
        assert target.objects == settled and 0 < len(settled) < 40

    asyncio.run(scenario())


def test_a_cancelled_async_run_cancels_the_copies_under_way() -> None:
    async def scenario() -> None:
        target = _SlowAsync()
        run = asyncio.ensure_future(
            aioutils.async_copy_store(AsyncDictStore({f"k{i}": b"x" for i in range(40)}), target, concurrency=4)
        )
        while target.running < 4:
            await asyncio.sleep(0.01)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert target.running == 0
        settled = dict(target.objects)
        await asyncio.sleep(0.2)
        assert target.objects == settled and len(settled) < 40

    asyncio.run(scenario())


def test_seed_style_stores_are_adapted() -> None:
    class SeedStore:
        """The seed's interface: no prefix on keys(), put returns True, KeyError when missing."""

        def __init__(self) -> None:
            self.data: dict[str, bytes] = {}

        def put(self, key: str, data: bytes) -> bool:
            self.data[key] = data
            return True

        get = lambda self, key: self.data[key]  # noqa: E731
        exists = lambda self, key: key in self.data  # noqa: E731
        delete = lambda self, key: self.data.pop(key)  # noqa: E731
        keys = lambda self: list(self.data)  # noqa: E731

    seed = SeedStore()
    report = utils.sync_stores(DictStore({"a": b"1", "b": b"2"}), seed)
    assert seed.data == {"a": b"1", "b": b"2"} and report.copied == 2
    assert utils.clear_store(seed).deleted == 2 and seed.data == {}

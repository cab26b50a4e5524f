"""copy_store, sync_stores, clear_store and their async twins: reports, updates, progress."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Iterator

import pytest

from storage import aioutils, utils
from storage.errors import ConfigError, StoreUnavailable
from storage.fs import FilesystemStore
from storage.object import AsyncDictStore, DictStore
from storage.utils._copyplans import SyncRun


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

"""copy_store and sync_stores stream large objects: bounded memory, no partial object on failure."""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from typing import Any, Callable

import pytest

from storage import aioutils, utils
from storage.errors import StoreUnavailable
from storage.fs import FilesystemStore
from storage.metadata import ObjectInfo
from storage.object import DictStore
from storage.utils._copyplans import CHUNK_SIZE, STREAM_THRESHOLD

SIZE = 40 * 1024 * 1024
LIMIT = 16 * 1024 * 1024


def _stores(tmp_path: Any) -> tuple[FilesystemStore, FilesystemStore]:
    source, target = FilesystemStore(tmp_path / "s"), FilesystemStore(tmp_path / "t")
    with source.open_write("big") as writer:
        for _ in range(SIZE // CHUNK_SIZE):
            writer.write(os.urandom(CHUNK_SIZE))
    source.put("small", b"s")
    return source, target


def _peak(copy: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        copy()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


COPIES: dict[str, Callable[[Any, Any], Any]] = {
    "copy_store": utils.copy_store,
    "sync_stores": utils.sync_stores,
    "async_copy_store": lambda s, t: asyncio.run(aioutils.async_copy_store(s, t)),
    "async_sync_stores": lambda s, t: asyncio.run(aioutils.async_sync_stores(s, t)),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_large_object_copies_in_bounded_memory(tmp_path: Any, name: str) -> None:
    source, target = _stores(tmp_path)
    report: list[Any] = []
    peak = _peak(lambda: report.append(COPIES[name](source, target)))
    assert report[0].copied == 2 and report[0].ok
    assert peak < LIMIT, f"{name} peaked at {peak / 2**20:.1f} MiB"
    assert target.stat("big").size == SIZE and target.get("big") == source.get("big")
    assert target.get("small") == b"s"


def test_sync_streams_a_changed_large_object(tmp_path: Any) -> None:
    source, target = _stores(tmp_path)
    target.put("big", b"old")
    report: list[Any] = []
    peak = _peak(lambda: report.append(utils.sync_stores(source, target)))
    assert (report[0].copied, report[0].updated) == (1, 1) and peak < LIMIT
    assert target.get("big") == source.get("big")


class _Failing(FilesystemStore):
    """A target whose streamed writes fail after the first few chunks."""

    def open_write(self, key: str) -> Any:
        writer = super().open_write(key)
        write, calls = writer.write, []

        def failing(data: Any) -> int:
            calls.append(len(data))
            if len(calls) > 3:
                raise StoreUnavailable("disk gone", store="Failing", operation="open_write", key=key)
            return write(data)  # type: ignore[no-any-return]

        writer.write = failing  # type: ignore[method-assign]
        return writer


@pytest.mark.parametrize("name", sorted(COPIES))
def test_failure_mid_stream_leaves_no_object(tmp_path: Any, name: str) -> None:
    source, _ = _stores(tmp_path)
    target = _Failing(tmp_path / "t")
    report = COPIES[name](source, target)
    assert report.failed_keys == ["big"] and isinstance(report.errors["big"], StoreUnavailable)
    assert sorted(target.keys()) == ["small"]
    assert not any(name.startswith(".") or "big" in name for name in os.listdir(tmp_path / "t"))


def test_small_objects_and_unsized_sources_are_not_streamed() -> None:
    class NoStreams(DictStore):
        def open_read(self, key: str) -> Any:
            raise AssertionError("streamed")

    big = b"x" * STREAM_THRESHOLD
    source = NoStreams({"a": b"1", "big": big})
    target = DictStore()
    assert utils.copy_store(source, target).copied == 2 and target.objects["big"] == big


def test_sync_copies_keys_missing_from_the_listing_without_asking_the_target() -> None:
    class Counting(DictStore):
        CAPABILITIES = DictStore.CAPABILITIES.replace(native_metadata=True)

        def __init__(self, objects: dict[str, bytes]) -> None:
            super().__init__(objects)
            self.asked: list[str] = []

        def stat(self, key: str) -> ObjectInfo:
            self.asked.append(key)
            return super().stat(key)

    source, target = Counting({"new": b"n", "same": b"s"}), Counting({"same": b"s"})
    report = utils.sync_stores(source, target)
    assert (report.copied, report.unchanged) == (1, 1)
    assert target.asked == ["same"] and target.objects == source.objects

"""AsyncZipStore: flush and close write the archive without blocking the event loop's thread."""

from __future__ import annotations

import asyncio
import threading
import zipfile
from pathlib import Path

import pytest

from storage.errors import UnsupportedOperation
from storage.zip import AsyncZipStore


def test_flush_and_close_write_the_archive(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"

    async def scenario() -> set[int]:
        store = AsyncZipStore(path)
        threads: set[int] = set()
        original = store.sync_store.flush

        def flush() -> None:
            threads.add(threading.get_ident())
            original()

        store.sync_store.flush = flush  # type: ignore[method-assign]
        await store.put("a", b"1")
        await store.flush()
        with zipfile.ZipFile(path) as archive:
            assert archive.namelist() == ["a"]
        await store.delete("a")
        await store.put("b", b"2")
        await store.close()
        return threads

    threads = asyncio.run(scenario())
    assert threads and threading.get_ident() not in threads
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["b"]


def test_read_only_async_store(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("k", b"v")
    before = path.read_bytes()

    async def scenario() -> None:
        async with AsyncZipStore(path, mode="r") as store:
            assert not store.capabilities.write
            assert await store.get("k") == b"v"
            with pytest.raises(UnsupportedOperation):
                await store.put("k", b"new")

    asyncio.run(scenario())
    assert path.read_bytes() == before

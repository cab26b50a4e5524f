"""AsyncSqliteStore: one worker thread per store, and an event loop that never waits for SQLite."""

from __future__ import annotations

import asyncio
import pickle
import sqlite3
import threading
from pathlib import Path

from storage.aiodb import AsyncSqliteStore
from storage.errors import StoreClosed


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("AsyncSqliteStore")]


def test_one_worker_thread_per_store_stopped_on_close(tmp_path: Path) -> None:
    before = set(worker_threads())

    async def scenario() -> tuple[set[int], set[threading.Thread]]:
        idents: set[int] = set()

        async with AsyncSqliteStore(tmp_path / "a.db") as store:
            original = store.sync_store.put

            def put(key: str, data: bytes) -> None:
                idents.add(threading.get_ident())
                original(key, data)

            store.sync_store.put = put  # type: ignore[method-assign]
            await asyncio.gather(*(store.put(f"k{i}", b"v") for i in range(50)))
            assert len([key async for key in store.keys()]) == 50
            started = set(worker_threads()) - before
        return idents, started

    idents, started = asyncio.run(scenario())
    assert len(idents) == 1
    assert threading.get_ident() not in idents
    assert len(started) == 1
    for thread in started:
        thread.join(timeout=30)
        assert not thread.is_alive()


def test_event_loop_runs_while_a_write_waits(tmp_path: Path) -> None:
    path = tmp_path / "a.db"

    async def scenario() -> None:
        store = AsyncSqliteStore(path)
        await store.put("k", b"old")
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        waiting = asyncio.ensure_future(store.put("k", b"new"))
        ticks = 0
        while ticks < 20:
            await asyncio.sleep(0)
            ticks += 1
        assert not waiting.done()
        blocker.execute("COMMIT")
        blocker.close()
        await waiting
        assert await store.get("k") == b"new"
        await store.close()

    asyncio.run(scenario())


def test_reopen_after_close_and_use_after_close(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = AsyncSqliteStore(tmp_path / "a.db")
        await store.put("k", b"v")
        await store.close()
        try:
            await store.get("k")
        except StoreClosed:
            pass
        else:
            raise AssertionError("use after close must raise StoreClosed")
        await store.open()
        assert await store.get("k") == b"v"
        await store.close()

    asyncio.run(scenario())


def test_pickles_without_its_thread(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = AsyncSqliteStore(tmp_path / "a.db", timeout=5)
        await store.put("k", b"v")
        clone = pickle.loads(pickle.dumps(store))
        assert await clone.get("k") == b"v"
        assert clone.sync_store.timeout == 5
        await clone.close()
        await store.close()

    asyncio.run(scenario())

"""How the kit's suites drive a store under test, sync or async, and checks they share."""

from __future__ import annotations

import asyncio
import os
import pickle
from typing import Any, Awaitable, Callable, Iterator

import pytest

from storage._base import AsyncObjectStore, ObjectStore
from storage.blocking import BlockingStore

__all__ = ["AsyncStoreDriver", "SyncStoreDriver", "async_keys", "check_closed_reader", "in_async_context"]


class SyncStoreDriver:
    """Fixtures that hand the suites a synchronous store as it is."""

    @pytest.fixture
    def drive(self) -> Callable[[Any], ObjectStore]:
        """Turn a store built by the subclass into the sync store the cases call."""

        def as_is(store: Any) -> ObjectStore:
            return store  # type: ignore[no-any-return]

        return as_is

    @pytest.fixture
    def subject(self, store: Any, drive: Callable[[Any], ObjectStore]) -> Iterator[ObjectStore]:
        """The store under test, closed after the test."""
        driven = drive(store)
        yield driven
        driven.close()

    @pytest.fixture
    def listing(self, subject: ObjectStore) -> ObjectStore:
        """The store, for tests that need ``keys()``; skipped for stores that cannot list."""
        if not subject.capabilities.listing:
            pytest.skip("the store declares that it cannot list keys")
        return subject

    @staticmethod
    def _pickled_copy(subject: ObjectStore) -> ObjectStore:
        """A copy of ``subject`` made by a pickle round trip."""
        clone: ObjectStore = pickle.loads(pickle.dumps(subject))
        return clone


class AsyncStoreDriver(SyncStoreDriver):
    """Fixtures that hand the suites an async store behind a ``BlockingStore``, on a loop per test."""

    @pytest.fixture
    def event_loop_runner(self) -> Iterator[asyncio.AbstractEventLoop]:
        """One event loop per test, closed afterwards."""
        loop = asyncio.new_event_loop()
        yield loop
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    @pytest.fixture
    def drive(self, event_loop_runner: asyncio.AbstractEventLoop) -> Callable[[Any], ObjectStore]:
        """Turn an async store built by the subclass into a blocking view run on the test's loop."""

        def blocking(store: Any) -> ObjectStore:
            assert isinstance(store, AsyncObjectStore), f"{store!r} is not an AsyncObjectStore"
            return BlockingStore(store, event_loop_runner.run_until_complete)

        return blocking

    @staticmethod
    def _pickled_copy(subject: ObjectStore) -> ObjectStore:
        """A blocking view of a pickle round trip of the async store behind ``subject``."""
        assert isinstance(subject, BlockingStore)
        return BlockingStore(pickle.loads(pickle.dumps(subject.inner)), subject.run)


def check_closed_reader(reader: Any) -> None:
    """Every use of ``reader`` (an ``open_read`` file, already closed) raises ``ValueError``."""
    uses: list[Callable[[], object]] = [reader.read, lambda: reader.read(2)]
    if hasattr(reader, "seek"):
        uses += [lambda: reader.seek(0), lambda: reader.seek(0, os.SEEK_END)]
    for use in uses:
        with pytest.raises(ValueError):
            use()


def async_keys(listing: ObjectStore, prefix: str = "") -> list[str]:
    """The keys the async store behind ``listing`` yields, checking ``keys`` is an async iterator."""
    assert isinstance(listing, BlockingStore)
    result = listing.inner.keys(prefix)
    assert hasattr(result, "__aiter__") and hasattr(result, "__anext__")

    async def drain() -> list[str]:
        return [key async for key in result]

    keys: list[str] = listing.run(drain())
    return keys


def in_async_context(subject: ObjectStore, use: Callable[[AsyncObjectStore], Awaitable[None]]) -> None:
    """Run ``use`` inside ``async with`` on the async store behind ``subject``; it is closed after."""
    assert isinstance(subject, BlockingStore)
    inner = subject.inner

    async def scenario() -> None:
        async with inner as entered:
            assert entered is inner
            await use(entered)
        assert inner.closed

    subject.run(scenario())

"""The conformance kit run against SqliteStore and AsyncSqliteStore, writable and read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from storage.aiodb import AsyncSqliteStore
from storage.db import SqliteStore
from storage.testing import (
    AsyncObjectStoreTests,
    AsyncReadOnlyObjectStoreTests,
    ObjectStoreTests,
    ReadOnlyObjectStoreTests,
)


class TestSqliteStore(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return SqliteStore(tmp_path / "objects.db")


class TestSqliteStoreInMemory(ObjectStoreTests):
    @pytest.fixture
    def store(self) -> Any:
        return SqliteStore(":memory:")


class TestAsyncSqliteStore(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return AsyncSqliteStore(tmp_path / "objects.db")


class TestAsyncSqliteStoreInMemory(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self) -> Any:
        return AsyncSqliteStore(":memory:")


def _seeded(path: Path, content: Mapping[str, bytes]) -> Path:
    """Write ``content`` into a new database at ``path`` with a writable store."""
    with SqliteStore(path) as writer:
        writer.put_many(content)
    return path


class TestSqliteStoreReadOnly(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: SqliteStore(_seeded(tmp_path / "objects.db", content), read_only=True)


class TestSqliteStoreImmutable(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: SqliteStore(
            _seeded(tmp_path / "objects.db", content), read_only=True, immutable=True
        )


class TestAsyncSqliteStoreReadOnly(AsyncReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: AsyncSqliteStore(_seeded(tmp_path / "objects.db", content), read_only=True)

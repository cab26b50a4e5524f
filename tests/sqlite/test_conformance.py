"""The conformance kit run against SqliteStore and AsyncSqliteStore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.aiodb import AsyncSqliteStore
from storage.db import SqliteStore
from storage.testing import AsyncObjectStoreTests, ObjectStoreTests


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

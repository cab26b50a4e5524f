"""The conformance kit run against every store storage-core ships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.aiofs import AsyncFilesystemStore, AsyncHashdirStore
from storage.fs import FilesystemStore, HashdirStore
from storage.object import AsyncDictStore, DictStore
from storage.testing import AsyncObjectStoreTests, ObjectStoreTests


class TestDictStore(ObjectStoreTests):
    bytes_only = False

    @pytest.fixture
    def store(self) -> Any:
        return DictStore()


class TestAsyncDictStore(AsyncObjectStoreTests):
    bytes_only = False

    @pytest.fixture
    def store(self) -> Any:
        return AsyncDictStore()


class TestFilesystemStore(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return FilesystemStore(tmp_path / "root")


class TestFilesystemStoreFsync(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return FilesystemStore(tmp_path, fsync=True)


class TestAsyncFilesystemStore(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return AsyncFilesystemStore(tmp_path)


class TestHashdirStore(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return HashdirStore(tmp_path)


class TestAsyncHashdirStore(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return AsyncHashdirStore(tmp_path, width=3, depth=2)

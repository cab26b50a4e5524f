"""The conformance kit run against ZipStore and AsyncZipStore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.testing import AsyncObjectStoreTests, ObjectStoreTests
from storage.zip import AsyncZipStore, ZipStore


class TestZipStore(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return ZipStore(tmp_path / "objects.zip")


class TestZipStoreStored(ObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return ZipStore(tmp_path / "objects.zip", compression="stored", fsync=True)


class TestAsyncZipStore(AsyncObjectStoreTests):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Any:
        return AsyncZipStore(tmp_path / "objects.zip", compresslevel=1)

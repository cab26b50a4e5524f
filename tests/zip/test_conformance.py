"""The conformance kit run against ZipStore and AsyncZipStore, writable and read-only (mode='r')."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

from storage.testing import (
    AsyncObjectStoreTests,
    AsyncReadOnlyObjectStoreTests,
    ObjectStoreTests,
    ReadOnlyObjectStoreTests,
)
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


def _seeded(path: Path, content: Mapping[str, bytes]) -> Path:
    """Write ``content`` into a new archive at ``path`` with a writable store."""
    with ZipStore(path) as writer:
        writer.put_many(content)
    return path


class TestZipStoreReadOnly(ReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: ZipStore(_seeded(tmp_path / "objects.zip", content), mode="r")


class TestAsyncZipStoreReadOnly(AsyncReadOnlyObjectStoreTests):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Callable[[Mapping[str, bytes]], Any]:
        return lambda content: AsyncZipStore(_seeded(tmp_path / "objects.zip", content), mode="r")

"""Fixtures shared by the SqliteStore tests: a database path and a store open on it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from storage.db import SqliteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "objects.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(db_path) as opened:
        yield opened

"""SqliteStore and AsyncSqliteStore registered as types and built from configuration."""

from __future__ import annotations

import asyncio
from importlib.metadata import distribution
from pathlib import Path

import pytest

from storage.aiodb import AsyncSqliteStore
from storage.config import load_store
from storage.db import SqliteStore
from storage.errors import ConfigError


def test_entry_points_name_both_classes() -> None:
    points = {ep.name: ep.value for ep in distribution("storage-sqlite").entry_points if ep.group == "storage.backends"}
    assert points == {"SqliteStore": "storage.db:SqliteStore", "AsyncSqliteStore": "storage.aiodb:AsyncSqliteStore"}


def test_load_sync_store_from_mapping(tmp_path: Path) -> None:
    config = {
        "stores": {"db": {"type": "SqliteStore", "config": {"db_path": "${DB_DIR}/objects.db", "timeout": 5}}},
        "main": "db",
    }
    store = load_store(config, environ={"DB_DIR": str(tmp_path)})
    assert isinstance(store, SqliteStore)
    with store:
        store.put("k", b"v")
    assert SqliteStore(tmp_path / "objects.db").get("k") == b"v"


def test_load_async_store_from_yaml_file(tmp_path: Path) -> None:
    config = tmp_path / "storage.yaml"
    config.write_text(
        f"stores:\n  db:\n    type: AsyncSqliteStore\n    config: {{db_path: {tmp_path / 'a.db'}}}\nmain: db\n",
        encoding="utf-8",
    )
    store = load_store(config)
    assert isinstance(store, AsyncSqliteStore)

    async def scenario() -> bytes:
        async with store:
            await store.put("k", b"v")
            return await store.get("k")

    assert asyncio.run(scenario()) == b"v"


def test_unknown_argument_is_a_config_error(tmp_path: Path) -> None:
    config = {"stores": {"db": {"type": "SqliteStore", "config": {"path": str(tmp_path / "x.db")}}}, "main": "db"}
    with pytest.raises(ConfigError) as caught:
        load_store(config)
    assert "path" in str(caught.value)
    assert not (tmp_path / "x.db").exists()

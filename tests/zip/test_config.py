"""ZipStore and AsyncZipStore registered as types and built from configuration."""

from __future__ import annotations

import asyncio
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest

from storage.config import load_store
from storage.errors import ConfigError
from storage.zip import AsyncZipStore, ZipStore


def test_entry_points_name_both_classes() -> None:
    points = {ep.name: ep.value for ep in distribution("storage-zip").entry_points if ep.group == "storage.backends"}
    assert points == {"ZipStore": "storage.zip:ZipStore", "AsyncZipStore": "storage.zip:AsyncZipStore"}


def test_load_sync_store_from_mapping(tmp_path: Path) -> None:
    config = {
        "stores": {
            "archive": {
                "type": "ZipStore",
                "config": {"path": "${ZIP_DIR}/objects.zip", "compression": "stored"},
            }
        },
        "main": "archive",
    }
    store = load_store(config, environ={"ZIP_DIR": str(tmp_path)})
    assert isinstance(store, ZipStore)
    with store:
        store.put("k", b"v")
    with zipfile.ZipFile(tmp_path / "objects.zip") as archive:
        assert archive.getinfo("k").compress_type == zipfile.ZIP_STORED


def test_load_async_store_from_yaml_file(tmp_path: Path) -> None:
    config = tmp_path / "storage.yaml"
    config.write_text(
        "stores:\n"
        "  archive:\n"
        "    type: AsyncZipStore\n"
        f"    config: {{path: {tmp_path / 'a.zip'}, compresslevel: 9}}\n"
        "main: archive\n",
        encoding="utf-8",
    )
    store = load_store(config)
    assert isinstance(store, AsyncZipStore)

    async def scenario() -> bytes:
        async with store:
            await store.put("k", b"v")
            await store.flush()
            assert (tmp_path / "a.zip").exists()
            return await store.get("k")

    assert asyncio.run(scenario()) == b"v"
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("k") == b"v"


def test_read_only_mode_from_config(tmp_path: Path) -> None:
    config = {"stores": {"a": {"type": "ZipStore", "config": {"path": str(tmp_path / "x.zip"), "mode": "r"}}}}
    store = load_store(config, "a")
    assert not store.capabilities.write and not store.capabilities.delete


def test_unknown_argument_is_a_config_error(tmp_path: Path) -> None:
    config = {"stores": {"a": {"type": "ZipStore", "config": {"filename": str(tmp_path / "x.zip")}}}, "main": "a"}
    with pytest.raises(ConfigError) as caught:
        load_store(config)
    assert "filename" in str(caught.value)

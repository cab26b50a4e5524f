"""Type discovery from entry points, with constructed EntryPoint objects."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from storage.errors import ConfigError
from storage.fs import FilesystemStore
from storage.object import DictStore
from storage.plugins import FIRST_PARTY_TYPES, Registry, default_registry, hookimpl

if sys.version_info >= (3, 10):
    from importlib.metadata import EntryPoint
else:
    from importlib_metadata import EntryPoint

GROUP = "storage.backends"


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def test_types_are_listed_without_importing_them() -> None:
    registry = Registry(
        entry_points=[
            entry("Lazy", "storage_never_imported_module:Store"),
            entry("DictStore", "storage.object:DictStore"),
        ],
        plugins=[],
    )
    assert sorted(registry.types()) == ["DictStore", "Lazy"]
    assert registry.types()["Lazy"].value == "storage_never_imported_module:Store"
    assert "storage_never_imported_module" not in sys.modules
    with pytest.raises(TypeError):
        registry.types()["New"] = registry.types()["Lazy"]  # type: ignore[index]


def test_only_the_named_entry_point_is_imported() -> None:
    registry = Registry(
        entry_points=[
            entry("Broken", "storage_missing_module_xyz:Store"),
            entry("DictStore", "storage.object:DictStore"),
        ],
        plugins=[],
    )
    assert registry.load("DictStore") is DictStore
    with pytest.raises(ConfigError) as caught:
        registry.load("Broken")
    message = str(caught.value)
    assert "type 'Broken'" in message and "failed to import" in message and "storage_missing_module_xyz" in message
    assert isinstance(caught.value.__cause__, ImportError)
    assert registry.load("DictStore") is DictStore


def test_entry_point_that_is_not_a_store_class() -> None:
    registry = Registry(entry_points=[entry("System", "os:system")], plugins=[])
    with pytest.raises(ConfigError, match="is not a store class"):
        registry.load("System")


def test_one_name_registered_twice_is_an_error_naming_both() -> None:
    registry = Registry(
        entry_points=[entry("Twice", "storage.object:DictStore"), entry("Twice", "storage.fs:FilesystemStore")],
        plugins=[],
    )
    with pytest.raises(ConfigError, match=r"registered twice.*storage\.object:DictStore.*storage\.fs:FilesystemStore"):
        registry.load("Twice")
    assert [info.value for info in registry.conflicts()["Twice"]] == [
        "storage.object:DictStore",
        "storage.fs:FilesystemStore",
    ]


def test_hook_types_and_entry_point_types_clash() -> None:
    class Contributor:
        @hookimpl
        def storage_register_types(self, register: Any) -> None:
            register("DictStore", FilesystemStore)
            register("ByReference", "storage.fs:FilesystemStore")

    registry = Registry(entry_points=[entry("DictStore", "storage.object:DictStore")], plugins=[Contributor()])
    assert registry.load("ByReference") is FilesystemStore
    assert registry.types()["ByReference"].source == "storage_register_types"
    assert "DictStore" in registry.conflicts()


def test_unknown_type_message() -> None:
    registry = Registry(entry_points=[entry("DictStore", "storage.object:DictStore")], plugins=[])
    with pytest.raises(
        ConfigError,
        match=r"type ZipStore is provided by storage-zip: pip install storage-zip; "
        r"installed types: DictStore",
    ):
        registry.load("ZipStore")
    with pytest.raises(ConfigError, match="did you mean 'DictStore'"):
        registry.load("DictStor")


def test_first_party_table_covers_async_twins() -> None:
    assert FIRST_PARTY_TYPES["AsyncBucketStore"] == "storage-s3"
    assert FIRST_PARTY_TYPES["AsyncSqliteStore"] == "storage-sqlite"
    assert FIRST_PARTY_TYPES["FilesystemStore"] == "storage-core"


def test_misspelt_hook_fails_loudly() -> None:
    class Misspelt:
        @hookimpl
        def storage_register_typez(self, register: Any) -> None:
            """A typo: no such hook."""

    with pytest.raises(Exception, match="unknown hook"):
        Registry(entry_points=[], plugins=[Misspelt()]).plugin_manager()


def test_default_registry_sees_core_entry_points() -> None:
    types = default_registry().types()
    for name in ("DictStore", "AsyncDictStore", "FilesystemStore", "HashdirStore", "AsyncFilesystemStore"):
        assert types[name].distribution == "storage-core"
    assert default_registry().load("FilesystemStore") is FilesystemStore

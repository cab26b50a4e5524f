"""Type discovery from entry points, with constructed EntryPoint objects."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from storage._discovery import InstalledDistribution, InstalledEntryPoint
from storage.config import load_store
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
    with pytest.raises(
        ConfigError, match=r"'DictStore' is registered twice.*storage\.object:DictStore.*storage\.fs:FilesystemStore"
    ):
        registry.load("DictStore")


class NotAStore:
    def __init__(self) -> None:
        raise AssertionError("a class that is no store was constructed")


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (NotAStore, f"{__name__}:NotAStore"),
        (print, "builtins:print"),
        ("os:system", "os:system"),
        ("storage.errors:StoreError", "storage.errors:StoreError"),
        (42, "42"),
    ],
)
def test_hook_types_must_be_store_classes(target: Any, value: str) -> None:
    class Contributor:
        @hookimpl
        def storage_register_types(self, register: Any) -> None:
            register("Contributed", target)

    registry = Registry(entry_points=[], plugins=[Contributor()])
    assert registry.types()["Contributed"].value == value
    message = f"store 's', field 'type': type 'Contributed' from hook plugin ({value}) is not a store class"
    with pytest.raises(ConfigError) as caught:
        load_store({"stores": {"s": {"type": "Contributed"}}, "main": "s"}, registry=registry)
    assert str(caught.value) == message


def test_hook_types_of_a_plugin_registered_on_the_manager_directly() -> None:
    class Contributor:
        @hookimpl
        def storage_register_types(self, register: Any) -> None:
            register("Late", FilesystemStore)

    registry = Registry(entry_points=[], plugins=[])
    registry.plugin_manager().register(Contributor())
    assert registry.types()["Late"].distribution == "hook plugin"
    assert registry.load("Late") is FilesystemStore


def test_a_hook_type_that_fails_to_import_names_its_cause() -> None:
    class Contributor:
        @hookimpl
        def storage_register_types(self, register: Any) -> None:
            register("Missing", "storage_missing_module_xyz:Store")

    with pytest.raises(ConfigError, match=r"type 'Missing' from hook plugin failed to import .*storage_missing_module"):
        Registry(entry_points=[], plugins=[Contributor()]).load("Missing")


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


def test_first_party_table_names_exactly_what_each_installed_distribution_registers() -> None:
    installed: dict[str, set[str]] = {}
    for name, info in default_registry().types().items():
        installed.setdefault(info.distribution, set()).add(name)
    for dist in sorted(set(FIRST_PARTY_TYPES.values())):
        if dist not in installed:
            continue
        assert {name for name, owner in FIRST_PARTY_TYPES.items() if owner == dist} == installed[dist], dist


def test_a_first_party_type_missing_from_its_installed_distribution_is_no_install_hint() -> None:
    older_zip = InstalledDistribution("storage_zip", "0.0.9")
    registry = Registry(
        entry_points=[InstalledEntryPoint("AsyncZipStore", "storage.zip:AsyncZipStore", GROUP, older_zip)], plugins=[]
    )
    with pytest.raises(ConfigError) as caught:
        registry.load("ZipStore")
    message = "type ZipStore is not in the installed storage-zip 0.0.9; installed types: AsyncZipStore"
    assert str(caught.value) == message
    utils = InstalledDistribution("storage_utils", "0.1.0")
    fanout = InstalledEntryPoint("AsyncFanoutStore", "storage.aioutils:AsyncFanoutStore", GROUP, utils)
    with pytest.raises(ConfigError) as caught:
        Registry(entry_points=[fanout], plugins=[]).load("FanoutStore")
    assert str(caught.value).startswith("unknown store type 'FanoutStore'; did you mean 'AsyncFanoutStore'?")
    assert "pip install" not in str(caught.value)


def test_misspelt_hook_fails_loudly() -> None:
    class Misspelt:
        @hookimpl
        def storage_register_typez(self, register: Any) -> None:
            """A typo: no such hook."""

    with pytest.raises(ConfigError, match="hook plugin 0 is invalid: unknown hook 'storage_register_typez'"):
        Registry(entry_points=[], plugins=[Misspelt()]).plugin_manager()


def test_default_registry_sees_core_entry_points() -> None:
    types = default_registry().types()
    for name in ("DictStore", "AsyncDictStore", "FilesystemStore", "HashdirStore", "AsyncFilesystemStore"):
        assert types[name].distribution == "storage-core"
    assert default_registry().load("FilesystemStore") is FilesystemStore

"""A third-party plugin, pip-installed from tests/plugins/, from discovery to YAML and hooks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from storage.config import load_store
from storage.errors import ConfigError, IntegrityError
from storage.object import DictStore
from storage.plugins import Registry
from storage.testing import ObjectStoreTests


def fresh_namespace() -> str:
    return f"test-{uuid.uuid4().hex}"


def example_config(namespace: str, **extra: Any) -> dict[str, Any]:
    stores = {
        "remote": {"type": "ExampleStore", "config": {"namespace": namespace}},
        "checked": {"type": "ChecksumStore", "base": "remote"},
        **extra,
    }
    return {"stores": stores, "main": "checked"}


class TestExampleStore(ObjectStoreTests):
    @pytest.fixture
    def store(self) -> Any:
        return load_store(example_config(fresh_namespace()), name="remote", registry=Registry())


class TestChecksumOverExample(ObjectStoreTests):
    @pytest.fixture
    def store(self) -> Any:
        return load_store(example_config(fresh_namespace()), registry=Registry())


class TestChecksumOverDictByModulePath(ObjectStoreTests):
    @pytest.fixture
    def store(self) -> Any:
        config = {
            "stores": {
                "memory": {"type": "storage.object:DictStore"},
                "checked": {"type": "storage_example.checksum:ChecksumStore", "base": "memory"},
            },
            "main": "checked",
        }
        return load_store(config, registry=Registry())


def test_types_name_their_distribution() -> None:
    types = Registry().types()
    assert types["ExampleStore"].distribution == "storage-example"
    assert types["ExampleStore"].version == "1.0.0"
    assert types["ChecksumStore"].value == "storage_example.checksum:ChecksumStore"
    assert types["ExampleHookStore"].source == "storage_register_types"


def test_checksum_detects_tampering() -> None:
    namespace = fresh_namespace()
    store = load_store(example_config(namespace), registry=Registry())
    store.put("k", b"payload")
    raw = load_store(example_config(namespace), name="remote", registry=Registry())
    raw.put("k", b"tampered" + raw.get("k")[-4:])
    with pytest.raises(IntegrityError, match="checksum mismatch"):
        store.get("k")


def test_type_contributed_by_a_hook() -> None:
    config = {"stores": {"h": {"type": "ExampleHookStore", "config": {"namespace": fresh_namespace()}}}, "main": "h"}
    store = load_store(config, registry=Registry())
    store.put("a", b"b")
    assert store.get("a") == b"b"


def test_two_distributions_registering_one_name() -> None:
    with pytest.raises(ConfigError) as caught:
        load_store({"stores": {"d": {"type": "DuplicateStore"}}, "main": "d"}, registry=Registry())
    message = str(caught.value)
    assert "registered twice" in message
    assert "storage-example (storage_example.store:ExampleStore)" in message
    assert "storage-example-clash (storage_example_clash.duplicate:DuplicateStore)" in message


def test_broken_plugin_names_its_distribution_and_cause_while_others_work() -> None:
    registry = Registry()
    with pytest.raises(ConfigError) as caught:
        load_store({"stores": {"b": {"type": "BrokenStore"}}, "main": "b"}, registry=registry)
    message = str(caught.value)
    assert "storage-example-clash 1.0.0" in message
    assert "No module named 'storage_example_clash_dependency_that_is_not_installed'" in message
    assert isinstance(caught.value.__cause__, ConfigError)
    assert isinstance(load_store({"stores": {"d": {"type": "DictStore"}}, "main": "d"}, registry=registry), DictStore)
    assert load_store(example_config(fresh_namespace()), registry=registry) is not None


def test_secret_resolver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "namespace").write_text("from-a-secret\n")
    monkeypatch.setenv("STORAGE_EXAMPLE_SECRETS", str(tmp_path))
    config = {"stores": {"r": {"type": "ExampleStore", "config": {"namespace": "${secret:namespace}"}}}, "main": "r"}
    assert load_store(config, registry=Registry()).namespace == "from-a-secret"
    config["stores"]["r"]["config"]["namespace"] = "${secret:missing}"
    with pytest.raises(ConfigError, match=r"store 'r', field 'config.namespace': resolver 'secret' failed"):
        load_store(config, registry=Registry())


def test_counting_hook_wraps_every_built_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage_example.hooks import CountingStore, operation_counts

    monkeypatch.setenv("STORAGE_EXAMPLE_COUNT", "1")
    store = load_store(example_config(fresh_namespace()), registry=Registry())
    assert isinstance(store, CountingStore)
    before = operation_counts()
    store.put("k", b"v")
    assert store.get("k") == b"v"
    after = operation_counts()
    assert after[("checked", "put")] - before.get(("checked", "put"), 0) == 1
    assert after[("remote", "put")] - before.get(("remote", "put"), 0) == 1
    assert after[("checked", "get")] - before.get(("checked", "get"), 0) == 1


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_listing_types_imports_no_store_module() -> None:
    # Hook plugins are imported (their storage_register_types contributes types); store modules are not.
    loaded = run_python("""
        import sys
        from storage.plugins import default_registry
        names = default_registry().types()
        assert "ExampleStore" in names and "BrokenStore" in names and "DbmStore" in names
        print(sorted(m for m in sys.modules if m.startswith(("storage_example.store", "storage_example.checksum",
              "storage_example_clash.duplicate", "storage_example_clash.broken", "storage_dbm", "storage.db",
              "storage.zip", "storage.s3", "storage.utils", "boto3"))))
    """)
    assert loaded == "[]"


def test_building_a_config_imports_only_the_types_it_names() -> None:
    loaded = run_python("""
        import sys
        from storage.config import load_store
        load_store({"stores": {"a": {"type": "ExampleStore"}, "b": {"type": "BucketStore"}}, "main": "a"})
        print(sorted(m for m in sys.modules if m.startswith(("storage_example", "storage_dbm", "storage.s3",
              "storage.db", "storage.utils", "boto3"))))
    """)
    hook_plugins = ["storage_example", "storage_example.hooks", "storage_example_clash", "storage_example_clash.hooks"]
    assert loaded == str(sorted([*hook_plugins, "storage_example.store"]))


def test_hook_types_that_are_no_store_classes_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EXAMPLE_CLASH_HOOKS", "types")
    registry = Registry()
    assert registry.types()["HookNotAStore"].distribution == "storage-example-clash"
    for name, value in (("HookNotAStore", "storage_example_clash.hooks:NotAStore"), ("HookFunction", "builtins:print")):
        with pytest.raises(ConfigError) as caught:
            load_store({"stores": {"h": {"type": name}}, "main": "h"}, registry=registry)
        assert str(caught.value) == (
            f"store 'h', field 'type': type {name!r} from storage-example-clash ({value}) is not a store class"
        )


def test_a_hook_type_clashing_with_an_entry_point_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EXAMPLE_CLASH_HOOKS", "types")
    registry = Registry()
    with pytest.raises(ConfigError) as caught:
        load_store({"stores": {"e": {"type": "ExampleStore"}}, "main": "e"}, registry=registry)
    message = str(caught.value)
    assert "registered twice" in message
    assert "storage-example (storage_example.store:ExampleStore)" in message
    assert "storage-example-clash (storage_example_clash.duplicate:DuplicateStore)" in message
    assert [info.distribution for info in registry.conflicts()["ExampleStore"]] == [
        "storage-example", "storage-example-clash"
    ]


def run_with_clash_hooks(mode: str, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORAGE_EXAMPLE_CLASH_HOOKS": mode}
    command = [sys.executable, "-c", textwrap.dedent(code)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True)


def test_a_misspelt_hook_is_a_config_error_naming_its_distribution() -> None:
    result = run_with_clash_hooks("misspelt", """
        from storage.config import load_store
        from storage.errors import ConfigError
        try:
            load_store({"stores": {"d": {"type": "DictStore"}}, "main": "d"})
        except ConfigError as err:
            print(err)
    """)
    assert result.stderr == ""
    assert result.stdout.startswith(
        "hook plugin 'clash' from storage-example-clash 1.0.0 is invalid: unknown hook 'storage_store_bulit'"
    )


def test_a_hook_plugin_that_fails_to_import_is_recorded_not_warned() -> None:
    result = run_with_clash_hooks("broken", """
        from storage.config import load_store
        from storage.plugins import default_registry
        load_store({"stores": {"d": {"type": "DictStore"}}, "main": "d"}).put("k", b"v")
        print(default_registry().plugin_failures())
    """)
    assert result.stderr == ""
    assert result.stdout.strip() == str([
        "hook plugin 'clash' from storage-example-clash 1.0.0 failed to import (storage_example_clash.hooks): "
        "RuntimeError: storage-example-clash hooks are broken on purpose; skipped"
    ])


@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_line_warns_of_a_broken_hook_plugin_in_one_line(tmp_path: Path, quiet: bool) -> None:
    config = tmp_path / "storage.yaml"
    config.write_text("stores:\n  d:\n    type: DictStore\nmain: d\n")
    env = {**os.environ, "STORAGE_EXAMPLE_CLASH_HOOKS": "broken"}
    command = [sys.executable, "-m", "storage", "--config", str(config), *(["--quiet"] if quiet else []), "ls", "d:"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.splitlines()
    if quiet:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warnings[0].startswith("storage: warning: hook plugin ")
        assert "storage-example-clash" in warnings[0] and "broken on purpose" in warnings[0]

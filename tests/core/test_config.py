"""YAML configuration: building trees, every ConfigError case, hooks, lifecycle."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar, Optional, Union

import pytest

from storage.config import load_store
from storage.config_builder import StoreFactory
from storage.errors import ConfigError
from storage.fs import FilesystemStore
from storage.object import AsyncDictStore, AsyncObjectStore, DictStore, ObjectStore
from storage.plugins import Registry, hookimpl


class Recorder:
    """Collects construction, open and close events across test stores."""

    events: ClassVar[list[str]] = []


class Leaf(DictStore):
    def __init__(self, label: str = "leaf", fail_close: bool = False) -> None:
        super().__init__()
        self.label = label
        self.fail_close = fail_close
        Recorder.events.append(f"new {label}")

    def _open(self) -> None:
        Recorder.events.append(f"open {self.label}")

    def _close(self) -> None:
        Recorder.events.append(f"close {self.label}")
        if self.fail_close:
            raise RuntimeError("close failed")


class Exploding(DictStore):
    def __init__(self, size: int = 0) -> None:
        raise RuntimeError(f"cannot make a store of size {size}")


class Pair(DictStore):
    """A test decorator with several bases that forwards open and close to them."""

    def __init__(self, children: list[ObjectStore], label: str = "pair") -> None:
        super().__init__()
        self.children = children
        self.label = label
        Recorder.events.append(f"new {label}")

    def _open(self) -> None:
        for child in self.children:
            child.open()
        Recorder.events.append(f"open {self.label}")

    def _close(self) -> None:
        Recorder.events.append(f"close {self.label}")
        errors = []
        for child in self.children:
            try:
                child.close()
            except Exception as err:
                errors.append(err)
        if errors:
            raise errors[0]


class Wrap(Pair):
    def __init__(self, store: ObjectStore, label: str = "wrap") -> None:
        super().__init__([store], label)


class Named(DictStore):
    def __init__(self, main_store: ObjectStore, cache_store: ObjectStore) -> None:
        super().__init__()
        self.main_store = main_store
        self.cache_store = cache_store


class AsyncWrap(AsyncDictStore):
    def __init__(self, store: AsyncObjectStore) -> None:
        super().__init__()
        self.store = store


class TypesPlugin:
    @hookimpl
    def storage_register_types(self, register: Any) -> None:
        for cls in (Leaf, Exploding, Pair, Wrap, Named, AsyncWrap):
            register(cls.__name__, cls)
        register("Dict", "storage.object:DictStore")


@pytest.fixture
def registry() -> Registry:
    Recorder.events.clear()
    return Registry(entry_points=[], plugins=[TypesPlugin()])


def build(stores: dict[str, Any], registry: Registry, main: Optional[str] = None, **kwargs: Any) -> Any:
    config: dict[str, Any] = {"stores": stores}
    if main:
        config["main"] = main
    return load_store(config, registry=registry, **kwargs)


def test_builds_installed_first_party_store(tmp_path: Path) -> None:
    config = tmp_path / "storage.yaml"
    config.write_text(textwrap.dedent(f"""
        stores:
          files:
            type: FilesystemStore
            config: {{root_path: "{tmp_path}/objects"}}
        main: files
    """))
    with load_store(config) as store:
        assert isinstance(store, FilesystemStore)
        store.put("a/b", b"hello")
        assert (tmp_path / "objects" / "a" / "b").read_bytes() == b"hello"
    assert StoreFactory(config).build().get("a/b") == b"hello"
    assert isinstance(StoreFactory(str(config)).build("files"), FilesystemStore)


def test_environment_variables_inside_strings(tmp_path: Path) -> None:
    environ = {"ROOT": str(tmp_path), "EMPTY": ""}
    store = load_store(
        {
            "stores": {
                "files": {"type": "FilesystemStore", "config": {"root_path": "${ROOT}/${SUB:-objects}${EMPTY:-}"}},
                "cost": {"type": "DictStore", "config": {"objects": {"price": "$$5 for ${ROOT}"}}},
            },
            "main": "files",
        },
        environ=environ,
    )
    assert store.root_path == f"{tmp_path}/objects"
    prices = load_store({"stores": {"cost": {"type": "DictStore", "config": {"objects": {"p": "$$5 ${EMPTY:-x}"}}}}},
                        name="cost", environ=environ)
    assert prices.objects == {"p": "$5 x"}


def test_shared_base_is_built_once_and_tree_lifecycle(registry: Registry) -> None:
    stores = {
        "shared": {"type": "Leaf", "config": {"label": "shared"}},
        "left": {"type": "Wrap", "base": "shared", "config": {"label": "left"}},
        "right": {"type": "Wrap", "base": "shared", "config": {"label": "right"}},
        "top": {"type": "Pair", "base": ["left", "right"], "config": {"label": "top"}},
    }
    top = build(stores, registry, main="top")
    assert Recorder.events == ["new shared", "new left", "new right", "new top"]
    assert top.children[0].children[0] is top.children[1].children[0]
    Recorder.events.clear()
    with top:
        assert Recorder.events == ["open shared", "open left", "open right", "open top"]
        Recorder.events.clear()
    assert Recorder.events == ["close top", "close left", "close shared", "close right"]


def test_tree_closes_every_store_even_if_one_fails(registry: Registry) -> None:
    stores = {
        "a": {"type": "Leaf", "config": {"label": "a", "fail_close": True}},
        "b": {"type": "Leaf", "config": {"label": "b"}},
        "top": {"type": "Pair", "base": ["a", "b"]},
    }
    top = build(stores, registry, main="top")
    top.open()
    with pytest.raises(RuntimeError, match="close failed"):
        top.close()
    assert "close b" in Recorder.events
    assert all(child.closed for child in top.children)


def test_mapping_base_gives_keywords(registry: Registry) -> None:
    stores = {
        "main": {"type": "Dict"},
        "cache": {"type": "Dict"},
        "both": {"type": "Named", "base": {"main_store": "main", "cache_store": "cache"}},
    }
    both = build(stores, registry, main="both")
    assert isinstance(both.main_store, DictStore) and both.main_store is not both.cache_store


def test_async_tree(registry: Registry) -> None:
    stores = {"inner": {"type": "AsyncDictStore"}, "outer": {"type": "AsyncWrap", "base": "inner"}}
    registry_with_core = Registry(plugins=[TypesPlugin()])
    outer = build(stores, registry_with_core, main="outer")

    async def use() -> bytes:
        async with outer as store:
            await store.put("k", b"v")
            return bytes(await store.get("k"))

    assert asyncio.run(use()) == b"v"


def test_hook_wraps_every_built_store(registry: Registry) -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def storage_store_built(self, name: str, store: Any) -> Any:
            seen.append(name)
            return Wrap(store, label=f"observed-{name}") if name == "top" else None

    hooked = Registry(entry_points=[], plugins=[TypesPlugin(), Observer()])
    top = build({"leaf": {"type": "Leaf"}, "top": {"type": "Wrap", "base": "leaf"}}, hooked, main="top")
    assert seen == ["leaf", "top"]
    assert isinstance(top, Wrap) and top.label == "observed-top"


def test_resolver_hook(registry: Registry) -> None:
    class Secrets:
        @hookimpl
        def storage_register_resolvers(self, register: Any) -> None:
            register("secret", lambda name: {"token": "s3cr3t"}[name])

    resolving = Registry(entry_points=[], plugins=[TypesPlugin(), Secrets()])
    store = build({"d": {"type": "Dict", "config": {"objects": {"k": "${secret:token}"}}}}, resolving, main="d")
    assert store.objects == {"k": "s3cr3t"}
    with pytest.raises(ConfigError, match=r"store 'd', field 'config.objects.k': resolver 'secret' failed"):
        build({"d": {"type": "Dict", "config": {"objects": {"k": "${secret:nope}"}}}}, resolving, main="d")


# Every ConfigError case of SPEC §5, each naming the store and the field ---------------------

ERROR_CASES = {
    "unknown type": (
        {"s": {"type": "NoSuchStore"}}, "store 's', field 'type': unknown store type 'NoSuchStore'"),
    "close match": ({"s": {"type": "Leef"}}, "did you mean 'Leaf'"),
    "install hint": ({"s": {"type": "SqliteStore"}},
                     "type SqliteStore is provided by storage-sqlite: pip install storage-sqlite"),
    "unknown argument": (
        {"s": {"type": "Leaf", "config": {"lable": "x"}}},
        "store 's', field 'config.lable': unknown argument for Leaf (accepted arguments: fail_close, label)"),
    "missing argument": ({"s": {"type": "Wrap"}}, "store 's', field 'base': Wrap requires argument 'store'"),
    "missing config argument": (
        {"s": {"type": "FilesystemStore"}}, "store 's', field 'config.root_path': FilesystemStore requires"),
    "unknown field": ({"s": {"type": "Leaf", "options": {}}}, "store 's', field 'options': unknown field"),
    "base names no store": ({"s": {"type": "Wrap", "base": "ghost"}}, "store 's', field 'base': names no store"),
    "nested base names no store": (
        {"s": {"type": "Pair", "base": ["ghost"]}}, "store 's', field 'base[0]': names no store: 'ghost'"),
    "missing variable": (
        {"s": {"type": "Leaf", "config": {"label": "${NOT_SET_ANYWHERE}"}}},
        "store 's', field 'config.label': environment variable NOT_SET_ANYWHERE is not set"),
    "bad variable": ({"s": {"type": "Leaf", "config": {"label": "${1x:-y}"}}}, "field 'config.label'"),
    "cycle": (
        {"s": {"type": "Wrap", "base": "t"}, "t": {"type": "Wrap", "base": "s"}},
        "Recursive store definition found -- s mentioned multiple times (s -> t -> s)"),
    "self cycle": (
        {"s": {"type": "Wrap", "base": "s"}}, "Recursive store definition found -- s mentioned multiple times"),
    "not a store class": ({"s": {"type": "os:system"}}, "'os:system' is not an ObjectStore or AsyncObjectStore"),
    "error class": ({"s": {"type": "storage.errors:StoreError"}}, "is not an ObjectStore"),
    "not importable": ({"s": {"type": "no.such.module:Thing"}}, "cannot import 'no.such.module'"),
    "missing attribute": ({"s": {"type": "storage.object:Nothing"}}, "has no attribute 'Nothing'"),
    "abstract base is refused as missing argument": (
        {"s": {"type": "Leaf", "base": "t"}, "t": {"type": "Leaf"}}, "store 's', field 'base': takes no base"),
    "config not a mapping": ({"s": {"type": "Leaf", "config": ["x"]}}, "store 's', field 'config'"),
    "type missing": ({"s": {"config": {}}}, "store 's', field 'type': missing"),
    "base of wrong shape": ({"s": {"type": "Wrap", "base": 5}}, "store 's', field 'base': must be a store name"),
    "sync over async": (
        {"s": {"type": "Wrap", "base": "a"}, "a": {"type": "AsyncDictStore"}},
        "store 's', field 'base': Wrap is a sync store but its base AsyncDictStore is async"),
    "constructor refuses": (
        {"s": {"type": "Exploding", "config": {"size": 3}}},
        "store 's', field 'config': Exploding refused its arguments: cannot make a store of size 3"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_config_errors(case: str, registry: Registry) -> None:
    stores, message = ERROR_CASES[case]
    needs_core = "sync over" in case or "missing config" in case
    full = Registry(plugins=[TypesPlugin()], entry_points=None if needs_core else [])
    with pytest.raises(ConfigError) as caught:
        build(stores, full, main="s")
    assert message in str(caught.value)


def test_errors_are_raised_before_any_store_is_built(registry: Registry) -> None:
    stores = {
        "a": {"type": "Leaf", "config": {"label": "a"}},
        "b": {"type": "Wrap", "base": "a", "config": {"nope": 1}},
        "c": {"type": "Pair", "base": ["a", "b"]},
    }
    with pytest.raises(ConfigError, match=r"field 'config\.nope'"):
        build(stores, registry, main="c")
    assert Recorder.events == []


def test_failed_construction_closes_what_was_built(registry: Registry) -> None:
    stores = {
        "a": {"type": "Leaf", "config": {"label": "a"}},
        "boom": {"type": "Exploding"},
        "c": {"type": "Pair", "base": ["a", "boom"]},
    }
    with pytest.raises(ConfigError, match="Exploding refused"):
        build(stores, registry, main="c")
    assert Recorder.events == ["new a"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "field 'stores' must be a mapping"),
        ({"stores": {"a": {"type": "Leaf"}}}, "no store named and the configuration has no 'main'"),
        ({"stores": {"a": {"type": "Leaf"}}, "main": "b"}, "field 'main': 'b' names no store"),
        ({"stores": {"a": {"type": "Leaf"}}, "extra": 1}, "unknown top-level field 'extra'"),
    ],
)
def test_top_level_errors(config: Any, message: str, registry: Registry) -> None:
    with pytest.raises(ConfigError, match=message):
        load_store(config, registry=registry)


def test_the_seeds_imports_and_cycle_wording_still_work(tmp_path: Path) -> None:
    from storage.config_builder import ConfigError as SeedConfigError

    assert SeedConfigError is ConfigError
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text(
        "stores:\n  store1: {type: DictStore, base: store2}\n  store2: {type: DictStore, base: store1}\nmain: store1\n"
    )
    with pytest.raises(SeedConfigError, match="Recursive store definition found -- store1 mentioned multiple times"):
        StoreFactory(recursive).build()


@pytest.mark.parametrize(("written", "read_as"), [("2024", "2024"), ("on", "True"), ("1.5", "1.5"), ("null", "None")])
def test_store_names_yaml_reads_as_no_string_are_refused(tmp_path: Path, written: str, read_as: str) -> None:
    path = tmp_path / "names.yaml"
    path.write_text(f"stores:\n  {written}: {{type: DictStore}}\n  fine: {{type: DictStore}}\nmain: fine\n")
    with pytest.raises(ConfigError, match=f"store name {read_as} is read by YAML as .*, not as a string: quote it"):
        load_store(path)
    path.write_text(f'stores:\n  "{written}": {{type: DictStore}}\nmain: "{written}"\n')
    assert isinstance(load_store(path), DictStore)


def test_unknown_name_argument(registry: Registry) -> None:
    with pytest.raises(ConfigError, match="no store named 'zzz'"):
        build({"a": {"type": "Leaf"}}, registry, main="a", name="zzz")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_store(tmp_path / "missing.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="a configuration is a mapping"):
        load_store(listing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("stores:\n  a: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_store(broken)


def test_only_named_subtree_is_checked_and_imported(registry: Registry) -> None:
    stores = {"good": {"type": "Leaf"}, "other": {"type": "never.imported.module:Store"}}
    assert isinstance(build(stores, registry, main="good"), Leaf)
    assert "never" not in sys.modules


def test_importing_config_and_building_a_dict_store_imports_no_backend() -> None:
    code = textwrap.dedent("""
        import sys
        import storage.config
        store = storage.config.load_store({"stores": {"m": {"type": "DictStore"}}, "main": "m"})
        store.put("k", b"v")
        heavy = ("boto3", "botocore", "aioboto3", "sqlite3", "_sqlite3", "storage.db", "storage.s3",
                 "storage.zip", "storage.utils", "storage.aiodb", "storage.aioutils", "storage.fs")
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_building_a_dict_store_without_hook_plugins_imports_no_asyncio_pluggy_or_inspect() -> None:
    # The repo's venv has test hook plugins installed, so the registry is told there are none;
    # the installed backends are still discovered (without importlib.metadata).
    code = textwrap.dedent("""
        import sys
        sys.modules["inspect"] = None
        import storage.config
        from storage.plugins import Registry
        registry = Registry(entry_points=None, plugins=[])
        store = storage.config.load_store(
            {"stores": {"m": {"type": "DictStore"}}, "main": "m"}, registry=registry
        )
        store.put("k", b"v")
        assert registry.resolvers() == {} and registry.wrap_built("m", store) is store
        assert "FilesystemStore" in registry.types()
        slow = ("asyncio", "pluggy", "storage.hooks", "importlib.metadata", "importlib_metadata", "dataclasses")
        print(sorted(m for m in slow if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# The tree closes a shared base after every store wrapping it ----------------------------------


def test_tree_closes_a_shared_base_after_every_layer_over_it() -> None:
    from storage.wrapper import MultiStoreWrapper, StoreWrapper

    events: list[str] = []

    class Base(DictStore):
        def _close(self) -> None:
            events.append("close base")

    class Flushing(StoreWrapper):
        def __init__(self, store: Any, label: str) -> None:
            super().__init__(store)
            self.label = label

        def _close(self) -> None:
            events.append(f"close {self.label}")
            self.store.put(f"flushed-by-{self.label}", b"x")

    class Both(MultiStoreWrapper):
        def __init__(self, children: list[Any]) -> None:
            self.children = children

        def wrapped(self) -> list[tuple[str, Any]]:
            return [(f"child{index}", child) for index, child in enumerate(self.children)]

        def get(self, key: str) -> Any:
            return self.children[0].get(key)

        def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
            for child in self.children:
                child.put(key, data)

        def exists(self, key: str) -> bool:
            return bool(self.children[0].exists(key))

        def delete(self, key: str) -> None:
            for child in self.children:
                child.delete(key)

    class Types:
        @hookimpl
        def storage_register_types(self, register: Any) -> None:
            for cls in (Base, Flushing, Both):
                register(cls.__name__, cls)

    stores = {
        "base": {"type": "Base"},
        "w1": {"type": "Flushing", "base": "base", "config": {"label": "w1"}},
        "w2": {"type": "Flushing", "base": "base", "config": {"label": "w2"}},
        "root": {"type": "Both", "base": ["w1", "w2"]},
    }
    with build(stores, Registry(entry_points=[], plugins=[Types()]), main="root") as root:
        root.put("k", b"v")
        base = root.children[0].store
    assert sorted(events) == ["close base", "close w1", "close w2"] and events[-1] == "close base"
    assert sorted(base.objects) == ["flushed-by-w1", "flushed-by-w2", "k"]


# YAML that PyYAML reads but no configuration can be -----------------------------------------


def test_non_utf8_and_self_containing_yaml_are_config_errors(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"stores:\n  m: {type: DictStore}  # caf\xe9\nmain: m\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_store(latin1)
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("stores:\n  m: {type: DictStore, config: {objects: &x {k: *x}}}\nmain: m\n")
    with pytest.raises(ConfigError, match=r"store 'm', field 'config.objects.k': contains itself"):
        load_store(recursive)
    recursive.write_text("stores:\n  m: {type: DictStore}\n  w: {type: IdentityStore, base: &b [m, *b]}\nmain: w\n")
    with pytest.raises(ConfigError, match=r"store 'w', field 'base\[1\]': contains itself"):
        load_store(recursive)
    shared = tmp_path / "shared.yaml"  # an alias used twice is no loop
    shared.write_text("stores:\n  m: {type: DictStore, config: {objects: {a: &x [1], b: *x}}}\nmain: m\n")
    assert load_store(shared).objects == {"a": [1], "b": [1]}


# ${VAR} in every string: base and main too ------------------------------------------------------


def test_variables_in_base_and_main(registry: Registry) -> None:
    stores = {
        "a": {"type": "Leaf", "config": {"label": "a"}},
        "b": {"type": "Leaf", "config": {"label": "b"}},
        "top": {"type": "Wrap", "base": "${BASE}"},
        "pair": {"type": "Pair", "base": ["${FIRST:-a}", "b"]},
    }
    config = {"stores": stores, "main": "${MAIN:-top}"}
    top = load_store(config, registry=registry, environ={"BASE": "b"})
    assert isinstance(top, Wrap) and top.children[0].label == "b"
    pair = load_store(config, registry=registry, environ={"BASE": "b", "MAIN": "pair"})
    assert [child.label for child in pair.children] == ["a", "b"]
    with pytest.raises(ConfigError, match=r"store 'top', field 'base': names no store: 'c'"):
        load_store(config, registry=registry, environ={"BASE": "c"})
    with pytest.raises(ConfigError, match=r"store 'top', field 'base': environment variable BASE is not set"):
        load_store(config, registry=registry, environ={})
    with pytest.raises(ConfigError, match=r"field 'main': '\$\{MAIN:-top\} -> nope' names no store"):
        load_store(config, registry=registry, environ={"MAIN": "nope"})


# A base given under config, or a non-store base ----------------------------------------------


@pytest.mark.parametrize(("argument", "value"), [("store", "files"), ("children", ["files"])])
def test_a_base_given_under_config_is_refused(registry: Registry, argument: str, value: Any) -> None:
    stores = {"files": {"type": "Leaf"}, "main": {"type": "Wrap", "config": {argument: value}}}
    with pytest.raises(ConfigError, match=rf"store 'main', field 'config.{argument}': .* given with 'base'"):
        build(stores, registry, main="main")
    assert Recorder.events == []


# String values for bool/int/float parameters are converted ----------------------------------


class Typed(DictStore):
    def __init__(
        self, flag: bool = False, count: int = 0, ratio: float = 1.0, limit: Optional[int] = None,
        name: str = "", either: Union[int, str] = 0, anything: Any = None,
    ) -> None:
        super().__init__()
        self.values = {"flag": flag, "count": count, "ratio": ratio, "limit": limit, "name": name,
                       "either": either, "anything": anything}


def typed(config: dict[str, Any], environ: Optional[dict[str, str]] = None) -> dict[str, Any]:
    registry = Registry(entry_points=[], plugins=[TypesPlugin()])
    stores = {"t": {"type": f"{__name__}:Typed", "config": config}}
    return build(stores, registry, main="t", environ=environ or {}).values  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("text", "flag"),
    [("false", False), ("False", False), ("no", False), ("OFF", False), ("0", False),
     ("true", True), ("Yes", True), ("on", True), ("1", True), (" true ", True)],
)
def test_strings_for_bool_parameters_are_converted(text: str, flag: bool) -> None:
    assert typed({"flag": "${FLAG}"}, {"FLAG": text})["flag"] is flag


def test_strings_for_int_and_float_parameters_are_converted() -> None:
    values = typed({"count": "${N:-12}", "ratio": "0.5", "limit": "${LIMIT}", "name": "007", "either": "7",
                    "anything": "8"}, {"LIMIT": "3"})
    assert values == {"flag": False, "count": 12, "ratio": 0.5, "limit": 3, "name": "007", "either": "7",
                      "anything": "8"}
    assert typed({"flag": True, "count": 5})["count"] == 5  # values that are not strings are left alone


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"flag": "${FLAG:-maybe}"}, r"field 'config.flag': '\$\{FLAG:-maybe\}' \(once substituted\) is not a boolean"),
        ({"count": "many"}, r"field 'config.count': 'many' is not an integer"),
        ({"ratio": "half"}, r"field 'config.ratio': 'half' is not a number"),
        ({"limit": ""}, r"field 'config.limit': '' is not an integer"),
    ],
)
def test_strings_that_do_not_convert_are_config_errors(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=rf"store 't', {message}"):
        typed(config)


def test_fsync_false_from_the_environment_is_false(tmp_path: Path) -> None:
    config = {"stores": {"f": {"type": "FilesystemStore",
                               "config": {"root_path": str(tmp_path), "fsync": "${FSYNC:-false}"}}}, "main": "f"}
    assert load_store(config, environ={}).fsync is False
    assert load_store(config, environ={"FSYNC": "yes"}).fsync is True
    hashed = {"stores": {"h": {"type": "HashdirStore", "config": {"root_path": str(tmp_path), "width": "${W:-3}"}}}}
    assert load_store(hashed, name="h", environ={}).width == 3


def test_an_empty_root_path_is_a_config_error(tmp_path: Path) -> None:
    config = {"stores": {"f": {"type": "FilesystemStore", "config": {"root_path": "${DATA}"}}}, "main": "f"}
    with pytest.raises(ConfigError, match=r"store 'f', field 'config': .*root_path is empty"):
        load_store(config, environ={"DATA": ""})

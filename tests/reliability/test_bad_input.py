"""Every bad input SPEC §3-§5 names gets its typed error and changes nothing.

Each case runs against a small world: a directory holding one populated store (and, for
configurations, the YAML file). The directory tree (names, modes, content hashes) and the store's
contents are snapshotted before and after; they must be equal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from tests.reliability._figures import Figures
from tests.reliability._s3 import REGION, bucket_contents, bucket_store
from tests.reliability._snapshot import snapshot
from tests.reliability._workload import encode, make_store, read_state

from storage.config import load_store
from storage.errors import ConfigError, IntegrityError, InvalidKey, InvalidValue, PermissionDenied, StoreError

SEED_KEYS = ("a", "dir/b", "dir/sub/c")
LOCATIONS = {"fs": "store", "sqlite": "store.db", "zip": "store.zip"}

#: Keys a path-mapped store (files, zip members) must refuse before touching anything (SPEC §4).
PATH_KEYS: Dict[str, Any] = {
    "empty": "",
    "absolute": "/etc/passwd",
    "absolute inside": "/a",
    "dotdot": "..",
    "dotdot escape": "../outside/secret",
    "dotdot deep": "dir/../../outside/secret",
    "dotdot last": "dir/..",
    "dot": ".",
    "dot segment": "./a",
    "inner dot": "dir/./b",
    "empty segment": "dir//b",
    "trailing slash": "dir/",
    "backslash": "dir\\b",
    "backslash escape": "..\\outside\\secret",
    "nul": "a\x00b",
    "nul escape": "../outside/secret\x00",
    "reserved prefix": ".storage-tmp-0123",
    "reserved inner": "dir/.storage-tmp-x/b",
    "long segment": "x" * 256,
    "long multibyte segment": "dir/" + "é" * 128,
    "lone surrogate": "dir/\ud800",
    "bytes key": b"a",
    "int key": 42,
    "none key": None,
}
#: Keys every byte store refuses (SQLite keeps any other text).
ANY_STORE_KEYS = {name: PATH_KEYS[name] for name in ("empty", "bytes key", "int key", "none key")}
#: Values a byte store refuses with a ``TypeError`` (SPEC §2).
BAD_VALUES: Dict[str, Any] = {
    "str": "text", "int": 5, "float": 1.5, "none": None, "dict": {"a": 1}, "list": [1, 2], "object": object(),
}
#: Prefixes a path-mapped store refuses in ``keys()``.
BAD_PREFIXES: Dict[str, Any] = {
    "absolute": "/a", "dotdot": "../", "dotdot deep": "dir/../../", "backslash": "dir\\", "nul": "a\x00",
    "empty segment": "dir//", "int": 3,
}
OPERATIONS: Dict[str, Callable[[Any, Any], Any]] = {
    "get": lambda store, key: store.get(key),
    "put": lambda store, key: store.put(key, b"value"),
    "exists": lambda store, key: store.exists(key),
    "delete": lambda store, key: store.delete(key),
}

Case = Tuple[str, str, Callable[[Any], Any], type]


def key_cases() -> List[Any]:
    cases = []
    for kind in LOCATIONS:
        keys = ANY_STORE_KEYS if kind == "sqlite" else PATH_KEYS
        for name, key in keys.items():
            for operation, call in OPERATIONS.items():
                cases.append(pytest.param(kind, call, key, InvalidKey, id=f"{kind}-{operation}-{name}"))
        for name, value in BAD_VALUES.items():
            cases.append(pytest.param(kind, lambda store, v: store.put("new", v), value, InvalidValue,
                                      id=f"{kind}-put-value-{name}"))
        if kind != "sqlite":
            for name, prefix in BAD_PREFIXES.items():
                cases.append(pytest.param(kind, lambda store, p: list(store.keys(p)), prefix, InvalidKey,
                                          id=f"{kind}-keys-{name}"))
    return cases


def build_world(tmp_path: Path, kind: str) -> str:
    """A populated, closed store of ``kind`` under ``tmp_path/world``, beside an ``outside`` secret."""
    world = tmp_path / "world"
    (world / "outside").mkdir(parents=True)
    (world / "outside" / "secret").write_bytes(b"SECRET")
    path = str(world / LOCATIONS[kind])
    with make_store(kind, path) as store:
        for gen, key in enumerate(SEED_KEYS):
            store.put(key, encode(key, gen))
    return path


def look(kind: str, path: str) -> Tuple[Any, Any]:
    """The world's directory tree, then the store's contents as a fresh store reads them."""
    tree = snapshot(os.path.dirname(path))
    with make_store(kind, path) as store:
        return tree, read_state(store)


@pytest.mark.parametrize(("kind", "call", "argument", "error"), key_cases())
def test_bad_key_or_value_changes_nothing(
    kind: str, call: Callable[[Any, Any], Any], argument: Any, error: type, tmp_path: Path, figures: Figures
) -> None:
    path = build_world(tmp_path, kind)
    before = look(kind, path)
    figures.bad_inputs += 1
    with make_store(kind, path) as store, pytest.raises(error) as caught:
        call(store, argument)
    assert isinstance(caught.value, StoreError)
    assert (error is not InvalidValue) or isinstance(caught.value, TypeError)
    assert look(kind, path) == before


#: Configurations with one mistake each (SPEC §5); ``ROOT`` is a directory they must never create.
CONFIGS: Dict[str, str] = {
    "invalid yaml": "stores: {fs: {type: FilesystemStore, config: {root_path: ROOT}\nmain: [fs",
    "tab-indented yaml": "stores:\n\tfs: {}\n",
    "not a mapping": "- FilesystemStore\n",
    "unknown top-level field": "stores: {fs: {type: FilesystemStore, config: {root_path: ROOT}}}\nmian: fs\n",
    "no stores": "main: fs\n",
    "main names no store": "stores: {fs: {type: FilesystemStore, config: {root_path: ROOT}}}\nmain: ghost\n",
    "unknown type": "stores: {fs: {type: FilesystemStor, config: {root_path: ROOT}}}\nmain: fs\n",
    "type missing": "stores: {fs: {config: {root_path: ROOT}}}\nmain: fs\n",
    "unknown field": "stores: {fs: {type: FilesystemStore, config: {root_path: ROOT}, options: {}}}\nmain: fs\n",
    "unknown argument": "stores: {fs: {type: FilesystemStore, config: {root_path: ROOT, colour: red}}}\nmain: fs\n",
    "missing argument": "stores: {fs: {type: FilesystemStore, config: {}}}\nmain: fs\n",
    "config not a mapping": "stores: {fs: {type: FilesystemStore, config: [ROOT]}}\nmain: fs\n",
    "base names no store": (
        "stores:\n  ro: {type: ReadonlyStore, base: ghost}\n"
        "  fs: {type: FilesystemStore, config: {root_path: ROOT}}\nmain: ro\n"
    ),
    "cycle": (
        "stores:\n  a: {type: ReadonlyStore, base: b}\n  b: {type: ReadonlyStore, base: a}\n"
        "  fs: {type: FilesystemStore, config: {root_path: ROOT}}\nmain: a\n"
    ),
    "self cycle": "stores:\n  a: {type: ReadonlyStore, base: a}\nmain: a\n",
    "missing variable": (
        "stores: {fs: {type: FilesystemStore, config: {root_path: '${RELIABILITY_NEVER_SET}/x'}}}\nmain: fs\n"
    ),
    "missing variable in longer string": (
        "stores: {fs: {type: FilesystemStore, config: {root_path: 'ROOT/${RELIABILITY_NEVER_SET}'}}}\nmain: fs\n"
    ),
    "not a store class": "stores: {fs: {type: 'collections:OrderedDict'}}\nmain: fs\n",
    "a function": "stores: {fs: {type: 'os.path:join'}}\nmain: fs\n",
    "an error class": "stores: {fs: {type: 'storage.errors:StoreError'}}\nmain: fs\n",
    "module not importable": "stores: {fs: {type: 'no_such_module_anywhere:Store'}}\nmain: fs\n",
    "class not in module": "stores: {fs: {type: 'storage.fs:NoSuchStore'}}\nmain: fs\n",
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bad_configuration_changes_nothing(name: str, tmp_path: Path, figures: Figures) -> None:
    world = tmp_path / "world"
    world.mkdir()
    root = world / "created"
    config = world / "storage.yaml"
    config.write_text(CONFIGS[name].replace("ROOT", str(root)), encoding="utf-8")
    before = snapshot(str(world))
    figures.bad_inputs += 1
    with pytest.raises(ConfigError):
        with load_store(config, environ={}):
            pass
    assert snapshot(str(world)) == before
    assert not root.exists()


def replaced_by(junk: bytes) -> Callable[[str], None]:
    """A damage that replaces the whole file by ``junk``."""

    def damage(path: str) -> None:
        Path(path).write_bytes(junk)

    return damage


def second_half_overwritten(path: str) -> None:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2] + b"\xff" * (len(data) - len(data) // 2))


def truncated(path: str) -> None:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: len(data) // 2])


def damaged_zip_member(path: str) -> None:
    data = bytearray(Path(path).read_bytes())
    start = data.index(b"dir/sub/c") + len("dir/sub/c")
    for offset in range(start + 4, start + 40):
        data[offset] ^= 0xFF
    Path(path).write_bytes(bytes(data))


NOT_A_DATABASE = replaced_by(b"this is not a database " * 200)
NOT_AN_ARCHIVE = replaced_by(b"PK\x03\x04 this is not a zip archive " * 50)
#: (store kind, how the file is damaged, what is then tried)
CORRUPTIONS: Dict[str, Tuple[str, Callable[[str], None], Callable[[Any], Any]]] = {
    "sqlite garbage get": ("sqlite", NOT_A_DATABASE, lambda store: store.get("a")),
    "sqlite garbage put": ("sqlite", NOT_A_DATABASE, lambda store: store.put("a", b"x")),
    "sqlite garbage keys": ("sqlite", NOT_A_DATABASE, lambda store: list(store.keys())),
    "sqlite overwritten half": ("sqlite", second_half_overwritten, lambda store: [store.get(k) for k in SEED_KEYS]),
    "sqlite truncated": ("sqlite", truncated, lambda store: [store.get(k) for k in SEED_KEYS]),
    "zip garbage get": ("zip", NOT_AN_ARCHIVE, lambda store: store.get("a")),
    "zip garbage keys": ("zip", NOT_AN_ARCHIVE, lambda store: list(store.keys())),
    "zip overwritten half": ("zip", second_half_overwritten, lambda store: store.get("a")),
    "zip truncated": ("zip", truncated, lambda store: store.get("a")),
    "zip damaged member": ("zip", damaged_zip_member, lambda store: store.get("dir/sub/c")),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_file_is_an_integrity_error_and_left_alone(name: str, tmp_path: Path, figures: Figures) -> None:
    kind, damage, action = CORRUPTIONS[name]
    path = build_world(tmp_path, kind)
    damage(path)
    before = snapshot(os.path.dirname(path))
    figures.bad_inputs += 1
    with pytest.raises(IntegrityError):
        with make_store(kind, path) as store:
            action(store)
    assert snapshot(os.path.dirname(path)) == before


S3_CASES: Dict[str, Tuple[Callable[[Any], Any], type]] = {
    "empty key": (lambda store: store.get(""), InvalidKey),
    "key too long": (lambda store: store.put("k" * 1025, b"x"), InvalidKey),
    "int key": (lambda store: store.delete(7), InvalidKey),
    "str value": (lambda store: store.put("a", "text"), InvalidValue),
    "none value": (lambda store: store.put("a", None), InvalidValue),
}


def test_bad_s3_input_changes_nothing(s3_endpoint: str, s3_admin: Any, s3_bucket: str, figures: Figures) -> None:
    s3_admin.put_object(Bucket=s3_bucket, Key="a", Body=encode("a", 1))
    before = bucket_contents(s3_admin, s3_bucket)
    with bucket_store(s3_endpoint, s3_bucket) as store:
        for name, (action, error) in S3_CASES.items():
            figures.bad_inputs += 1
            with pytest.raises(error):
                action(store)
            assert bucket_contents(s3_admin, s3_bucket) == before, name


def test_wrong_s3_credentials_are_denied_and_change_nothing(
    s3_endpoint: str, s3_admin: Any, s3_bucket: str, figures: Figures
) -> None:
    from moto.core.authorization import enable_iam_authentication

    from storage.s3 import BucketStore

    s3_admin.put_object(Bucket=s3_bucket, Key="a", Body=encode("a", 1))
    before = bucket_contents(s3_admin, s3_bucket)
    wrong_secret = "wrong-secret-key-must-not-leak"
    actions: Dict[str, Callable[[Any], Any]] = {
        "get": lambda store: store.get("a"),
        "put": lambda store: store.put("b", b"x"),
        "delete": lambda store: store.delete("a"),
        "exists": lambda store: store.exists("a"),
        "keys": lambda store: list(store.keys()),
    }
    with enable_iam_authentication():
        store = BucketStore(
            endpoint_url=s3_endpoint, s3_access_key="AKIAWRONGWRONGWRONG0", s3_secret_key=wrong_secret,
            bucket_name=s3_bucket, region_name=REGION,
        )
        with store:
            for name, action in actions.items():
                figures.bad_inputs += 1
                with pytest.raises(PermissionDenied) as caught:
                    action(store)
                assert wrong_secret not in str(caught.value) + repr(store), name
    assert bucket_contents(s3_admin, s3_bucket) == before

"""Hypothesis fuzzes keys against FilesystemStore and ZipStore: nothing outside the root is touched.

Each example builds a world: the store (a directory root or an archive) beside an ``outside``
directory holding a secret and a sibling whose name extends the root's. Every operation is tried
with the fuzzed key; the world outside the store must be unchanged, no read may return the
secret, an accepted key must land inside the root (or be a clean archive member), and only
``StoreError`` subclasses may be raised.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any, Callable, Dict, List

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.reliability._figures import Figures
from tests.reliability._snapshot import snapshot

from storage.errors import InvalidKey, StoreError
from storage.fs import FilesystemStore
from storage.zip import ZipStore

SECRET = b"SECRET-OUTSIDE-THE-ROOT"
MARK = b"written by the fuzzer"
NASTY_SEGMENTS = [
    "..", ".", "", "...", "a", "b", "outside", "secret", "root-sibling", "\\", "..\\..", "\x00", "a\x00",
    "/", "//", "é", "\U0001f600", "\ud800", "\udfff", ".storage-tmp-1", "x" * 255, "x" * 256, "é" * 128,
    "é" * 127 + "x", " ", "~", "$HOME", "%2e%2e", "\n", "\u202e", "a:b", "C:", "..%00",
]
SEGMENT = st.one_of(
    st.sampled_from(NASTY_SEGMENTS),
    st.text(max_size=12),
    st.text(alphabet="./\\\x00ab", max_size=10),
    st.text(alphabet="ab.", min_size=250, max_size=300),
)
KEYS = st.one_of(
    st.lists(SEGMENT, min_size=1, max_size=6).map("/".join),
    st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.lists(SEGMENT, min_size=1, max_size=4).map("\\".join),
    st.text(max_size=40),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make_world(base: str) -> Dict[str, str]:
    """The directories around the store: a secret outside, a sibling sharing the root's name prefix."""
    os.makedirs(os.path.join(base, "outside"))
    with open(os.path.join(base, "outside", "secret"), "wb") as file:
        file.write(SECRET)
    with open(os.path.join(base, "root-sibling"), "wb") as file:
        file.write(SECRET)
    return {"base": base, "root": os.path.join(base, "root"), "archive": os.path.join(base, "root.zip")}


def outside(world: Dict[str, str], store_path: str) -> Any:
    """The snapshot of the world without the store's own root or archive."""
    tree = snapshot(world["base"])
    name = os.path.basename(store_path)
    return {path: entry for path, entry in tree.items() if path != name and not path.startswith(name + os.sep)}


def try_all(store: Any, key: str, operations: Dict[str, Callable[[Any, str], Any]]) -> Dict[str, Any]:
    """Run each operation with ``key``; map its name to the result or the ``StoreError`` raised."""
    results: Dict[str, Any] = {}
    for name, operation in operations.items():
        try:
            results[name] = operation(store, key)
        except StoreError as err:
            results[name] = err
    return results


OPERATIONS: Dict[str, Callable[[Any, str], Any]] = {
    "exists": lambda store, key: store.exists(key),
    "get before": lambda store, key: store.get(key),
    "put": lambda store, key: store.put(key, MARK),
    "get after": lambda store, key: store.get(key),
    "keys": lambda store, key: list(store.keys(key)),
}


def check_reads(results: Dict[str, Any]) -> None:
    """No operation returned the secret, and a key that was stored reads back."""
    for name, result in results.items():
        assert result != SECRET, f"{name} read a file outside the root"
        if isinstance(result, list):
            assert SECRET not in result
    if results["put"] is None:
        assert results["get after"] == MARK


def rejected(results: Dict[str, Any]) -> bool:
    """Whether the store refused the key as invalid."""
    return isinstance(results["put"], InvalidKey)


def member_is_clean(name: str) -> bool:
    """An archive member name that no extractor could place outside its target directory."""
    segments = name.split("/")
    return not (
        name.startswith("/") or "\\" in name or "\x00" in name or ".." in segments or "." in segments or "" in segments
    )


@FUZZ
@given(key=KEYS)
def test_filesystem_store_never_leaves_its_root(key: str, figures: Figures) -> None:
    with tempfile.TemporaryDirectory() as base:
        world = make_world(base)
        store = FilesystemStore(world["root"])
        store.put("inside", MARK)
        before = outside(world, world["root"])
        results = try_all(store, key, {**OPERATIONS, "delete": lambda s, k: s.delete(k)})
        check_reads(results)
        if results["put"] is None:
            assert results["delete"] is None
            root, real = os.path.realpath(world["root"]), os.path.realpath(os.path.join(world["root"], key))
            assert real != root and os.path.commonpath([real, root]) == root, real
        assert outside(world, world["root"]) == before
        assert store.get("inside") == MARK
        figures.bad_inputs += rejected(results)


@FUZZ
@given(key=KEYS)
def test_zip_store_never_leaves_its_archive(key: str, figures: Figures) -> None:
    with tempfile.TemporaryDirectory() as base:
        world = make_world(base)
        with ZipStore(world["archive"]) as store:
            store.put("inside", MARK)
        before = outside(world, world["archive"])
        with ZipStore(world["archive"]) as store:
            results = try_all(store, key, OPERATIONS)
        check_reads(results)
        with zipfile.ZipFile(world["archive"]) as archive:
            names: List[str] = archive.namelist()
        assert all(member_is_clean(name) for name in names), names
        assert sorted(names) == sorted({"inside", key} if results["put"] is None else {"inside"})
        if results["put"] is None:
            with ZipStore(world["archive"]) as store:
                store.delete(key)
        assert outside(world, world["archive"]) == before
        assert sorted(os.listdir(base)) == ["outside", "root-sibling", "root.zip"]
        figures.bad_inputs += rejected(results)

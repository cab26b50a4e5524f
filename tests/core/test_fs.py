"""FilesystemStore and HashdirStore behaviour beyond the conformance kit."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.aiofs import AsyncFilesystemStore
from storage.errors import InvalidKey, InvalidValue, ObjectNotFound, PermissionDenied, StoreError, UnsupportedOperation
from storage.fs import FilesystemStore, HashdirStore
from storage.validation import RESERVED_SEGMENT_PREFIX


def snapshot(path: Path) -> dict[str, bytes]:
    """Every file and directory below ``path`` (directories map to b"<dir>")."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), path)] = b"<dir>"
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as file:
                found[os.path.relpath(os.path.join(dirpath, name), path)] = file.read()
    return found


ESCAPING_KEYS = [
    "/etc/passwd", "../outside", "a/../../outside", "a/./b", "./a", "a//b", "a/", "a\\b", "..\\x",
    "nul\x00byte", "..", ".", "a/..", f"{RESERVED_SEGMENT_PREFIX}x", "d/" + "x" * 256, "surrogate\udc80",
]


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_escaping_keys_are_refused_before_touching_anything(tmp_path: Path, key: str) -> None:
    root = tmp_path / "root"
    store = FilesystemStore(root)
    store.put("a/b", b"inside")
    (tmp_path / "outside").write_bytes(b"outside")
    before = snapshot(tmp_path)
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(InvalidKey):
            call()
    assert snapshot(tmp_path) == before


@settings(max_examples=200, deadline=None)
@given(key=st.text(alphabet=st.sampled_from(["a", "b", ".", "/", "\\", "\x00", "é", " "]), min_size=1, max_size=12))
def test_no_key_reaches_outside_the_root(tmp_path_factory: pytest.TempPathFactory, key: str) -> None:
    base = tmp_path_factory.mktemp("fuzz")
    root = base / "root"
    store = FilesystemStore(root)
    sibling = base / "sibling"
    sibling.write_bytes(b"keep")
    before_outside = {p for p in snapshot(base) if not p.startswith("root")}
    for call in (lambda: store.put(key, b"x"), lambda: store.get(key), lambda: store.exists(key),
                 lambda: store.delete(key)):
        try:
            call()
        except (InvalidKey, ObjectNotFound):
            pass
    assert {p for p in snapshot(base) if not p.startswith("root")} == before_outside
    assert sibling.read_bytes() == b"keep"
    for path in snapshot(root) if root.exists() else {}:
        assert not path.startswith("..")


def test_file_where_a_directory_is_needed_and_the_reverse(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    store.put("a", b"file")
    store.put("d/x", b"below")
    before = snapshot(tmp_path)
    with pytest.raises(InvalidKey, match="in the way"):
        store.put("a/b", b"x")
    with pytest.raises(InvalidKey, match="in the way"):
        store.put("a/b/c", b"x")
    with pytest.raises(InvalidKey, match="in the way"):
        store.put("d", b"x")
    assert snapshot(tmp_path) == before
    assert not store.exists("a/b")
    assert not store.exists("d")
    with pytest.raises(ObjectNotFound):
        store.get("d")
    with pytest.raises(ObjectNotFound):
        store.get("a/b")
    with pytest.raises(ObjectNotFound):
        store.delete("d")


def test_failed_put_leaves_the_old_object_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemStore(tmp_path)
    store.put("k", b"old")
    with pytest.raises(InvalidValue):
        store.put("k", "text")

    def disk_full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(StoreError, match="No space left"):
        store.put("k", b"new")
    monkeypatch.undo()
    assert snapshot(tmp_path) == {"k": b"old"}


@pytest.mark.parametrize("data", [b"0123456789" * 100, bytearray(b"abc" * 333), memoryview(b"xyz" * 50)])
def test_short_writes_are_continued_until_the_whole_value_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: Any
) -> None:
    real_write = os.write

    def at_most_7(fd: int, chunk: Any) -> int:
        return real_write(fd, bytes(chunk)[:7])

    store = FilesystemStore(tmp_path)
    monkeypatch.setattr(os, "write", at_most_7)
    store.put("k", data)
    monkeypatch.undo()
    assert store.get("k") == bytes(data)


def test_temporary_names_differ_in_a_forked_child(tmp_path: Path) -> None:
    import storage.fs as fs

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.write(write, fs._temp_tag.encode())
        os._exit(0)
    os.close(write)
    child_tag = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child_tag and child_tag != fs._temp_tag


def test_leftover_temporary_files_are_not_keys(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    store.put("dir/k", b"v")
    (tmp_path / f"{RESERVED_SEGMENT_PREFIX}crashed").write_bytes(b"partial")
    (tmp_path / "dir" / f"{RESERVED_SEGMENT_PREFIX}abc").write_bytes(b"partial")
    assert sorted(store.keys()) == ["dir/k"]
    assert list(store.keys("dir/")) == ["dir/k"]


def test_delete_removes_emptied_directories_but_never_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = FilesystemStore(root)
    store.put("a/b/c/d", b"1")
    store.put("a/x", b"2")
    store.delete("a/b/c/d")
    assert snapshot(root) == {"a": b"<dir>", "a/x": b"2"}
    store.delete("a/x")
    assert root.is_dir() and snapshot(root) == {}


def test_keys_scans_only_the_selected_subtree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemStore(tmp_path)
    for key in ["x/1", "x/2/3", "y/1", "y/2", "xy"]:
        store.put(key, b"v")
    scanned: list[str] = []
    real_scandir = os.scandir

    def recording_scandir(path: str) -> object:
        scanned.append(os.path.relpath(path, tmp_path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", recording_scandir)
    assert sorted(store.keys("x/")) == ["x/1", "x/2/3"]
    assert sorted(scanned) == ["x", "x/2"]
    scanned.clear()
    assert sorted(store.keys("y/2")) == ["y/2"]
    assert scanned == ["y"]


def test_keys_of_missing_root_and_bad_prefix(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path / "never-created")
    assert list(store.keys()) == []
    with pytest.raises(ObjectNotFound):
        store.get("k")
    with pytest.raises(InvalidKey):
        list(store.keys("../"))
    with pytest.raises(InvalidKey):
        list(store.keys("/abs"))


def test_permission_errors_are_typed(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        store = FilesystemStore(tmp_path)
        store.put("k", b"v")
        os.chmod(tmp_path / "k", 0)
        assert store.get("k") == b"v"  # root reads anyway: nothing to translate
        return
    store = FilesystemStore(tmp_path)
    store.put("k", b"v")
    os.chmod(tmp_path / "k", 0)
    with pytest.raises(PermissionDenied):
        store.get("k")


def test_hashdir_layout_matches_the_seed(tmp_path: Path) -> None:
    store = HashdirStore(tmp_path)
    store.put("some/key", b"v")
    digest = hashlib.sha256(b"some/key").hexdigest()
    assert (tmp_path / digest[:2] / digest[2:4] / digest[4:6] / digest[6:]).read_bytes() == b"v"
    wide = HashdirStore(tmp_path / "wide", width=4, depth=1)
    wide.put("k", b"w")
    digest = hashlib.sha256(b"k").hexdigest()
    assert (tmp_path / "wide" / digest[:4] / digest[4:]).read_bytes() == b"w"


def test_hashdir_accepts_any_key_and_cannot_list(tmp_path: Path) -> None:
    store = HashdirStore(tmp_path)
    for key in ["../../etc/passwd", "/abs", "a\\b", "..", "a//b"]:
        store.put(key, key.encode())
        assert store.get(key) == key.encode()
    with pytest.raises(UnsupportedOperation):
        store.keys()
    with pytest.raises(ValueError, match="do not fit"):
        HashdirStore(tmp_path, width=8, depth=8)


def test_async_filesystem_store_does_not_block_the_loop(tmp_path: Path) -> None:
    store = AsyncFilesystemStore(tmp_path)
    loop_threads: set[int] = set()
    io_threads: set[int] = set()
    real_open = os.open

    def recording_open(*args: object, **kwargs: object) -> int:
        io_threads.add(threading.get_ident())
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    async def scenario() -> None:
        loop_threads.add(threading.get_ident())
        await store.put("k", b"v")
        assert await store.get("k") == b"v"
        assert [key async for key in store.keys()] == ["k"]

    os.open = recording_open  # type: ignore[assignment]
    try:
        asyncio.run(scenario())
    finally:
        os.open = real_open
    assert io_threads and not (io_threads & loop_threads)

"""FilesystemStore and HashdirStore behaviour beyond the conformance kit."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.aiofs import AsyncFilesystemStore
from storage.errors import (
    ConfigError,
    InvalidKey,
    InvalidValue,
    ObjectNotFound,
    PermissionDenied,
    StoreError,
    UnsupportedOperation,
)
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


@pytest.mark.parametrize("data", [b"0123456789" * 100, bytearray(b"abc" * 333), memoryview(b"xyz" * 50)])
def test_a_stream_writer_continues_short_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: Any) -> None:
    from storage.streams import spooled_writer

    real_write = os.write

    def at_most_7(fd: int, chunk: Any) -> int:
        return real_write(fd, bytes(chunk)[:7])

    store = FilesystemStore(tmp_path / "store")
    spooled: list[bytes] = []
    monkeypatch.setattr(os, "write", at_most_7)
    writers = (store.open_write("k"), spooled_writer(lambda file, size: spooled.append(file.read()), str(tmp_path)))
    for writer in writers:
        with writer:
            assert writer.write(data) == len(bytes(data))
            assert writer.write(b"") == 0
            assert writer.write(data) == len(bytes(data))
    monkeypatch.undo()
    assert store.get("k") == spooled[0] == bytes(data) * 2


FILE_SIZE_LIMIT = """
import errno, resource, signal, sys
from storage.fs import FilesystemStore
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
store = FilesystemStore(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    with store.open_write("k") as writer:
        print("returned", writer.write(bytes(10000)))
except OSError as err:
    print("refused", errno.errorcode[err.errno])
print("stored", store.exists("k"))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file size limits")
def test_a_write_the_system_cuts_short_is_never_stored_truncated(tmp_path: Path) -> None:
    # Past the file size limit, write(2) writes what fits and returns less: the rest must not be dropped.
    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["refused", "EFBIG", "stored", "False"]


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


# Symlinks placed in the root are followed, consistently --------------------------------------


def symlinked_root(tmp_path: Path) -> tuple[Path, Path]:
    """A root with a symlink to an outside file, one to an outside directory, and a dangling one."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "secret").write_bytes(b"outside")
    (outside / "sub" / "deep").write_bytes(b"deeper")
    (outside / "file").write_bytes(b"linked file")
    root.mkdir()
    (root / "plain").write_bytes(b"plain")
    (root / "dlink").symlink_to(outside)
    (root / "flink").symlink_to(outside / "file")
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    return root, outside


def test_keys_list_what_get_and_exists_follow(tmp_path: Path) -> None:
    root, _ = symlinked_root(tmp_path)
    store = FilesystemStore(root)
    listed = sorted(store.keys())
    assert listed == ["dlink/file", "dlink/secret", "dlink/sub/deep", "flink", "plain"]
    for key in listed:
        assert store.exists(key)
        store.get(key)
    for key in ["dlink", "dangling"]:
        assert not store.exists(key)
        with pytest.raises(ObjectNotFound):
            store.get(key)
    top = store.list_dir()
    assert (top.keys, top.prefixes) == (["flink", "plain"], ["dlink/"])
    below = store.list_dir("dlink/")
    assert (below.keys, below.prefixes) == (["dlink/file", "dlink/secret"], ["dlink/sub/"])
    assert sorted(store.keys("dlink/s")) == ["dlink/secret", "dlink/sub/deep"]


def test_delete_never_removes_a_symlinked_directory_or_anything_outside(tmp_path: Path) -> None:
    root, outside = symlinked_root(tmp_path)
    store = FilesystemStore(root)
    for key in ["dlink", "dangling"]:
        with pytest.raises(ObjectNotFound):
            store.delete(key)
    assert (root / "dlink").is_symlink() and (root / "dangling").is_symlink()
    store.delete("dlink/sub/deep")
    assert (outside / "sub").is_dir()  # the emptied directory is outside the root: kept
    store.delete("dlink/secret")
    store.delete("flink")
    assert (outside / "file").read_bytes() == b"linked file"  # the link went, not its target
    assert (root / "dlink").is_symlink() and sorted(os.listdir(outside)) == ["file", "sub"]


@pytest.mark.parametrize("loop", ["self", "mutual"])
def test_symlink_loops_end_the_listing(tmp_path: Path, loop: str) -> None:
    store = FilesystemStore(tmp_path)
    store.put("a/x", b"1")
    store.put("b/y", b"2")
    if loop == "self":
        (tmp_path / "a" / "back").symlink_to(tmp_path / "a")
        expected = ["a/back/x", "a/x", "b/y"]
    else:
        (tmp_path / "a" / "to-b").symlink_to(tmp_path / "b")
        (tmp_path / "b" / "to-a").symlink_to(tmp_path / "a")
        expected = ["a/to-b/to-a/x", "a/to-b/y", "a/x", "b/to-a/to-b/y", "b/to-a/x", "b/y"]
    assert sorted(store.keys()) == expected
    for key in expected:
        assert store.get(key) in (b"1", b"2")


# Only objects with valid names are listed -----------------------------------------------------


def test_keys_list_only_regular_files_whose_names_are_keys(tmp_path: Path) -> None:
    import socket

    store = FilesystemStore(tmp_path)
    store.put("ok", b"v")
    store.put("dir/ok", b"v")
    (tmp_path / "win\\style").write_bytes(b"x")
    (tmp_path / "back\\slash").mkdir()
    (tmp_path / "back\\slash" / "inside").write_bytes(b"x")
    with open(os.path.join(os.fsencode(tmp_path), b"latin1-\xe9"), "wb"):
        pass
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"dir/bad-\xff"))
    (tmp_path / "dir" / f"{RESERVED_SEGMENT_PREFIX}x").mkdir()
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        assert sorted(store.keys()) == ["dir/ok", "ok"]
        assert list(store.keys("dir/")) == ["dir/ok"]
        top = store.list_dir()
        assert (top.keys, top.prefixes) == (["ok"], ["dir/"])
        below = store.list_dir("dir/")
        assert (below.keys, below.prefixes) == (["dir/ok"], [])
        for key in ["pipe", "sock"]:
            assert not store.exists(key)


@pytest.mark.parametrize("operation", ["get", "get_range", "open_read", "copy"])
def test_reading_a_fifo_never_waits(tmp_path: Path, operation: str) -> None:
    store = FilesystemStore(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    calls = {
        "get": lambda: store.get("pipe"),
        "get_range": lambda: store.get_range("pipe", 0, 1),
        "open_read": lambda: store.open_read("pipe"),
        "copy": lambda: store.copy("pipe", "copy"),
    }
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            calls[operation]()
        except BaseException as err:
            outcome.append(err)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "opening the FIFO blocked"
    assert len(outcome) == 1 and isinstance(outcome[0], ObjectNotFound)
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


# Paths too long for the OS are invalid keys ----------------------------------------------------


def long_keys(root: Path) -> dict[str, str]:
    """A key whose path is far over PATH_MAX, and one whose directories fit but whose file does not."""
    budget = os.pathconf(root, "PC_PATH_MAX") - len(str(root)) - 1 - 100
    segments = []
    while sum(len(s) + 1 for s in segments) + 201 < budget:
        segments.append("d" * 200)
    return {
        "far over": "/".join(["s" * 200] * 30),
        "file over": "/".join(segments) + "/" + "f" * 250,
    }


@pytest.mark.parametrize("which", ["far over", "file over"])
def test_keys_too_long_for_a_path_are_invalid_everywhere(tmp_path: Path, which: str) -> None:
    store = FilesystemStore(tmp_path)
    store.put("src", b"v")
    key = long_keys(tmp_path)[which]
    before = snapshot(tmp_path)
    calls = {
        "exists": lambda: store.exists(key),
        "get": lambda: store.get(key),
        "put": lambda: store.put(key, b"x"),
        "put if_absent": lambda: store.put(key, b"x", if_absent=True),
        "delete": lambda: store.delete(key),
        "stat": lambda: store.stat(key),
        "get_range": lambda: store.get_range(key, 0, 1),
        "open_read": lambda: store.open_read(key),
        "open_write": lambda: store.open_write(key).close(),
        "copy to": lambda: store.copy("src", key),
        "copy from": lambda: store.copy(key, "dst"),
        "rename to": lambda: store.rename("src", key),
        "rename from": lambda: store.rename(key, "dst"),
        "keys": lambda: list(store.keys(key + "/")),
        "list_dir": lambda: store.list_dir(key + "/"),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidKey, match="too long"):
            call()
            pytest.fail(f"{name} accepted the key")
        assert snapshot(tmp_path) == before, name


# Failed or discarded writes leave nothing behind ------------------------------------------------


def disk_full(*args: object) -> int:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_failed_writes_remove_the_directories_they_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemStore(tmp_path)
    store.put("src", b"v")
    (tmp_path / "empty").mkdir()  # someone else's empty directory: kept
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError), store.open_write("a/b/c") as writer:
        writer.write(b"partial")
        raise RuntimeError("interrupted")
    writer = store.open_write("empty/x/y")
    writer.discard()
    assert snapshot(tmp_path) == before
    monkeypatch.setattr(os, "write", disk_full)
    for call in (lambda: store.put("a/b/c", b"v"), lambda: store.copy("src", "a/b/c"),
                 lambda: store.put("empty/x/y", b"v")):
        with pytest.raises(StoreError, match="No space left"):
            call()
        assert snapshot(tmp_path) == before
    monkeypatch.undo()
    writer = store.open_write("a/b/c")
    monkeypatch.setattr(os, "replace", lambda *args: disk_full())
    with pytest.raises(StoreError, match="No space left"):
        writer.close()
    assert snapshot(tmp_path) == before


def test_a_failure_while_making_directories_removes_those_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemStore(tmp_path)
    store.put("k", b"v")
    real_mkdir = os.mkdir

    def second_level_denied(path: str, *args: Any) -> None:
        if os.path.relpath(path, tmp_path).count("/") == 1:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        real_mkdir(path, *args)

    monkeypatch.setattr(os, "mkdir", second_level_denied)
    for call in (lambda: store.put("a/b/c/d", b"v"), lambda: store.open_write("a/b/c/d"),
                 lambda: store.copy("k", "a/b/c/d"), lambda: store.rename("k", "a/b/c/d")):
        with pytest.raises(PermissionDenied):
            call()
        assert sorted(os.listdir(tmp_path)) == ["k"]


def test_fsync_failures_are_store_errors_and_leave_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    store = FilesystemStore(tmp_path, fsync=True)
    store.put("k", b"v")
    real_fsync = os.fsync

    def directory_fsync_fails(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", directory_fsync_fails)
    for operation, call in [("put", lambda: store.put("k", b"w")), ("copy", lambda: store.copy("k", "k2")),
                            ("rename", lambda: store.rename("k2", "k3"))]:
        with pytest.raises(StoreError, match="Invalid argument") as caught:
            call()
        assert caught.value.operation == operation

    def file_fsync_fails(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", file_fsync_fails)
    with pytest.raises(StoreError, match="Input/output error") as caught:
        with store.open_write("new/w") as writer:
            writer.write(b"data")
    assert caught.value.operation == "open_write"
    with pytest.raises(StoreError, match="Input/output error"):
        store.put("new/p", b"data")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["k", "k3"]


# Listing errors are typed ---------------------------------------------------------------------


def test_listing_errors_are_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FilesystemStore(tmp_path)
    store.put("ok/k", b"v")
    store.put("locked/k", b"v")
    real_scandir = os.scandir

    def denied(path: str) -> Any:
        if path.endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(PermissionDenied) as caught:
        list(store.keys())
    assert caught.value.operation == "keys"
    with pytest.raises(PermissionDenied):
        list(store.keys("locked/"))
    with pytest.raises(PermissionDenied):
        store.list_dir("locked/")


# Races with a concurrent delete that prunes the directory --------------------------------------


def test_writes_survive_a_concurrent_prune_of_their_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemStore(tmp_path)
    store.put("src", b"v")
    real_mkdir, real_replace = os.mkdir, os.replace
    raced: list[str] = []

    def mkdir_after_a_prune(path: str, *args: Any) -> None:
        # Another put made the directory, and a delete pruned it before this one could look.
        if not raced:
            raced.append(path)
            raise FileExistsError(errno.EEXIST, "File exists", path)
        real_mkdir(path, *args)

    def replace_after_a_prune(source: str, target: str) -> None:
        if not raced:
            raced.append(target)
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", target)
        real_replace(source, target)

    monkeypatch.setattr(os, "mkdir", mkdir_after_a_prune)
    for call in (lambda: store.put("t/put", b"v"), lambda: store.copy("src", "u/copy"),
                 lambda: store.open_write("v/stream").close(), lambda: store.rename("src", "w/moved")):
        raced.clear()
        call()
        assert raced
    monkeypatch.setattr(os, "replace", replace_after_a_prune)
    raced.clear()
    store.rename("w/moved", "w/back")
    assert raced and store.get("w/back") == b"v"
    assert sorted(store.keys()) == ["t/put", "u/copy", "v/stream", "w/back"]


@pytest.mark.parametrize("operation", ["put", "rename", "open_write"])
def test_a_prune_meeting_a_directory_being_filled_leaves_it(
    tmp_path: Path, operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread's delete pruning empty directories right after they were made for a write."""
    store = FilesystemStore(tmp_path)
    store.put("source", b"v")
    making = FilesystemStore._make_directories
    pruned: list[bool] = []

    def make_then_prune(self: FilesystemStore, directory: str) -> str:
        top = making(self, directory)
        self._prune(directory)  # what a concurrent delete of the directory's last object does
        pruned.append(os.path.isdir(directory))
        return top

    monkeypatch.setattr(FilesystemStore, "_make_directories", make_then_prune)
    if operation == "put":
        store.put("a/b/key", b"new")
    elif operation == "rename":
        store.rename("source", "a/b/key")
    else:
        with store.open_write("a/b/key") as writer:
            writer.write(b"new")
    assert pruned == [True]
    assert store.get("a/b/key") in (b"new", b"v")
    store.delete("a/b/key")
    assert not (tmp_path / "a").exists()


def test_concurrent_puts_renames_and_deletes_in_one_directory(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            store.put("t/other", b"x")
            store.delete("t/other")

    errors: list[BaseException] = []
    worker = threading.Thread(target=churn)
    worker.start()
    try:
        store.put("src", b"v")
        source, target = "src", "t/moved"
        for _ in range(1500):
            try:
                store.put("t/mine", b"v")
                store.delete("t/mine")
                store.rename(source, target)
                source, target = target, source
            except StoreError as err:
                errors.append(err)
    finally:
        stop.set()
        worker.join()
    assert errors == []


# Errors name the operation that failed --------------------------------------------------------


def test_errors_name_the_operation(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    store.put("a", b"in the way")
    store.put("src", b"v")
    for operation, call in [("copy", lambda: store.copy("src", "a/b")), ("rename", lambda: store.rename("src", "a/b")),
                            ("open_write", lambda: store.open_write("a/b")), ("put", lambda: store.put("a/b", b"v"))]:
        with pytest.raises(InvalidKey, match="in the way") as caught:
            call()
        assert caught.value.operation == operation


# Etags change with every write ---------------------------------------------------------------


def test_etag_changes_with_every_rewrite_of_the_same_size(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    etags = []
    for index in range(50):
        store.put("k", bytes([65 + index % 2]) * 16)
        etags.append(store.stat("k").etag)
    assert all(before != after for before, after in zip(etags, etags[1:]))


def test_empty_root_path_is_refused() -> None:
    with pytest.raises(ConfigError, match="root_path is empty"):
        FilesystemStore("")
    with pytest.raises(ConfigError, match="root_path is empty"):
        AsyncFilesystemStore("")
    with pytest.raises(ConfigError, match="root_path is empty"):
        HashdirStore("")
    assert FilesystemStore(".").root_path == os.getcwd()

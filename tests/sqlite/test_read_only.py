"""SqliteStore and AsyncSqliteStore on databases they may only read: ``read_only``, ``immutable``, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pickle
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from tests.sqlite._helpers import snapshot

from storage.aiodb import AsyncSqliteStore
from storage.config import load_store
from storage.db import SqliteStore
from storage.errors import (
    ConfigError,
    IntegrityError,
    ObjectNotFound,
    PermissionDenied,
    StoreClosed,
    StoreError,
    UnsupportedOperation,
)

SEED_SCHEMA = "CREATE TABLE objects (key TEXT PRIMARY KEY, data BLOB)"
OBJECTS = {"top": b"0123456789", "dir/a": b"a", "dir/sub/b": b"b" * 3000, "other": b""}
NOBODY = 65534


def fill(path: Path, objects: dict[str, bytes] = OBJECTS) -> None:
    """Write ``objects`` with a writable store, which leaves a WAL database with the full schema."""
    with SqliteStore(path) as store:
        store.put_many(objects)


def fill_seed(path: Path) -> None:
    """Write a database as the seed did: the ``objects`` table only, in SQLite's default journal mode."""
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(SEED_SCHEMA)
        connection.executemany("INSERT INTO objects VALUES (?, ?)", [("a", b"1"), ("dir/b", b"22")])
        connection.execute("INSERT INTO objects VALUES ('text', 'written as TEXT')")
    connection.close()


def fingerprint(directory: Path) -> dict[str, tuple[str, int]]:
    """The digest and modification time of every file in ``directory``."""
    return {
        entry.name: (hashlib.sha256(entry.read_bytes()).hexdigest(), entry.stat().st_mtime_ns)
        for entry in sorted(directory.iterdir())
    }


def tables(path: Path) -> list[str]:
    """The names of the tables and triggers of the database at ``path``, read through a read-only URI."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(name for (name,) in connection.execute("SELECT name FROM sqlite_master"))
    finally:
        connection.close()


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block without root's power to ignore file permissions, so that they really apply.

    As root the effective user is switched to ``nobody`` for the block (and back), so the kernel
    checks permissions as it would for any user; otherwise the block runs as it is.
    """
    if os.geteuid() != 0:
        yield
        return
    try:
        os.seteuid(NOBODY)
    except PermissionError:
        pytest.skip("running as root without the right to drop privileges: permission checks would not apply")
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh directory that the unprivileged user can reach (pytest's root-owned tmp dirs are not)."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    directory = Path(tempfile.mkdtemp(prefix="storage-read-only-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)


# Reading -----------------------------------------------------------------------------------


def test_a_read_only_store_reads_everything_and_changes_no_file(db_path: Path) -> None:
    fill(db_path)
    with SqliteStore(db_path) as writable:
        info = writable.stat("dir/sub/b")
    before = snapshot(db_path)
    database = fingerprint(db_path.parent)["objects.db"]
    with SqliteStore(db_path, read_only=True) as store:
        assert {key: store.get(key) for key in OBJECTS} == OBJECTS
        assert store.exists("top") and not store.exists("missing")
        assert list(store.keys()) == sorted(OBJECTS)
        assert list(store.keys("dir/")) == ["dir/a", "dir/sub/b"]
        listed = store.list_dir("dir/")
        assert (listed.keys, listed.prefixes) == (["dir/a"], ["dir/sub/"])
        assert store.get_many(["top", "missing", "other"]) == {"top": OBJECTS["top"], "other": b""}
        assert store.get_range("top", 2, 5) == b"234"
        assert store.stat("dir/sub/b") == info
        with store.open_read("dir/sub/b") as reader:
            assert reader.read() == OBJECTS["dir/sub/b"]
        assert dict(store.as_mapping().items()) == OBJECTS
        with pytest.raises(ObjectNotFound):
            store.get("missing")
    assert snapshot(db_path) == before
    assert fingerprint(db_path.parent)["objects.db"] == database


def test_the_connection_is_read_only_inside_sqlite(db_path: Path) -> None:
    """Even a statement run past the store's checks is refused by SQLite itself (``mode=ro``), also for root."""
    fill(db_path)
    with SqliteStore(db_path, read_only=True) as store:
        assert store._connection is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._connection.execute("INSERT INTO objects VALUES ('sneaked', x'00')")
    assert "sneaked" not in dict(snapshot(db_path))


def test_a_read_only_store_sees_what_a_writer_commits(db_path: Path) -> None:
    fill(db_path)
    with SqliteStore(db_path, read_only=True) as reader, SqliteStore(db_path) as writer:
        assert not reader.exists("new")
        writer.put("new", b"fresh")
        assert reader.get("new") == b"fresh"


def test_a_seed_database_read_only_keeps_its_schema_and_journal(db_path: Path) -> None:
    fill_seed(db_path)
    schema = tables(db_path)
    with SqliteStore(db_path, read_only=True) as store:
        assert sorted(store.keys()) == ["a", "dir/b", "text"]
        info = store.stat("dir/b")
        assert (info.key, info.size, info.modified, info.etag) == ("dir/b", 2, None, None)
        assert store.stat("text").size == len(b"written as TEXT")
        assert store.get("text") == b"written as TEXT"
        assert store.get_range("dir/b", 1) == b"2"
        with store.open_read("a") as reader:
            assert reader.read() == b"1"
        with pytest.raises(ObjectNotFound):
            store.stat("missing")
    assert tables(db_path) == schema == ["objects", "sqlite_autoindex_objects_1"]
    connection = sqlite3.connect(db_path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()
    assert sorted(os.listdir(db_path.parent)) == ["objects.db"]


# Refusing writes ----------------------------------------------------------------------------

WRITES: dict[str, Callable[[SqliteStore], object]] = {
    "put": lambda store: store.put("top", b"new"),
    "put new key": lambda store: store.put("brand-new", b"new"),
    "put if_absent": lambda store: store.put("brand-new", b"new", if_absent=True),
    "put non-bytes": lambda store: store.put("top", "text"),
    "put_many": lambda store: store.put_many({"top": b"x", "y": b"y"}),
    "delete": lambda store: store.delete("top"),
    "delete missing": lambda store: store.delete("missing"),
    "delete_many": lambda store: store.delete_many(["top", "dir/a"]),
    "copy": lambda store: store.copy("top", "copied"),
    "rename": lambda store: store.rename("top", "renamed"),
    "open_write": lambda store: store.open_write("streamed"),
    "mapping set": lambda store: store.as_mapping().__setitem__("top", b"x"),
    "mapping delete": lambda store: store.as_mapping().__delitem__("top"),
}


@pytest.mark.parametrize("opened", [False, True], ids=["unopened", "opened"])
@pytest.mark.parametrize("operation", list(WRITES))
def test_every_write_is_refused_and_changes_nothing(db_path: Path, operation: str, opened: bool) -> None:
    fill(db_path)
    before = snapshot(db_path)
    database = fingerprint(db_path.parent)["objects.db"]
    store = SqliteStore(db_path, read_only=True)
    if opened:
        store.open()
    with pytest.raises(UnsupportedOperation) as caught:
        WRITES[operation](store)
    assert isinstance(caught.value, NotImplementedError)
    assert "read_only=True" in str(caught.value) and str(db_path) in str(caught.value)
    assert store.get("top") == OBJECTS["top"]
    store.close()
    assert snapshot(db_path) == before
    assert fingerprint(db_path.parent)["objects.db"] == database


def test_a_refusal_names_the_operation_and_the_key(db_path: Path) -> None:
    fill(db_path)
    with SqliteStore(db_path, read_only=True) as store, pytest.raises(UnsupportedOperation) as caught:
        store.delete("dir/a")
    assert (caught.value.operation, caught.value.key) == ("delete", "dir/a")
    assert not caught.value.retryable


def test_writes_after_close_say_closed(db_path: Path) -> None:
    fill(db_path)
    store = SqliteStore(db_path, read_only=True)
    store.open()
    store.close()
    for write in (WRITES["put"], WRITES["delete"], WRITES["put_many"]):
        with pytest.raises(StoreClosed):
            write(store)


def test_capabilities_say_neither_write_nor_delete(db_path: Path) -> None:
    read_only = SqliteStore(db_path, read_only=True).capabilities
    assert (read_only.read, read_only.listing, read_only.write, read_only.delete) == (True, True, False, False)
    assert read_only == SqliteStore.CAPABILITIES.replace(write=False, delete=False)
    assert SqliteStore(db_path).capabilities == SqliteStore.CAPABILITIES
    assert AsyncSqliteStore(db_path, read_only=True).capabilities == read_only
    assert not db_path.exists()  # asking opens nothing


# What a read-only store cannot open ---------------------------------------------------------


def test_a_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="does not exist") as caught:
        SqliteStore(path, read_only=True).open()
    assert type(caught.value) is StoreError and caught.value.operation == "open"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["other table", "empty file"])
def test_a_database_without_the_objects_table_is_an_error_and_stays_as_it_was(tmp_path: Path, content: str) -> None:
    path = tmp_path / "other.db"
    if content == "empty file":
        path.touch()
    else:
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE other (x)")
        connection.close()
    before = fingerprint(tmp_path)
    with pytest.raises(StoreError, match="no 'objects' table"):
        SqliteStore(path, read_only=True).get("k")
    assert fingerprint(tmp_path) == before


def test_a_file_that_is_not_a_database_is_an_integrity_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database, just some text that is long enough to hold a header" * 10)
    with pytest.raises(IntegrityError):
        SqliteStore(path, read_only=True).open()
    assert path.read_bytes().startswith(b"not a database")


def test_immutable_refuses_a_wal_file_holding_changes(db_path: Path) -> None:
    fill(db_path)
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("INSERT INTO objects VALUES ('pending', x'01')")  # stays in the -wal file while open
        assert (db_path.parent / "objects.db-wal").stat().st_size > 0
        with pytest.raises(StoreError, match="-wal file"):
            SqliteStore(db_path, read_only=True, immutable=True).open()
        with SqliteStore(db_path, read_only=True) as reader:  # without immutable, the -wal file is read
            assert reader.get("pending") == b"\x01"
    finally:
        writer.close()
    with SqliteStore(db_path, read_only=True, immutable=True) as store:
        assert store.get("pending") == b"\x01"


# Arguments and configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"read_only": "yes"}, "read_only must be True or False"),
        ({"read_only": 1}, "read_only must be True or False"),
        ({"read_only": True, "immutable": None}, "immutable must be True or False"),
        ({"immutable": True}, "pass read_only=True too"),
        ({"db_path": ":memory:", "read_only": True}, "needs a database file"),
    ],
)
def test_bad_arguments_are_config_errors(tmp_path: Path, arguments: dict[str, Any], message: str) -> None:
    arguments = {"db_path": tmp_path / "x.db", **arguments}
    for cls in (SqliteStore, AsyncSqliteStore):
        with pytest.raises(ConfigError, match=message):
            cls(**arguments)
    assert list(tmp_path.iterdir()) == []


def test_read_only_from_yaml(tmp_path: Path) -> None:
    fill(tmp_path / "objects.db")
    config = tmp_path / "storage.yaml"
    config.write_text(
        "stores:\n"
        "  db: {type: SqliteStore, config: {db_path: '${DIR}/objects.db', read_only: true}}\n"
        "  adb: {type: AsyncSqliteStore, config: {db_path: '${DIR}/objects.db', read_only: true, immutable: true}}\n"
        "main: db\n",
        encoding="utf-8",
    )
    with load_store(config, environ={"DIR": str(tmp_path)}) as store:
        assert isinstance(store, SqliteStore) and store.read_only
        assert store.get("top") == OBJECTS["top"]
        with pytest.raises(UnsupportedOperation):
            store.put("top", b"x")
    built = load_store(config, "adb", environ={"DIR": str(tmp_path)})
    assert isinstance(built, AsyncSqliteStore) and not built.capabilities.write
    inner = built.sync_store
    assert isinstance(inner, SqliteStore) and inner.immutable


def test_the_flag_can_come_from_the_environment(tmp_path: Path) -> None:
    fill(tmp_path / "x.db")
    config = {
        "stores": {"db": {"type": "SqliteStore", "config": {"db_path": str(tmp_path / "x.db"), "read_only": "${RO}"}}},
        "main": "db",
    }
    assert load_store(config, environ={"RO": "true"}).capabilities.write is False
    assert load_store(config, environ={"RO": "false"}).capabilities.write is True
    with pytest.raises(ConfigError, match=r"'db'.*read_only"):
        load_store(config, environ={"RO": "maybe"})


def test_the_loader_refuses_writing_through_a_read_only_database(tmp_path: Path) -> None:
    pytest.importorskip("storage.utils")
    config = {
        "stores": {
            "db": {"type": "SqliteStore", "config": {"db_path": str(tmp_path / "x.db"), "read_only": True}},
            "sink": {"type": "WriteonlyStore", "base": "db"},
        },
        "main": "sink",
    }
    with pytest.raises(ConfigError, match="write"):
        load_store(config)
    assert list(tmp_path.iterdir()) == []


def test_repr_and_pickle_keep_the_flags(db_path: Path) -> None:
    fill(db_path)
    store = SqliteStore(db_path, read_only=True, immutable=True)
    assert repr(store) == f"SqliteStore({str(db_path)!r}, read_only=True, immutable=True)"
    assert repr(SqliteStore(db_path, read_only=True)) == f"SqliteStore({str(db_path)!r}, read_only=True)"
    assert store.get("top") == OBJECTS["top"]
    clone = pickle.loads(pickle.dumps(store))
    store.close()
    with clone:
        assert (clone.read_only, clone.immutable) == (True, True)
        assert clone.get("dir/a") == b"a"
        with pytest.raises(UnsupportedOperation):
            clone.put("dir/a", b"x")


# The async twin -----------------------------------------------------------------------------


def test_the_async_twin_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "seed.db"
    fill_seed(path)
    before = snapshot(path)

    async def scenario() -> None:
        async with AsyncSqliteStore(path, read_only=True) as store:
            assert await store.get("a") == b"1"
            assert [key async for key in store.keys("dir/")] == ["dir/b"]
            info = await store.stat("dir/b")
            assert (info.size, info.modified, info.etag) == (2, None, None)
            refused: list[Any] = [
                store.put("a", b"x"), store.delete("a"), store.put_many({"b": b"2"}), store.delete_many(["a"]),
                store.copy("a", "b"), store.rename("a", "b"), store.open_write("b"),
            ]
            for call in refused:
                with pytest.raises(UnsupportedOperation):
                    await call

    asyncio.run(scenario())
    assert snapshot(path) == before
    assert tables(path) == ["objects", "sqlite_autoindex_objects_1"]


def test_the_async_twin_reports_a_missing_database(tmp_path: Path) -> None:
    async def scenario() -> None:
        with pytest.raises(StoreError, match="does not exist"):
            await AsyncSqliteStore(tmp_path / "missing.db", read_only=True).get("k")

    asyncio.run(scenario())
    assert list(tmp_path.iterdir()) == []


# Real permissions: a file and a directory this process may not write ----------------------


def test_a_file_without_write_permission(shared_dir: Path) -> None:
    path = shared_dir / "objects.db"
    fill(path)
    shared_dir.chmod(0o777)  # the directory stays writable: only the file is protected
    path.chmod(0o444)
    before = fingerprint(shared_dir)
    with unprivileged():
        with pytest.raises(PermissionDenied) as caught:
            SqliteStore(path).open()
        assert isinstance(caught.value, PermissionError) and not caught.value.retryable
        assert "read_only=True" in str(caught.value)
        assert fingerprint(shared_dir) == before
        with SqliteStore(path, read_only=True) as store:
            assert store.get("top") == OBJECTS["top"]
            assert store.stat("dir/a").etag is not None
            with pytest.raises(UnsupportedOperation):
                store.put("top", b"x")
    # A WAL reader may leave SQLite's -wal and -shm files beside the database: the database is untouched.
    assert fingerprint(shared_dir)["objects.db"] == before["objects.db"]


def test_a_directory_without_write_permission(shared_dir: Path) -> None:
    wal, seed = shared_dir / "wal" / "objects.db", shared_dir / "seed" / "objects.db"
    for path in (wal, seed):
        path.parent.mkdir()
        path.parent.chmod(0o777)
    fill(wal)
    fill_seed(seed)
    for path in (wal, seed):
        path.chmod(0o666)  # the file could be written, but SQLite cannot create its journal beside it
        path.parent.chmod(0o555)
    before = {path: fingerprint(path.parent) for path in (wal, seed)}
    try:
        with unprivileged():
            for path in (wal, seed):
                with pytest.raises(PermissionDenied, match="read_only=True"):
                    SqliteStore(path).open()
            with pytest.raises(PermissionDenied, match="immutable=True"):
                SqliteStore(wal, read_only=True).open()  # a WAL reader needs a -shm file it cannot create
            with SqliteStore(wal, read_only=True, immutable=True) as store:
                assert list(store.keys()) == sorted(OBJECTS)
                assert store.stat("top").size == 10
            with SqliteStore(seed, read_only=True) as store:  # a rollback-journal database needs no side file
                assert store.get("dir/b") == b"22"
                assert store.stat("dir/b").modified is None
    finally:
        for path in (wal, seed):
            path.parent.chmod(0o755)
    assert {path: fingerprint(path.parent) for path in (wal, seed)} == before

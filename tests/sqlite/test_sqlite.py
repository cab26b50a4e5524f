"""SqliteStore beyond the conformance kit: the seed's schema, range scans, transactions, errors."""

from __future__ import annotations

import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.sqlite._helpers import snapshot, traced

from storage.db import BATCH, SqliteStore, prefix_upper_bound
from storage.errors import (
    IntegrityError,
    InvalidKey,
    InvalidValue,
    ObjectNotFound,
    StoreError,
    StoreUnavailable,
)

SEED_SCHEMA = "CREATE TABLE objects (key TEXT PRIMARY KEY, data BLOB)"


# The seed's usage and schema ---------------------------------------------------------------


def test_seed_database_opens_reads_and_stays_seed_readable(db_path: Path) -> None:
    with sqlite3.connect(db_path) as seed:
        seed.execute(SEED_SCHEMA)
        seed.executemany("INSERT INTO objects VALUES (?, ?)", [("a", b"1"), ("dir/b", b"2")])
    seed.close()
    with SqliteStore(db_path) as store:
        assert store.get("a") == b"1"
        assert sorted(store.keys()) == ["a", "dir/b"]
        store.put("a", b"changed")
        store.put("new", b"3")
        store.delete("dir/b")
    with sqlite3.connect(db_path) as seed:
        tables = seed.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        rows = seed.execute("SELECT key, data FROM objects ORDER BY key").fetchall()
    seed.close()
    assert tables[0] == ("objects", SEED_SCHEMA)
    assert [name for name, _ in tables] == ["objects", "objects_meta"]
    assert rows == [("a", b"changed"), ("new", b"3")]


def test_new_database_has_the_seed_schema(db_path: Path) -> None:
    with SqliteStore(db_path) as store:
        store.put("k", b"v")
    with sqlite3.connect(db_path) as seed:
        assert seed.execute("SELECT key, data FROM objects").fetchall() == [("k", b"v")]
        assert seed.execute("PRAGMA table_info(objects)").fetchall() == [
            (0, "key", "TEXT", 0, None, 1),
            (1, "data", "BLOB", 0, None, 0),
        ]
    seed.close()


def test_lazy_use_without_with(db_path: Path) -> None:
    store = SqliteStore(str(db_path))
    store.put("k", b"v")
    assert store.get("k") == b"v"
    store.close()
    assert SqliteStore(db_path).get("k") == b"v"


def test_file_databases_use_wal(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"v")
    with sqlite3.connect(db_path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_memory_databases_are_private_and_end_with_close() -> None:
    first, second = SqliteStore(":memory:"), SqliteStore()
    first.put("k", b"v")
    assert not second.exists("k")
    first.close()
    first.open()
    assert not first.exists("k")
    first.close()
    second.close()


def test_pickles_configuration_and_reopens(store: SqliteStore) -> None:
    store.put("k", b"v")
    data = pickle.dumps(store)
    assert b"sqlite3" not in data
    clone = pickle.loads(data)
    assert clone.get("k") == b"v"
    clone.close()


def test_repr_and_messages_name_the_database(store: SqliteStore, db_path: Path) -> None:
    assert repr(store) == f"SqliteStore({str(db_path)!r})"
    with pytest.raises(ObjectNotFound) as caught:
        store.get("missing")
    assert str(db_path) in str(caught.value) and "get" in str(caught.value) and "missing" in str(caught.value)


# Listing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [
        ("", None),
        ("abc", "abd"),
        ("a/", "a0"),
        ("a\U0010ffff", "b"),
        ("a\U0010ffff\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("x\ud7ff", "x\ue000"),
        ("\x00", "\x01"),
    ],
)
def test_prefix_upper_bound(prefix: str, bound: Any) -> None:
    assert prefix_upper_bound(prefix) == bound


def test_keys_with_prefixes_at_the_top_of_unicode(store: SqliteStore) -> None:
    keys = ["a", "a\U0010fffe", "a\U0010ffff", "a\U0010ffff/z", "a\U0010ffff\U0010ffff", "b", "\U0010ffff"]
    store.put_many({key: b"v" for key in keys})
    assert list(store.keys("a\U0010ffff")) == ["a\U0010ffff", "a\U0010ffff/z", "a\U0010ffff\U0010ffff"]
    assert list(store.keys("\U0010ffff")) == ["\U0010ffff"]
    assert list(store.keys("a")) == sorted(key for key in keys if key.startswith("a"))


def test_keys_with_nul_characters(store: SqliteStore) -> None:
    store.put_many({"a\x00b": b"1", "a\x00": b"2", "a": b"3", "a\x01": b"4"})
    assert store.get("a\x00b") == b"1"
    assert list(store.keys("a\x00")) == ["a\x00", "a\x00b"]


def test_keys_are_range_scans_of_the_index(store: SqliteStore, db_path: Path) -> None:
    store.put_many({f"p/{i}": b"v" for i in range(10)})
    statements = traced(store)
    assert len(list(store.keys("p/"))) == 10
    assert len(list(store.keys())) == 10
    selects = [s for s in statements if s.startswith("SELECT key FROM objects")]
    assert len(selects) == 2
    with sqlite3.connect(db_path) as other:
        for statement in selects:
            assert "LIKE" not in statement.upper()
            plan = " ".join(row[-1] for row in other.execute(f"EXPLAIN QUERY PLAN {statement}"))
            assert plan.startswith("SEARCH objects USING") and "INDEX" in plan and "(key>?" in plan, plan
    other.close()


def test_keys_in_batches_see_changes_during_iteration(store: SqliteStore) -> None:
    count = 2 * BATCH + 7
    store.put_many({f"k/{i:05d}": b"v" for i in range(count)})
    listed = []
    for key in store.keys("k/"):
        listed.append(key)
        store.delete(key)
    assert listed == [f"k/{i:05d}" for i in range(count)]
    assert list(store.keys()) == []


# Batches in one transaction ----------------------------------------------------------------


def test_batches_run_in_one_transaction_each(store: SqliteStore) -> None:
    statements = traced(store)
    store.put_many({f"b/{i}": b"v" for i in range(BATCH + 10)})
    assert len(store.get_many([f"b/{i}" for i in range(BATCH + 10)] + ["missing"])) == BATCH + 10
    store.delete_many([f"b/{i}" for i in range(BATCH + 10)] + ["missing"])
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE", "COMMIT", "BEGIN DEFERRED", "COMMIT", "BEGIN IMMEDIATE", "COMMIT",
    ]
    assert list(store.keys()) == []


def test_get_many_keeps_requested_order_and_skips_duplicates(store: SqliteStore) -> None:
    store.put_many([("b", b"2"), ("a", b"1")])
    assert list(store.get_many(["b", "missing", "a", "b"]).items()) == [("b", b"2"), ("a", b"1")]


class _Key(str):
    """A str subclass, which the batch checks rather than binding it as it is."""


def test_put_many_takes_every_bytes_like_value_and_str_subclass_keys(store: SqliteStore) -> None:
    values = {"plain": b"1", "array": bytearray(b"2"), "view": memoryview(b"x3x")[1:2], _Key("sub"): b"4"}
    store.put_many(values)
    stored = store.get_many(["plain", "array", "view", "sub"])
    assert stored == {"plain": b"1", "array": b"2", "view": b"3", "sub": b"4"}
    assert [type(key) for key in store.keys()] == [str] * 4


def test_put_many_failing_midway_writes_nothing(store: SqliteStore, db_path: Path) -> None:
    store.put("keep", b"old")
    with sqlite3.connect(db_path) as other:
        other.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON objects WHEN NEW.key = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
        )
    other.close()
    with pytest.raises(StoreError) as caught:
        store.put_many({"first": b"1", "keep": b"new", "boom": b"x", "last": b"2"})
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert "put_many" in str(caught.value)
    assert snapshot(db_path) == [("keep", b"old")]
    store.put("after", b"ok")
    assert store.get("after") == b"ok"


# Bad input changes nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.put("bad\ud800", b"v"),
        lambda s: s.get("bad\ud800"),
        lambda s: s.exists("bad\ud800"),
        lambda s: s.delete("bad\ud800"),
        lambda s: list(s.keys("bad\ud800")),
        lambda s: s.put_many({"fine": b"v", "bad\ud800": b"v"}),
        lambda s: s.get_many(["fine", "bad\ud800"]),
        lambda s: s.delete_many(["fine", "bad\ud800"]),
        lambda s: s.put_many({"fine": b"v", "": b"v"}),
        lambda s: list(s.keys(5)),
    ],
)
def test_invalid_keys_change_nothing(store: SqliteStore, db_path: Path, call: Any) -> None:
    store.put("fine", b"old")
    with pytest.raises(InvalidKey):
        call(store)
    assert snapshot(db_path) == [("fine", b"old")]


@pytest.mark.parametrize("value", ["text", 3, None, [1, 2]])
def test_non_bytes_in_a_batch_changes_nothing(store: SqliteStore, db_path: Path, value: Any) -> None:
    store.put("fine", b"old")
    with pytest.raises(InvalidValue):
        store.put_many([("fine", b"new"), ("other", b"x"), ("bad", value)])
    assert snapshot(db_path) == [("fine", b"old")]


# Backend errors become typed errors --------------------------------------------------------


def test_corrupt_file_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all" * 200)
    store = SqliteStore(path)
    for _ in range(2):
        with pytest.raises(IntegrityError) as caught:
            store.get("k")
        assert isinstance(caught.value, StoreError)
        assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
        assert str(path) in str(caught.value)
    store.close()
    assert path.read_bytes() == b"this is not a database at all" * 200


def test_unopenable_path_is_a_typed_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "missing-dir" / "x.db")
    with pytest.raises(StoreError) as caught:
        store.put("k", b"v")
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert "open" in str(caught.value)


def test_locked_database_is_retryable(db_path: Path) -> None:
    SqliteStore(db_path).put("k", b"v")
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store = SqliteStore(db_path, timeout=0.01)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.put("k", b"new")
        assert caught.value.retryable
        assert "put" in str(caught.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.get("k") == b"v"
    store.close()


# Threads -----------------------------------------------------------------------------------


def test_threads_share_one_store(store: SqliteStore) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(100):
                store.put(f"t{worker}/{i}", str(i).encode())
                assert store.get(f"t{worker}/{i}") == str(i).encode()
                if i % 10 == 0:
                    store.put_many({f"t{worker}/batch/{i}/{j}": b"b" for j in range(5)})
                    list(store.keys(f"t{worker}/"))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(list(store.keys())) == 8 * (100 + 10 * 5)

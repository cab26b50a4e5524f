"""SqliteStore's native stat, get_range, copy, rename, put(if_absent), list_dir and streaming."""

from __future__ import annotations

import datetime
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.sqlite._helpers import snapshot, traced

import storage.db
from storage._dbblob import BLOB_IO, BlobReader
from storage.db import SqliteStore
from storage.errors import AlreadyExists, IntegrityError, InvalidKey, InvalidRange, ObjectNotFound, StoreError
from storage.metadata import ListResult, ObjectInfo


def written(statements: list[str]) -> list[str]:
    """The statements that are not reads, each once (SQLite traces it again for each trigger it fires)."""
    kept = [s for s in statements if not s.startswith(("SELECT", "PRAGMA"))]
    return [s for i, s in enumerate(kept) if i == 0 or kept[i - 1] != s]


def test_capabilities_are_native(store: SqliteStore) -> None:
    flags = store.capabilities
    assert flags.native_range and flags.native_conditional_write and flags.native_copy and flags.native_metadata


# stat ----------------------------------------------------------------------------------------


def test_stat_reads_the_length_not_the_data(store: SqliteStore) -> None:
    store.put("big", b"x" * 100_000)
    statements = traced(store)
    before = datetime.datetime.now(datetime.timezone.utc)
    info = store.stat("big")
    assert info.size == 100_000 and info.key == "big"
    assert info.modified is not None and info.modified.tzinfo is not None
    assert abs(info.modified - before) < datetime.timedelta(minutes=5)
    assert info.etag is not None and len(info.etag) == 16
    assert [s for s in statements if "objects" in s] == [statements[-1]]
    assert "length(o.data)" in statements[-1] and "SELECT data" not in statements[-1]


def test_etag_changes_on_every_write_and_rename_keeps_it(store: SqliteStore) -> None:
    store.put("a", b"same")
    first = store.stat("a")
    store.put("a", b"same")
    second = store.stat("a")
    assert first.etag != second.etag
    store.rename("a", "b")
    moved = store.stat("b")
    assert (moved.modified, moved.etag) == (second.modified, second.etag)
    store.copy("b", "c")
    assert store.stat("c").etag != moved.etag


def test_objects_from_before_the_side_table_have_no_time(db_path: Path) -> None:
    with sqlite3.connect(db_path) as seed:
        seed.execute("CREATE TABLE objects (key TEXT PRIMARY KEY, data BLOB)")
        seed.execute("INSERT INTO objects VALUES ('legacy', x'0102')")
    seed.close()
    with SqliteStore(db_path) as store:
        assert store.stat("legacy") == ObjectInfo("legacy", 2, None, None)


def test_values_other_clients_wrote_as_text_or_numbers_read_as_sqlite_bytes(store: SqliteStore, db_path: Path) -> None:
    store.put("blob", b"ok")
    with sqlite3.connect(db_path) as other:
        other.executemany(
            "INSERT INTO objects VALUES (?, ?)", [("text", "h\u00e9llo"), ("int", 42), ("real", 0.5), ("null", None)]
        )
    other.close()
    expected = {"text": "h\u00e9llo".encode(), "int": b"42", "real": b"0.5"}
    for key, value in expected.items():
        assert store.get(key) == value
        assert store.get_range(key, 1, 3) == value[1:3]
        assert store.stat(key).size == len(value)
        with store.open_read(key) as reader:
            assert reader.read() == value
    assert store.get_many([*expected, "blob"]) == {**expected, "blob": b"ok"}
    for read in (store.get, lambda key: store.get_range(key, 0, 1), lambda key: store.get_many([key]), store.open_read):
        with pytest.raises(IntegrityError, match="NULL"):
            read("null")
    assert store.stat("null").size is None and store.exists("null")


def test_writes_by_the_seed_keep_the_side_table_current(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"ours")
    ours = store.stat("k")
    with sqlite3.connect(db_path) as seed:
        seed.execute("INSERT OR REPLACE INTO objects (key, data) VALUES ('k', x'00')")
        seed.execute("INSERT INTO objects (key, data) VALUES ('seed', x'00')")
    seed.close()
    assert store.stat("k").etag != ours.etag
    assert store.stat("seed").modified is not None
    store.delete("seed")
    with sqlite3.connect(db_path) as check:
        assert check.execute("SELECT key FROM objects_meta").fetchall() == [("k",)]
    check.close()


#: The side table and insert trigger as earlier versions created them: a rowid table, lower(hex()) etags.
EARLIER_SIDE_TABLE = (
    "CREATE TABLE objects (key TEXT PRIMARY KEY, data BLOB)",
    "CREATE TABLE objects_meta (key TEXT PRIMARY KEY, modified REAL NOT NULL, etag TEXT NOT NULL)",
    "CREATE TRIGGER objects_meta_insert AFTER INSERT ON objects BEGIN INSERT OR REPLACE INTO objects_meta "
    "(key, modified, etag) VALUES (new.key, (julianday('now') - 2440587.5) * 86400.0, lower(hex(randomblob(8)))); END",
)


def test_new_side_table_is_one_b_tree_with_hex_etags(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"v")
    with sqlite3.connect(db_path) as check:
        (sql,) = check.execute("SELECT sql FROM sqlite_master WHERE name = 'objects_meta'").fetchone()
        indexes = check.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'objects_meta' AND type = 'index'")
        assert sql.endswith("WITHOUT ROWID") and indexes.fetchall() == []
    check.close()
    etags = set()
    for _ in range(50):
        store.put("k", b"v")
        etag = store.stat("k").etag
        assert etag is not None and re.fullmatch("[0-9a-f]{16}", etag)
        etags.add(etag)
    assert len(etags) == 50


def test_earlier_rowid_side_table_keeps_working(db_path: Path) -> None:
    with sqlite3.connect(db_path) as earlier:
        for statement in EARLIER_SIDE_TABLE:
            earlier.execute(statement)
        earlier.execute("INSERT INTO objects VALUES ('old', x'01')")
    earlier.close()
    with SqliteStore(db_path) as store:
        old = store.stat("old")
        assert old.modified is not None and old.etag is not None
        store.put("old", b"new")
        assert store.stat("old").etag != old.etag
        store.put("other", b"o", if_absent=True)
        store.rename("other", "moved")
        store.delete("old")
        assert store.stat("moved").etag is not None
    with sqlite3.connect(db_path) as check:
        assert check.execute("SELECT sql FROM sqlite_master WHERE name = 'objects_meta'").fetchone()[0] == (
            EARLIER_SIDE_TABLE[1]
        )
        assert check.execute("SELECT key FROM objects_meta").fetchall() == [("moved",)]
    check.close()


# put -------------------------------------------------------------------------------------------


def test_put_is_one_statement_and_its_own_transaction(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"old")
    statements = traced(store)
    store.put("k", b"new")
    assert set(statements) == {"INSERT OR REPLACE INTO objects (key, data) VALUES ('k', x'6e6577')"}
    assert store._connection is not None and not store._connection.in_transaction
    with sqlite3.connect(db_path) as other:
        assert other.execute("SELECT data FROM objects WHERE key = 'k'").fetchone() == (b"new",)
    other.close()


def test_put_refused_by_a_trigger_changes_nothing(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"old")
    before = store.stat("k")
    with sqlite3.connect(db_path) as other:
        other.execute(
            "CREATE TRIGGER refuse AFTER INSERT ON objects WHEN new.data = x'00' "
            "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
        )
    other.close()
    for if_absent in (False, True):
        with pytest.raises(StoreError) as caught:
            store.put("k" if not if_absent else "fresh", b"\x00", if_absent=if_absent)
        assert isinstance(caught.value.__cause__, sqlite3.Error)
        assert not isinstance(caught.value, AlreadyExists) and "refused by trigger" in str(caught.value)
    assert store.get("k") == b"old" and store.stat("k") == before and not store.exists("fresh")
    store.put("k", b"after")
    assert store.get("k") == b"after"


def test_failed_commit_is_rolled_back_and_later_puts_commit(store: SqliteStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as other:
        other.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
        other.execute("CREATE TABLE child (id TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
        other.execute(
            "CREATE TRIGGER orphan AFTER INSERT ON objects WHEN new.key = 'bad' "
            "BEGIN INSERT INTO child VALUES ('missing'); END"
        )
    other.close()
    assert store._connection is not None
    store._connection.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(StoreError) as caught:
        store.put_many({"bad": b"x", "good": b"y"})
    assert "FOREIGN KEY" in str(caught.value)
    assert not store._connection.in_transaction
    store.put("after", b"z")
    assert snapshot(db_path) == [("after", b"z")]


def test_put_waits_for_another_writer(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"old")
    blocker = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO objects VALUES ('blocker', x'01')")
    release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    store.put("k", b"new")
    assert time.monotonic() - started >= 0.2
    release.join()
    blocker.close()
    assert store.get("k") == b"new" and store.get("blocker") == b"\x01"


# get_range -------------------------------------------------------------------------------------


def test_get_range_is_cut_by_substr(store: SqliteStore) -> None:
    data = os.urandom(50_000)
    store.put("r", data)
    statements = traced(store)
    assert store.get_range("r", 1000, 1010) == data[1000:1010]
    assert store.get_range("r", 49_990) == data[49_990:]
    assert statements == [
        "SELECT substr(CAST(data AS BLOB), 1001, 10), data IS NULL FROM objects WHERE key = 'r'",
        "SELECT substr(CAST(data AS BLOB), 49991, 2147433657), data IS NULL FROM objects WHERE key = 'r'",
    ]


@pytest.mark.parametrize(
    ("start", "end"), [(2**31, None), (2**40, 2**41), (3, 2**40), (0, 2**63 + 5), (2**31 - 2, None)]
)
def test_get_range_with_huge_offsets(store: SqliteStore, start: int, end: Any) -> None:
    store.put("r", b"0123456789")
    assert store.get_range("r", start, end) == b"0123456789"[start:end]


# copy, rename, put(if_absent) -----------------------------------------------------------------


def test_copy_is_one_statement(store: SqliteStore) -> None:
    store.put_many({"src": b"data", "dst": b"old"})
    statements = traced(store)
    store.copy("src", "dst")
    assert written(statements) == [
        "BEGIN IMMEDIATE",
        "INSERT OR REPLACE INTO objects (key, data) SELECT 'dst', data FROM objects WHERE key = 'src'",
        "COMMIT",
    ]
    assert store.get("dst") == b"data"


def test_rename_is_one_update_replacing_the_target(store: SqliteStore, db_path: Path) -> None:
    store.put_many({"src": b"data", "dst": b"old", "other": b"o"})
    statements = traced(store)
    store.rename("src", "dst")
    assert written(statements)[1:] == ["UPDATE OR REPLACE objects SET key = 'dst' WHERE key = 'src'", "COMMIT"]
    assert snapshot(db_path) == [("dst", b"data"), ("other", b"o")]
    with sqlite3.connect(db_path) as check:
        meta = check.execute("SELECT key FROM objects_meta ORDER BY key").fetchall()
    check.close()
    assert meta == [("dst",), ("other",)]


def test_copy_and_rename_of_a_missing_key_change_nothing(store: SqliteStore, db_path: Path) -> None:
    store.put("kept", b"v")
    for call in (store.copy, store.rename):
        with pytest.raises(ObjectNotFound) as caught:
            call("missing", "kept")
        assert "missing" in str(caught.value)
    assert snapshot(db_path) == [("kept", b"v")]


def test_put_if_absent_is_a_plain_insert(store: SqliteStore) -> None:
    statements = traced(store)
    store.put("k", b"first", if_absent=True)
    with pytest.raises(AlreadyExists) as caught:
        store.put("k", b"second", if_absent=True)
    assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
    assert "k" in str(caught.value) and "put" in str(caught.value)
    assert store.get("k") == b"first"
    assert written(statements) == [
        "INSERT INTO objects (key, data) VALUES ('k', x'6669727374')",
        "INSERT INTO objects (key, data) VALUES ('k', x'7365636f6e64')",
    ]
    assert store._connection is not None and not store._connection.in_transaction


RACER = textwrap.dedent(
    """
    import sys
    from storage.db import SqliteStore
    from storage.errors import AlreadyExists
    store = SqliteStore(sys.argv[1])
    store.open()
    sys.stdin.readline()
    for i in range(300):
        try:
            store.put(f"race/{i}", sys.argv[2].encode(), if_absent=True)
        except AlreadyExists:
            continue
        print(i, flush=True)
    store.close()
    """
)


def test_put_if_absent_across_processes_has_one_winner_per_key(db_path: Path) -> None:
    with SqliteStore(db_path):
        pass
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(db_path), name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("one", "two")
    ]
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    won = []
    for racer in racers:
        out, err = racer.communicate()
        assert racer.returncode == 0, err
        won.append({int(line) for line in out.split()})
    assert not won[0] & won[1]
    assert won[0] | won[1] == set(range(300))
    with SqliteStore(db_path) as store:
        for name, keys in zip(("one", "two"), won):
            assert all(store.get(f"race/{i}") == name.encode() for i in keys)


# list_dir ------------------------------------------------------------------------------------


def instructions(store: SqliteStore, prefix: str) -> int:
    """How many SQLite VM instructions ``list_dir(prefix)`` runs."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    assert store._connection is not None
    store._connection.set_progress_handler(tick, 1)
    try:
        store.list_dir(prefix)
    finally:
        store._connection.set_progress_handler(None, 1)
    return count[0]


def test_list_dir_skips_the_keys_below_each_sub_prefix(tmp_path: Path) -> None:
    costs = []
    for size in (5, 5000):
        with SqliteStore(tmp_path / f"{size}.db") as store:
            store.put_many({"top/a": b"", "top/z": b"", "x": b""})
            store.put_many({f"top/deep/{i:05d}": b"" for i in range(size)})
            store.put_many({f"top/other/{i:05d}/leaf": b"" for i in range(size)})
            listing = store.list_dir("top/")
            assert (listing.keys, listing.prefixes) == (["top/a", "top/z"], ["top/deep/", "top/other/"])
            costs.append(instructions(store, "top/"))
    assert costs[1] < costs[0] + 50


def test_list_dir_scans_use_the_index(store: SqliteStore, db_path: Path) -> None:
    store.put_many({"d/a": b"", "d/s/1": b"", "d/t": b"", "e": b""})
    statements = traced(store)
    store.list_dir("d/")
    store.list_dir()
    selects = [s for s in statements if s.startswith("SELECT key FROM objects")]
    assert len(selects) == 4
    with sqlite3.connect(db_path) as other:
        for statement in selects:
            plan = " ".join(row[-1] for row in other.execute(f"EXPLAIN QUERY PLAN {statement}"))
            assert plan.startswith("SEARCH objects USING COVERING INDEX") and "(key>?" in plan, plan
    other.close()


def test_list_dir_with_odd_keys(store: SqliteStore) -> None:
    keys = ["a//b", "a/", "a/\x00", "a/\x00/x", "a/\U0010ffff/y", "a/\U0010ffff", "\U0010ffff/z", "b/c"]
    store.put_many({key: b"" for key in keys})
    expected = ListResult(["a/", "a/\x00", "a/\U0010ffff"], ["a/\x00/", "a//", "a/\U0010ffff/"])
    assert store.list_dir("a/") == expected
    assert store.list_dir("\U0010ffff") == ListResult([], ["\U0010ffff/"])
    assert store.list_dir() == ListResult([], ["a/", "b/", "\U0010ffff/"])


# Streaming -----------------------------------------------------------------------------------


@pytest.mark.skipif(not BLOB_IO, reason="Connection.blobopen needs Python 3.11")
def test_open_read_streams_from_a_snapshot(store: SqliteStore, db_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024)
    store.put("big", data)
    with store.open_read("big") as reader:
        assert isinstance(reader, BlobReader)
        head = reader.read(1024)
        store.put("big", b"replaced")
        other = SqliteStore(db_path)
        other.put("written/elsewhere", b"v")
        other.close()
        store.put("after", b"a")
        assert reader.seek(-10, os.SEEK_END) == len(data) - 10
        tail = reader.read()
        reader.seek(1024)
        middle = reader.read(2 * 1024 * 1024)
    assert head + middle == data[: 1024 + 2 * 1024 * 1024]
    assert tail == data[-10:]
    assert store.get("big") == b"replaced" and store.get("written/elsewhere") == b"v"


@pytest.mark.skipif(not BLOB_IO, reason="Connection.blobopen needs Python 3.11")
def test_open_write_fills_a_zeroblob_in_one_transaction(store: SqliteStore, db_path: Path) -> None:
    statements = traced(store)
    with store.open_write("w") as writer:
        for _ in range(3):
            writer.write(b"z" * 1_000_000)
    assert store.get("w") == b"z" * 3_000_000
    assert written(statements) == [
        "BEGIN IMMEDIATE",
        "INSERT OR REPLACE INTO objects (key, data) VALUES ('w', zeroblob(3000000))",
        "COMMIT",
    ]
    assert [name for name in os.listdir(db_path.parent) if not name.startswith("objects.db")] == []


def test_fallback_without_blob_io(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage.db, "BLOB_IO", False)
    with store.open_write("w") as writer:
        writer.write(b"abc")
        writer.write(b"def")
    with store.open_read("w") as reader:
        assert not isinstance(reader, BlobReader)
        assert reader.read() == b"abcdef"


def test_discarded_writer_leaves_nothing(store: SqliteStore, db_path: Path) -> None:
    store.put("k", b"old")
    writer = store.open_write("k")
    writer.write(b"new")
    writer.discard()  # type: ignore[attr-defined]
    assert snapshot(db_path) == [("k", b"old")]
    assert sorted(os.listdir(db_path.parent))[0].startswith("objects.db")
    assert all(name.startswith("objects.db") for name in os.listdir(db_path.parent))


def test_in_memory_database_streams_through_memory() -> None:
    with SqliteStore() as store:
        with store.open_write("k") as writer:
            writer.write(b"in memory")
        with store.open_read("k") as reader:
            assert reader.read() == b"in memory"


@pytest.mark.skipif(not BLOB_IO, reason="Connection.blobopen needs Python 3.11")
def test_reader_errors_are_typed(store: SqliteStore) -> None:
    store.put("k", b"0123")
    reader = store.open_read("k")
    assert reader.seek(100) == 100 and reader.read() == b"" and reader.tell() == 100
    assert reader.seek(-2, os.SEEK_END) == 2 and reader.read(10) == b"23"
    with pytest.raises(ValueError):
        reader.seek(-1)
    reader._connection.close()  # type: ignore[attr-defined]
    with pytest.raises(StoreError) as caught:
        reader.read(1)
    assert isinstance(caught.value.__cause__, sqlite3.Error)
    assert "open_read" in str(caught.value) and "k" in str(caught.value)
    reader.close()
    reader.close()


# Bad input changes nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.stat("bad\ud800"),
        lambda s: s.get_range("bad\ud800", 0),
        lambda s: s.copy("fine", "bad\ud800"),
        lambda s: s.copy("", "x"),
        lambda s: s.rename("fine", "bad\ud800"),
        lambda s: s.rename(None, "x"),
        lambda s: s.put("bad\ud800", b"v", if_absent=True),
        lambda s: s.list_dir("bad\ud800"),
        lambda s: s.list_dir(5),
        lambda s: s.open_read("bad\ud800"),
        lambda s: s.open_write("bad\ud800"),
    ],
)
def test_invalid_keys_change_nothing(store: SqliteStore, db_path: Path, call: Any) -> None:
    store.put("fine", b"old")
    with pytest.raises(InvalidKey):
        call(store)
    assert snapshot(db_path) == [("fine", b"old")]


def test_bad_ranges_are_refused_before_reading(store: SqliteStore) -> None:
    store.put("k", b"v")
    statements = traced(store)
    for start, end in [(-1, None), (3, 2), (True, None)]:
        with pytest.raises(InvalidRange):
            store.get_range("k", start, end)
    assert statements == []

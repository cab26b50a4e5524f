"""SQLite: SqliteStore against raw sqlite3 in WAL mode with synchronous=NORMAL (diskcache as the peer)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any, Callable, List, Optional

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Subject, Target, compare, timed

GROUP = "sqlite"
OBJECT = os.urandom(1024)
PUT_SQL = "INSERT OR REPLACE INTO objects (key, data) VALUES (?, ?)"
GET_SQL = "SELECT data FROM objects WHERE key = ?"
RANGE_SQL = "SELECT key FROM objects WHERE key >= ? AND key < ? ORDER BY key"
ALL_SQL = "SELECT key FROM objects ORDER BY key"


def raw_connection(path: str) -> sqlite3.Connection:
    """The raw baseline: autocommit, WAL, synchronous=NORMAL, the seed's table."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, data BLOB)")
    return connection


class Subjects:
    """A raw connection, our store and (if installed) a diskcache Cache, each on its own file."""

    def __init__(self, context: Context) -> None:
        from storage.db import SqliteStore

        self.raw = raw_connection(str(context.directory("raw") / "raw.db"))
        self.store_path = str(context.directory("ours") / "store.db")
        self.store = SqliteStore(self.store_path)
        self.store.open()
        diskcache = context.peer(GROUP, "diskcache", "diskcache Cache")
        self.cache: Any = None if diskcache is None else diskcache.Cache(str(context.directory("diskcache")))

    def raw_put(self, key: str, data: bytes) -> None:
        self.raw.execute(PUT_SQL, (key, data))

    def raw_get(self, key: str) -> bytes:
        row = self.raw.execute(GET_SQL, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def raw_put_many(self, rows: List[tuple[str, bytes]]) -> None:
        self.raw.execute("BEGIN IMMEDIATE")
        self.raw.executemany(PUT_SQL, rows)
        self.raw.execute("COMMIT")

    def raw_keys(self, prefix: str) -> List[str]:
        from storage.db import prefix_upper_bound

        if not prefix:
            return [key for (key,) in self.raw.execute(ALL_SQL)]
        return [key for (key,) in self.raw.execute(RANGE_SQL, (prefix, prefix_upper_bound(prefix)))]

    def clear(self) -> None:
        """Empty every subject, then checkpoint both databases: each sample starts with an empty WAL."""
        self.raw.execute("DELETE FROM objects")
        self.store.delete_many(list(self.store.keys()))
        if self.cache is not None:
            self.cache.clear()
        self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with contextlib.closing(sqlite3.connect(self.store_path, isolation_level=None)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def fill(self, keys: List[str]) -> None:
        rows = [(key, OBJECT) for key in keys]
        self.raw_put_many(rows)
        self.store.put_many(rows)
        if self.cache is not None:
            for key in keys:
                self.cache.set(key, OBJECT)

    def close(self) -> None:
        self.raw.close()
        self.store.close()
        if self.cache is not None:
            self.cache.close()


def _each(call: Callable[..., Any], keys: List[str], value: Optional[bytes], before: Callable[[], Any]) -> Measure:
    def calls() -> None:
        if value is None:
            for key in keys:
                call(key)
        else:
            for key in keys:
                call(key, value)

    def one() -> float:
        before()
        return timed(calls, len(keys))

    return one


def _batch(call: Callable[[], Any], before: Callable[[], Any]) -> Measure:
    def one() -> float:
        before()
        return timed(call)

    return one


def _single(context: Context, subjects: Subjects, keys: List[str]) -> List[Comparison]:
    def nothing() -> None:
        pass

    cache = subjects.cache
    results = []
    for operation, raw_call, ours_call, peer_call, value, before, limit in (
        (
            "put, one commit each",
            subjects.raw_put,
            subjects.store.put,
            None if cache is None else cache.set,
            OBJECT,
            subjects.clear,
            1.2,
        ),
        ("get", subjects.raw_get, subjects.store.get, None if cache is None else cache.get, None, nothing, 1.3),
    ):
        if before is nothing:
            subjects.fill(keys)
        cases: List[Subject] = [
            ("SqliteStore", _each(ours_call, keys, value, before), True, Target("ratio", limit)),
        ]
        if peer_call is not None:
            cases.append(("diskcache Cache", _each(peer_call, keys, value, before), False, None))
        results.append(
            compare(
                GROUP,
                f"{operation}, 1 KiB x {len(keys)}",
                ("sqlite3", _each(raw_call, keys, value, before)),
                cases,
                context.repeats,
            )
        )
    return results


def _put_many(context: Context, subjects: Subjects) -> Comparison:
    rows = [(f"batch/{index:06d}", OBJECT) for index in range(2000)]
    cases: List[Subject] = [
        (
            "SqliteStore.put_many",
            _batch(lambda: subjects.store.put_many(rows), subjects.clear),
            True,
            Target("ratio", 1.3),
        ),
    ]
    if subjects.cache is not None:
        cache = subjects.cache

        def cache_many() -> None:
            with cache.transact():
                for key, value in rows:
                    cache.set(key, value)

        cases.append(("diskcache set x 2000 in transact()", _batch(cache_many, subjects.clear), False, None))
    return compare(
        GROUP,
        "put_many, 1 KiB x 2000",
        ("executemany in one transaction", _batch(lambda: subjects.raw_put_many(rows), subjects.clear)),
        cases,
        context.repeats,
    )


def _listings(context: Context, subjects: Subjects) -> List[Comparison]:
    tops, files = context.settings.size(10, 4), context.settings.size(200, 100)
    keys = [f"t{top}/s{sub}/k{index:04d}" for top in range(tops) for sub in range(10) for index in range(files)]
    subjects.clear()
    subjects.fill(keys)
    prefix = "t3/s4/"
    store = subjects.store

    def unchanged() -> None:
        pass

    return [
        compare(
            GROUP,
            operation,
            ("primary-key range query", _batch(lambda p=p: subjects.raw_keys(p), unchanged)),
            [("SqliteStore.keys", _batch(lambda p=p: list(store.keys(p)), unchanged), True, Target("ratio", limit))],
            context.repeats,
        )
        for operation, p, limit in (
            (f"keys({prefix!r}): {files} of {len(keys)} keys", prefix, 1.5),
            (f"keys() of {len(keys)} keys", "", 1.5),
        )
    ]


def run(context: Context) -> List[Comparison]:
    """Measure the sqlite group."""
    subjects = Subjects(context)
    try:
        keys = [f"d{index % 10}/k{index:06d}" for index in range(context.settings.size(500, 100))]
        return [*_single(context, subjects, keys), _put_many(context, subjects), *_listings(context, subjects)]
    finally:
        subjects.close()

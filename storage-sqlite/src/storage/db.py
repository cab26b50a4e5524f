"""``SqliteStore``: objects as rows of one SQLite table, ``objects(key TEXT PRIMARY KEY, data BLOB)``.

The table is the seed's, so databases written by the seed open unchanged and stay readable by it.
File databases run in WAL mode with a busy timeout, so several threads and processes can write
one database at once; every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from typing import Any, Iterable, Iterator, NoReturn, Optional, Union

from storage._base import Items, ObjectStore, iter_items
from storage._lifecycle import OPEN
from storage.errors import (
    IntegrityError,
    InvalidKey,
    ObjectNotFound,
    PermissionDenied,
    StoreClosed,
    StoreError,
    StoreUnavailable,
)
from storage.validation import check_bytes, check_key

__all__ = ["SqliteStore", "prefix_upper_bound"]

PathLike = Union[str, "os.PathLike[str]"]

MEMORY = ":memory:"
#: Keys fetched per query while listing, and keys per ``IN (...)`` list in ``get_many``.
BATCH = 500

SCHEMA = "CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, data BLOB)"
GET_SQL = "SELECT data FROM objects WHERE key = ?"
EXISTS_SQL = "SELECT 1 FROM objects WHERE key = ?"
PUT_SQL = "INSERT OR REPLACE INTO objects (key, data) VALUES (?, ?)"
DELETE_SQL = "DELETE FROM objects WHERE key = ?"
#: Range scans on the primary key's index; never ``LIKE``, which would scan the table.
KEYS_SQL = "SELECT key FROM objects WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"
KEYS_UNBOUNDED_SQL = "SELECT key FROM objects WHERE key >= ? ORDER BY key LIMIT ?"

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED


def prefix_upper_bound(prefix: str) -> Optional[str]:
    """Return the least string above every string that starts with ``prefix``, or None if none is.

    Compared as SQLite compares TEXT (UTF-8 bytes, i.e. code point order): trailing U+10FFFF
    characters are dropped and the last remaining one is incremented, skipping the surrogates.
    """
    stripped = prefix.rstrip(chr(_MAX_CODE_POINT))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if following in _SURROGATES:
        following = _SURROGATES.stop
    return stripped[:-1] + chr(following)


def _error_code(err: sqlite3.Error) -> Optional[int]:
    code = getattr(err, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


class SqliteStore(ObjectStore):
    """A store in a SQLite database file (or ``':memory:'``, private to this store until closed).

    ``timeout`` is how many seconds a write waits for another connection's write to finish.
    The store opens on first use; it pickles its configuration and reopens in the new process.
    One connection serves all threads, one operation at a time.
    """

    _transient_attrs = ("_connection", "_lock")

    def __init__(self, db_path: PathLike = MEMORY, timeout: float = 30.0) -> None:
        path = os.fspath(db_path)
        self.db_path = path if path == MEMORY else os.path.abspath(path)
        self.timeout = float(timeout)
        self._lock = threading.RLock()
        self._connection: Optional[sqlite3.Connection] = None

    @property
    def store_name(self) -> str:
        """The name used for this store in messages."""
        return f"{type(self).__name__}({self.db_path})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.db_path!r})"

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._lock = threading.RLock()
        self._connection = None

    # Lifecycle ----------------------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            try:
                connection = sqlite3.connect(
                    self.db_path, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as err:
                self._fail(err, "open")
            try:
                if self.db_path != MEMORY:
                    if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        connection.execute("PRAGMA journal_mode = WAL")
                    connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute(SCHEMA)
            except sqlite3.Error as err:
                connection.close()
                self._fail(err, "open")
            self._connection = connection

    def _close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()

    @contextlib.contextmanager
    def _session(self, operation: str, key: Optional[str] = None) -> Iterator[sqlite3.Connection]:
        """Hold the store's lock over an open connection; translate SQLite errors."""
        if self._state != OPEN:
            self._ensure_open(operation)
        with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreClosed(store=self.store_name, operation=operation)
            try:
                yield connection
            except sqlite3.Error as err:
                self._fail(err, operation, key)

    @contextlib.contextmanager
    def _transaction(self, operation: str, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction, committed if it succeeds and rolled back if not."""
        with self._session(operation) as connection:
            connection.execute(f"BEGIN {mode}")
            try:
                yield connection
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _fail(self, err: sqlite3.Error, operation: str, key: Optional[str] = None) -> NoReturn:
        where: dict[str, Any] = {"store": self.store_name, "operation": operation, "key": key}
        message = str(err)
        code = _error_code(err)
        lowered = message.lower()
        if code in _BUSY_CODES or "locked" in lowered or "busy" in lowered:
            raise StoreUnavailable(message, **where) from err
        if code in _CORRUPT_CODES or "not a database" in lowered or "malformed" in lowered:
            raise IntegrityError(f"database is corrupt: {message}", **where) from err
        if code == 23 or "readonly" in lowered:  # SQLITE_AUTH
            raise PermissionDenied(message, **where) from err
        raise StoreError(message, **where) from err

    # Keys and values ----------------------------------------------------------------------

    def _check_key(self, key: Any, operation: str) -> str:
        check_key(key, self.store_name, operation)
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidKey(
                "key is not valid Unicode (lone surrogate)", store=self.store_name, operation=operation, key=key
            ) from None
        return str(key)

    def _row(self, key: Any, data: Any, operation: str) -> tuple[str, memoryview]:
        key = self._check_key(key, operation)
        return key, check_bytes(data, self.store_name, key)

    # Operations ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        """Return the bytes stored at ``key``; ``ObjectNotFound`` if there is none."""
        key = self._check_key(key, "get")
        with self._session("get", key) as connection:
            row = connection.execute(GET_SQL, (key,)).fetchone()
        if row is None:
            raise ObjectNotFound(store=self.store_name, operation="get", key=key)
        return bytes(row[0])

    def exists(self, key: str) -> bool:
        """Return whether a row holds ``key``."""
        key = self._check_key(key, "exists")
        with self._session("exists", key) as connection:
            return connection.execute(EXISTS_SQL, (key,)).fetchone() is not None

    def put(self, key: str, data: Any) -> None:
        """Insert or replace the row of ``key`` in one transaction."""
        row = self._row(key, data, "put")
        with self._transaction("put") as connection:
            connection.execute(PUT_SQL, row)

    def delete(self, key: str) -> None:
        """Remove the row of ``key``; ``ObjectNotFound`` if there is none."""
        key = self._check_key(key, "delete")
        with self._transaction("delete") as connection:
            deleted = connection.execute(DELETE_SQL, (key,)).rowcount
        if not deleted:
            raise ObjectNotFound(store=self.store_name, operation="delete", key=key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys starting with ``prefix`` in order, by range scans of the key index.

        Keys are fetched in batches, so the store may be changed while the iteration runs.
        """
        if self._state != OPEN:
            self._ensure_open("keys")
        if not isinstance(prefix, str):
            raise InvalidKey(
                f"prefixes are str, not {type(prefix).__name__}",
                store=self.store_name, operation="keys", key=repr(prefix),
            )
        if prefix:
            self._check_key(prefix, "keys")
        return self._scan(prefix, prefix_upper_bound(prefix))

    def _scan(self, prefix: str, upper: Optional[str]) -> Iterator[str]:
        start = prefix
        while True:
            with self._session("keys") as connection:
                if upper is None:
                    rows = connection.execute(KEYS_UNBOUNDED_SQL, (start, BATCH)).fetchall()
                else:
                    rows = connection.execute(KEYS_SQL, (start, upper, BATCH)).fetchall()
            for (key,) in rows:
                yield key
            if len(rows) < BATCH:
                return
            start = rows[-1][0] + "\x00"  # the least string above the last key

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Return ``{key: bytes}`` for those of ``keys`` that hold an object, read in one transaction."""
        wanted = list(dict.fromkeys(self._check_key(key, "get_many") for key in keys))
        found: dict[str, bytes] = {}
        with self._transaction("get_many", "DEFERRED") as connection:
            for start in range(0, len(wanted), BATCH):
                chunk = wanted[start : start + BATCH]
                marks = ", ".join("?" * len(chunk))
                query = f"SELECT key, data FROM objects WHERE key IN ({marks})"
                found.update((key, bytes(data)) for key, data in connection.execute(query, chunk))
        return {key: found[key] for key in wanted if key in found}

    def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair in one transaction: all of them or none."""
        rows = [self._row(key, value, "put_many") for key, value in iter_items(items)]
        with self._transaction("put_many") as connection:
            connection.executemany(PUT_SQL, rows)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object in one transaction; absent keys are skipped."""
        rows = [(self._check_key(key, "delete_many"),) for key in keys]
        with self._transaction("delete_many") as connection:
            connection.executemany(DELETE_SQL, rows)

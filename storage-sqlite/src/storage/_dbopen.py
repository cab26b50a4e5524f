"""Opening a ``SqliteStore``'s database, for writing or read-only, and SQLite's errors as typed ones.

A writable store's database is made a WAL database with the schema of ``_dbsql``; a read-only
one is opened through a ``mode=ro`` URI and must already hold the ``objects`` table. Nothing here
keeps state: the store owns the connection it is given.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from typing import Any, NoReturn, Optional
from urllib.parse import quote

from storage._dbsql import SCHEMA, TABLES_SQL
from storage.errors import IntegrityError, PermissionDenied, StoreError, StoreUnavailable

__all__ = ["MEMORY", "connect", "connect_read_only", "read_only_uri", "translate"]

MEMORY = ":memory:"

_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_READONLY_CODE = 8  # SQLITE_READONLY, whose extended codes say why SQLite may not write
_AUTH_CODE = 23  # SQLITE_AUTH
_CANNOT_WRITE = (
    "this process may not write the database file or create SQLite's journal beside it; "
    "pass read_only=True to open it for reading only"
)
_CANNOT_READ_WAL = (
    "SQLite cannot create the shared-memory file (-shm) a reader of a WAL database needs beside it "
    "(a read-only directory or mount); pass immutable=True if nothing changes the database while it "
    "is open, or switch the database out of WAL first (PRAGMA journal_mode=DELETE)"
)


def _error_code(err: sqlite3.Error) -> Optional[int]:
    code = getattr(err, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def translate(err: sqlite3.Error, store: str, operation: str, key: Optional[str] = None) -> StoreError:
    """The ``storage.errors`` type of a SQLite error met by ``operation`` of ``store``."""
    where: dict[str, Any] = {"store": store, "operation": operation, "key": key}
    message = str(err)
    code = _error_code(err)
    lowered = message.lower()
    if code in _BUSY_CODES or "locked" in lowered or "busy" in lowered:
        return StoreUnavailable(message, **where)
    if code in _CORRUPT_CODES or "not a database" in lowered or "malformed" in lowered:
        return IntegrityError(f"database is corrupt: {message}", **where)
    if code == _AUTH_CODE or "readonly" in lowered:
        return PermissionDenied(message, **where)
    return StoreError(message, **where)


def _fail_open(err: sqlite3.Error, store: str, hint: str) -> NoReturn:
    """Raise for an error of opening; SQLite refusing to write gets ``hint`` on what to do."""
    if _error_code(err) == _READONLY_CODE or "readonly" in str(err).lower():
        raise PermissionDenied(f"{err}: {hint}", store=store, operation="open") from err
    raise translate(err, store, "open") from err


def _check_writable(path: str, store: str) -> None:
    """Refuse a database file this process may not write, which SQLite would silently open read-only."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError as err:
        if isinstance(err, PermissionError) or err.errno == errno.EROFS:
            raise PermissionDenied(f"{err.strerror}: {_CANNOT_WRITE}", store=store, operation="open") from err
        return  # missing (SQLite creates it) or not a file: SQLite reports what it finds
    os.close(descriptor)


def _prepare(connection: sqlite3.Connection, path: str) -> None:
    """Switch a file database to WAL and create the schema (idempotent)."""
    if path != MEMORY:
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
    for statement in SCHEMA:
        connection.execute(statement)


def connect(path: str, timeout: float, store: str) -> sqlite3.Connection:
    """Open the database at ``path`` for writing, creating it and its schema if needed."""
    if path != MEMORY:
        _check_writable(path, store)
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as err:
        raise translate(err, store, "open") from err
    deadline = time.monotonic() + timeout
    while True:
        try:
            _prepare(connection, path)
            return connection
        except sqlite3.OperationalError as err:
            # Several processes creating one new database can collide on the journal mode
            # switch, where SQLite reports "locked" without waiting: try again until the timeout.
            if "locked" in str(err) and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            connection.close()
            _fail_open(err, store, _CANNOT_WRITE)
        except sqlite3.Error as err:
            connection.close()
            _fail_open(err, store, _CANNOT_WRITE)


def read_only_uri(path: str, immutable: bool) -> str:
    """The URI of the database at ``path`` opened read-only (``immutable``: without locks or side files)."""
    return f"file:{quote(path)}?mode=ro" + ("&immutable=1" if immutable else "")


def _has_content(path: str) -> bool:
    """True if a file exists at ``path`` and is not empty."""
    try:
        return os.stat(path).st_size > 0
    except FileNotFoundError:
        return False


def connect_read_only(path: str, timeout: float, immutable: bool, store: str) -> tuple[sqlite3.Connection, bool]:
    """Open an existing store database read-only, creating and changing nothing.

    Returns the connection and whether the database has the ``objects_meta`` side table.
    """
    where: dict[str, Any] = {"store": store, "operation": "open"}
    if not os.path.exists(path):
        raise StoreError("the database file does not exist (a read-only store creates nothing)", **where)
    if immutable and _has_content(path + "-wal"):
        raise StoreError(
            "a -wal file beside the database may hold changes that immutable=True would ignore: "
            "open the database once with write access (or run PRAGMA wal_checkpoint(TRUNCATE)) first",
            **where,
        )
    try:
        connection = sqlite3.connect(
            read_only_uri(path, immutable), uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as err:
        raise translate(err, store, "open") from err
    try:
        tables = {name for (name,) in connection.execute(TABLES_SQL)}
    except sqlite3.Error as err:
        connection.close()
        _fail_open(err, store, _CANNOT_READ_WAL)
    if "objects" not in tables:
        connection.close()
        raise StoreError("the database has no 'objects' table (a read-only store creates nothing)", **where)
    return connection, "objects_meta" in tables

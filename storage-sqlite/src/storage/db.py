"""``SqliteStore``: objects as rows of one SQLite table, ``objects(key TEXT PRIMARY KEY, data BLOB)``.

The table is the seed's, so databases written by the seed open unchanged and stay readable by it; a
side table ``objects_meta``, kept by triggers, adds modification times and etags (see ``_dbsql``).
File databases run in WAL mode with a busy timeout, so several threads and processes can write
one database at once. Every write is one transaction: ``put`` runs a lone statement, which SQLite
commits on its own, and the other writes run in ``BEGIN IMMEDIATE`` ... ``COMMIT``. A read-only
store (``read_only=True``) opens an existing database through a ``mode=ro`` URI and changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from typing import Any, BinaryIO, Iterable, Iterator, NoReturn, Optional, Union, cast

from storage._base import Items, ObjectStore, iter_items
from storage._dbblob import BLOB_IO, BlobReader, copy_into_blob
from storage._dbopen import MEMORY, connect, connect_read_only, read_only_uri, translate
from storage._dbsql import (
    BLOB_ROW_SQL,
    COPY_SQL,
    DELETE_SQL,
    EXISTS_SQL,
    GET_MANY_SQL,
    GET_SQL,
    INSERT_SQL,
    KEYS_FROM_SQL,
    KEYS_FROM_UNBOUNDED_SQL,
    KEYS_SQL,
    KEYS_UNBOUNDED_SQL,
    PUT_SQL,
    PUT_ZEROBLOB_SQL,
    RANGE_SQL,
    RENAME_SQL,
    STAT_NO_META_SQL,
    STAT_SQL,
)
from storage._lifecycle import CLOSED, OPEN
from storage.capabilities import Capabilities
from storage.errors import (
    AlreadyExists,
    ConfigError,
    IntegrityError,
    InvalidKey,
    ObjectNotFound,
    StoreClosed,
    UnsupportedOperation,
)
from storage.metadata import ListResult, ObjectInfo, check_range, utc_from_timestamp
from storage.streams import spooled_writer
from storage.validation import check_bytes, check_key

__all__ = ["SqliteStore", "prefix_upper_bound"]

PathLike = Union[str, "os.PathLike[str]"]

#: Keys fetched per query while listing, and keys per ``IN (...)`` list in ``get_many``.
BATCH = 500
#: SQLite's hard limit on the length of a blob; ``substr`` takes 32-bit offsets and lengths.
_MAX_LENGTH = (1 << 31) - 1

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
#: How SQLite words a second row for a key: ``put(if_absent=True)`` turns only this into ``AlreadyExists``.
_KEY_TAKEN = "UNIQUE constraint failed: objects.key"


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


class SqliteStore(ObjectStore):
    """A store in a SQLite database file (or ``':memory:'``, private to this store until closed).

    ``timeout`` is how many seconds a write waits for another connection's write to finish.
    ``read_only=True`` opens an existing database for reading only: nothing is created or changed,
    and every write raises ``UnsupportedOperation``. ``immutable=True`` (with ``read_only``) also
    promises SQLite that nothing changes the file while the store is open, so it reads without
    locks or side files: how a WAL database is read from a read-only directory or mount.
    A database file this process cannot write is refused with ``PermissionDenied`` unless
    ``read_only=True``. The store opens on first use; it pickles its configuration and reopens in
    the new process. One connection serves all threads, one operation at a time.
    """

    CAPABILITIES = Capabilities(
        native_range=True, native_conditional_write=True, native_copy=True, native_metadata=True
    )
    _transient_attrs = ("_connection", "_cursor", "_lock", "_stat_sql")

    def __init__(
        self, db_path: PathLike = MEMORY, timeout: float = 30.0, read_only: bool = False, immutable: bool = False
    ) -> None:
        path = os.fspath(db_path)
        for name, flag in (("read_only", read_only), ("immutable", immutable)):
            if not isinstance(flag, bool):
                raise ConfigError(f"{name} must be True or False, not {flag!r}")
        if immutable and not read_only:
            raise ConfigError("immutable=True is for read-only stores: pass read_only=True too")
        if read_only and path == MEMORY:
            raise ConfigError("read_only=True needs a database file (':memory:' starts empty)")
        self.db_path = path if path == MEMORY else os.path.abspath(path)
        self.timeout = float(timeout)
        self.read_only = read_only
        self.immutable = immutable
        self._reset()

    @property
    def store_name(self) -> str:
        """The name used for this store in messages."""
        return f"{type(self).__name__}({self.db_path})"

    @property
    def capabilities(self) -> Capabilities:
        """What this store can do: neither writing nor deleting when it is read-only."""
        return self.CAPABILITIES.replace(write=False, delete=False) if self.read_only else self.CAPABILITIES

    def __repr__(self) -> str:
        flags = "".join(f", {name}=True" for name in ("read_only", "immutable") if getattr(self, name))
        return f"{type(self).__name__}({self.db_path!r}{flags})"

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._reset()

    def _reset(self) -> None:
        """Set the state that is never pickled: no connection yet."""
        self._lock = threading.RLock()
        self._connection: Optional[sqlite3.Connection] = None
        #: The connection's cursor that ``put`` reuses, saving a cursor object per call (None if read-only).
        self._cursor: Optional[sqlite3.Cursor] = None
        #: ``stat``'s query: without the metadata join on a read-only database that lacks ``objects_meta``.
        self._stat_sql = STAT_SQL

    # Lifecycle ----------------------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            if self.read_only:
                connection, has_meta = connect_read_only(self.db_path, self.timeout, self.immutable, self.store_name)
                self._stat_sql = STAT_SQL if has_meta else STAT_NO_META_SQL
                self._cursor = None
            else:
                connection = connect(self.db_path, self.timeout, self.store_name)
                self._cursor = connection.cursor()
            self._connection = connection


    def _refuse_write(self, operation: str, key: Any = None) -> NoReturn:
        """Refuse a write on a read-only store (or, once it is closed, say that)."""
        if self._state == CLOSED:
            self._raise_closed(operation)
        raise UnsupportedOperation(
            "the database is open read-only (read_only=True)",
            store=self.store_name, operation=operation, key=key if isinstance(key, str) else None,
        )

    def _close(self) -> None:
        with self._lock:
            connection, self._connection, self._cursor = self._connection, None, None
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
    def _transaction(
        self, operation: str, mode: str = "IMMEDIATE", key: Optional[str] = None
    ) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction, committed if it succeeds and rolled back if not.

        A failed ``COMMIT`` is rolled back too, so the connection never stays in a transaction that
        ``put``'s lone statements would then join.
        """
        with self._session(operation, key) as connection:
            connection.execute(f"BEGIN {mode}")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _fail(self, err: sqlite3.Error, operation: str, key: Optional[str] = None) -> NoReturn:
        raise translate(err, self.store_name, operation, key) from err

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
        """Return the bytes stored at ``key``; ``ObjectNotFound`` if there is none.

        The hot path: a plain ``str`` key is checked for lone surrogates only if SQLite cannot
        encode it, and the lock is taken directly rather than through ``_session``.
        """
        if key.__class__ is not str or not key or self._state != OPEN:
            key = self._check_key(key, "get")
            self._ensure_open("get")
        with self._lock:
            connection = self._connection
            if connection is None:
                raise StoreClosed(store=self.store_name, operation="get")
            try:
                row = connection.execute(GET_SQL, (key,)).fetchone()
            except sqlite3.Error as err:
                self._fail(err, "get", key)
            except UnicodeEncodeError:
                self._check_key(key, "get")  # InvalidKey for the lone surrogate SQLite cannot encode
                raise
        if row is None:
            raise ObjectNotFound(store=self.store_name, operation="get", key=key)
        return row[0] if row[0] is not None else self._null("get", key)

    def _null(self, operation: str, key: str) -> NoReturn:
        """Refuse a row whose value is NULL (written by another SQLite client): it holds no bytes."""
        message = "the row holds NULL, not an object's bytes"
        raise IntegrityError(message, store=self.store_name, operation=operation, key=key)

    def exists(self, key: str) -> bool:
        """Return whether a row holds ``key``."""
        key = self._check_key(key, "exists")
        with self._session("exists", key) as connection:
            return connection.execute(EXISTS_SQL, (key,)).fetchone() is not None

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Insert or replace the row of ``key`` with one statement, which is its own transaction.

        SQLite runs a lone write statement (with the triggers it fires) as one transaction that takes
        the write lock as ``BEGIN IMMEDIATE`` does, waiting up to ``timeout`` for other writers. With
        ``if_absent=True`` it is a plain ``INSERT``, which the primary key refuses (with ``AlreadyExists``)
        if any connection, in any process, has stored the key. The hot path: a plain ``str`` key and
        ``bytes`` data are bound as they are, and the key is checked for lone surrogates only if SQLite
        cannot encode it.
        """
        if key.__class__ is not str or not key or data.__class__ is not bytes or self._state != OPEN:
            if self.read_only:
                self._refuse_write("put", key)
            key, data = self._row(key, data, "put")
            self._ensure_open("put")
        with self._lock:
            cursor = self._cursor
            if cursor is None:  # closed, or read-only (which keeps no cursor for put)
                if self.read_only:
                    self._refuse_write("put", key)
                raise StoreClosed(store=self.store_name, operation="put")
            try:
                cursor.execute(INSERT_SQL if if_absent else PUT_SQL, (key, data))
            except sqlite3.IntegrityError as err:
                if if_absent and _KEY_TAKEN in str(err):
                    raise AlreadyExists(store=self.store_name, operation="put", key=key) from err
                self._fail(err, "put", key)
            except sqlite3.Error as err:
                self._fail(err, "put", key)
            except UnicodeEncodeError:
                self._check_key(key, "put")  # InvalidKey for the lone surrogate SQLite cannot encode
                raise

    def delete(self, key: str) -> None:
        """Remove the row of ``key``; ``ObjectNotFound`` if there is none."""
        if self.read_only:
            self._refuse_write("delete", key)
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
        prefix = self._check_prefix(prefix, "keys")
        return self._scan(prefix, prefix_upper_bound(prefix))

    def _check_prefix(self, prefix: Any, operation: str) -> str:
        if not isinstance(prefix, str):
            raise InvalidKey(
                f"prefixes are str, not {type(prefix).__name__}",
                store=self.store_name, operation=operation, key=repr(prefix),
            )
        return self._check_key(prefix, operation) if prefix else prefix

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
                query = GET_MANY_SQL.format(marks=", ".join("?" * len(chunk)))
                found.update(connection.execute(query, chunk))
        for key, data in found.items():
            if data is None:
                self._null("get_many", key)
        return {key: found[key] for key in wanted if key in found}

    def put_many(self, items: Items) -> None:
        """Store every ``(key, value)`` pair in one transaction: all of them or none.

        Pairs of a non-empty ``str`` and ``bytes`` are bound as they are; a key SQLite cannot encode
        rolls the transaction back and is then reported as ``put`` reports it.
        """
        if self.read_only:
            self._refuse_write("put_many")
        rows = [
            (key, value)
            if key.__class__ is str and key and value.__class__ is bytes
            else self._row(key, value, "put_many")
            for key, value in iter_items(items)
        ]
        try:
            with self._transaction("put_many") as connection:
                connection.executemany(PUT_SQL, rows)
        except UnicodeEncodeError:
            for key, _ in rows:
                self._check_key(key, "put_many")
            raise

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every key that holds an object in one transaction; absent keys are skipped."""
        if self.read_only:
            self._refuse_write("delete_many")
        rows = [(self._check_key(key, "delete_many"),) for key in keys]
        with self._transaction("delete_many") as connection:
            connection.executemany(DELETE_SQL, rows)

    # Beyond get/put -----------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo:
        """Return the size (``length(data)``, without reading the data), time and etag of ``key``.

        ``modified`` and ``etag`` are None for objects written before the database had ``objects_meta``
        (for every object of a seed's database opened read-only, which cannot add the table).
        """
        key = self._check_key(key, "stat")
        with self._session("stat", key) as connection:
            row = connection.execute(self._stat_sql, (key,)).fetchone()
        if row is None:
            raise ObjectNotFound(store=self.store_name, operation="stat", key=key)
        size, modified, etag = row
        return ObjectInfo(key, size, None if modified is None else utc_from_timestamp(modified), etag)

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object, cut by ``substr`` inside SQLite."""
        key = self._check_key(key, "get_range")
        start, end = check_range(start, end, self.store_name, key)
        first = min(start, _MAX_LENGTH - 1)
        length = (_MAX_LENGTH if end is None else min(end, _MAX_LENGTH)) - first
        with self._session("get_range", key) as connection:
            row = connection.execute(RANGE_SQL, (first + 1, length, key)).fetchone()
        if row is None:
            raise ObjectNotFound(store=self.store_name, operation="get_range", key=key)
        if row[1]:
            self._null("get_range", key)
        return b"" if row[0] is None else row[0]  # type: ignore[no-any-return]

    def copy(self, source: str, target: str) -> None:
        """Copy the row of ``source`` to ``target`` with one ``INSERT OR REPLACE ... SELECT``."""
        self._write_from(COPY_SQL, source, target, "copy")

    def rename(self, source: str, target: str) -> None:
        """Rename the row of ``source`` to ``target`` with one ``UPDATE``, replacing any row there."""
        self._write_from(RENAME_SQL, source, target, "rename")

    def _write_from(self, statement: str, source: str, target: str, operation: str) -> None:
        """Run ``statement`` (target, source) in a transaction; ``ObjectNotFound`` if it changed no row."""
        if self.read_only:
            self._refuse_write(operation, source)
        source = self._check_key(source, operation)
        target = self._check_key(target, operation)
        with self._transaction(operation, key=source) as connection:
            changed = connection.execute(statement, (target, source)).rowcount
        if not changed:
            raise ObjectNotFound(store=self.store_name, operation=operation, key=source)

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and sub-prefixes directly under ``prefix``, in one read transaction.

        The index is scanned in order; at the first key of each sub-prefix the scan restarts past
        that sub-prefix's whole range, so the keys below it are never read.
        """
        prefix = self._check_prefix(prefix, "list_dir")
        keys: list[str] = []
        prefixes: list[str] = []
        start: Optional[str] = prefix
        upper = prefix_upper_bound(prefix)
        with self._transaction("list_dir", "DEFERRED", prefix) as connection:
            while start is not None:
                if upper is None:
                    cursor = connection.execute(KEYS_FROM_UNBOUNDED_SQL, (start,))
                else:
                    cursor = connection.execute(KEYS_FROM_SQL, (start, upper))
                start = None
                for (key,) in cursor:
                    cut = key.find("/", len(prefix))
                    if cut < 0:
                        keys.append(key)
                        continue
                    prefixes.append(key[: cut + 1])
                    start = prefix_upper_bound(prefixes[-1])
                    break
                cursor.close()
        return ListResult(keys, prefixes)

    def open_read(self, key: str) -> BinaryIO:
        """Return a file reading the object in chunks, from the snapshot it was opened in.

        It has a read-only connection of its own (closed with it). Without ``blobopen`` (Python
        < 3.11), and for ``':memory:'`` databases, the whole object is read into memory.
        """
        key = self._check_key(key, "open_read")
        if not BLOB_IO or self.db_path == MEMORY:
            return super().open_read(key)
        if self._state != OPEN:
            self._ensure_open("open_read")
        try:
            connection = sqlite3.connect(
                read_only_uri(self.db_path, self.immutable), uri=True, timeout=self.timeout,
                isolation_level=None, check_same_thread=False,
            )
        except sqlite3.Error as err:
            self._fail(err, "open_read", key)
        try:
            connection.execute("BEGIN")
            row = connection.execute(BLOB_ROW_SQL, (key,)).fetchone()
            if row is None:
                raise ObjectNotFound(store=self.store_name, operation="open_read", key=key)
            rowid, kind = row
            blob = None
            if kind in ("blob", "text"):
                blob = connection.blobopen("objects", "data", rowid, readonly=True)  # type: ignore[attr-defined]
        except BaseException as err:
            connection.close()
            if isinstance(err, sqlite3.Error):
                self._fail(err, "open_read", key)
            raise
        if blob is None:  # a number or NULL that another client wrote: read as ``get`` reads it
            connection.close()
            return super().open_read(key)
        return cast(BinaryIO, BlobReader(connection, blob, lambda err, operation: self._fail(err, operation, key)))

    def open_write(self, key: str) -> BinaryIO:
        """Return a temporary file stored at ``key`` on ``close()``, in one transaction.

        With ``blobopen`` (Python 3.11+) the object is copied into the database in chunks; without
        it, it is read into memory and ``put``. A read-only store refuses at once, not on ``close()``.
        """
        if self.read_only:
            self._refuse_write("open_write", key)
        key = self._check_key(key, "open_write")
        if self._state != OPEN:
            self._ensure_open("open_write")
        directory = None if self.db_path == MEMORY else os.path.dirname(self.db_path)
        return spooled_writer(lambda file, size: self._put_file(key, file, size), directory)

    def _put_file(self, key: str, file: BinaryIO, size: int) -> None:
        if not BLOB_IO:
            self.put(key, file.read())
            return
        with self._transaction("open_write", key=key) as connection:
            cursor = connection.execute(PUT_ZEROBLOB_SQL, (key, size))
            copy_into_blob(connection, cast(int, cursor.lastrowid), file)

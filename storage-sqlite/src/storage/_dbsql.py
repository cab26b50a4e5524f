"""The SQL that ``SqliteStore`` runs: the seed's table, the metadata side table and every query.

The ``objects`` table is exactly the seed's. ``objects_meta`` holds each object's modification time
(POSIX seconds) and etag (16 random hex digits, new on every write); triggers on ``objects`` keep it
current, so writes made by the seed's code (or any other SQLite client) update it too. Objects written
before the side table existed have no row in it: their ``stat`` reports ``modified`` and ``etag`` as None.

New databases get ``objects_meta`` as a ``WITHOUT ROWID`` table, one B-tree keyed by ``key``, so a
write adds one page to its commit rather than two (a rowid table and its key index); databases
whose side table is a rowid table, made by earlier versions, keep it and work the same.
"""

from __future__ import annotations

__all__ = [
    "BLOB_ROW_SQL",
    "COPY_SQL",
    "DELETE_SQL",
    "EXISTS_SQL",
    "GET_MANY_SQL",
    "GET_SQL",
    "INSERT_SQL",
    "KEYS_FROM_SQL",
    "KEYS_FROM_UNBOUNDED_SQL",
    "KEYS_SQL",
    "KEYS_UNBOUNDED_SQL",
    "PUT_SQL",
    "PUT_ZEROBLOB_SQL",
    "RANGE_SQL",
    "RENAME_SQL",
    "SCHEMA",
    "STAT_NO_META_SQL",
    "STAT_SQL",
    "TABLES_SQL",
]

_NOW = "(julianday('now') - 2440587.5) * 86400.0"
_NEW_META = (
    f"INSERT OR REPLACE INTO objects_meta (key, modified, etag) VALUES (new.key, {_NOW}, printf('%016x', random()))"
)

#: Run on every open; each statement is a no-op once the database has it.
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, data BLOB)",
    (
        "CREATE TABLE IF NOT EXISTS objects_meta (key TEXT PRIMARY KEY, modified REAL NOT NULL, etag TEXT NOT NULL) "
        "WITHOUT ROWID"
    ),
    f"CREATE TRIGGER IF NOT EXISTS objects_meta_insert AFTER INSERT ON objects BEGIN {_NEW_META}; END",
    "CREATE TRIGGER IF NOT EXISTS objects_meta_update AFTER UPDATE OF data ON objects BEGIN "
    f"DELETE FROM objects_meta WHERE key = old.key; {_NEW_META}; END",
    # A rename keeps the object's time and etag; REPLACE drops the target's row without a DELETE trigger.
    "CREATE TRIGGER IF NOT EXISTS objects_meta_rename AFTER UPDATE OF key ON objects WHEN old.key IS NOT new.key "
    "BEGIN DELETE FROM objects_meta WHERE key = new.key; "
    "UPDATE objects_meta SET key = new.key WHERE key = old.key; END",
    "CREATE TRIGGER IF NOT EXISTS objects_meta_delete AFTER DELETE ON objects BEGIN "
    "DELETE FROM objects_meta WHERE key = old.key; END",
)

#: ``CAST`` turns a TEXT, INTEGER or REAL value that another SQLite client wrote into the bytes SQLite
#: holds for it (a BLOB stays as it is, at no measurable cost); NULL stays NULL.
GET_SQL = "SELECT CAST(data AS BLOB) FROM objects WHERE key = ?"
GET_MANY_SQL = "SELECT key, CAST(data AS BLOB) FROM objects WHERE key IN ({marks})"
EXISTS_SQL = "SELECT 1 FROM objects WHERE key = ?"
PUT_SQL = "INSERT OR REPLACE INTO objects (key, data) VALUES (?, ?)"
#: ``put(if_absent=True)``: the primary key makes a second insert fail, in every process.
INSERT_SQL = "INSERT INTO objects (key, data) VALUES (?, ?)"
DELETE_SQL = "DELETE FROM objects WHERE key = ?"
#: ``length()`` of a BLOB is read from the record header, without loading the data; a TEXT value
#: (whose ``length`` counts characters) is measured as the bytes ``get`` returns.
STAT_SQL = (
    "SELECT CASE typeof(o.data) WHEN 'text' THEN length(CAST(o.data AS BLOB)) ELSE length(o.data) END, "
    "m.modified, m.etag FROM objects AS o "
    "LEFT JOIN objects_meta AS m ON m.key = o.key WHERE o.key = ?"
)
#: ``stat`` on a database without ``objects_meta`` (the seed's, opened read-only, which cannot add it).
STAT_NO_META_SQL = (
    "SELECT CASE typeof(data) WHEN 'text' THEN length(CAST(data AS BLOB)) ELSE length(data) END, NULL, NULL "
    "FROM objects WHERE key = ?"
)
#: Which of the store's tables a database has: a read-only store checks, as it cannot create them.
TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('objects', 'objects_meta')"
#: ``substr`` on a BLOB counts bytes from 1; only the range is handed to Python. SQLite's ``substr``
#: of an empty blob is NULL, so the query also says whether the value itself is NULL.
RANGE_SQL = "SELECT substr(CAST(data AS BLOB), ?, ?), data IS NULL FROM objects WHERE key = ?"
COPY_SQL = "INSERT OR REPLACE INTO objects (key, data) SELECT ?, data FROM objects WHERE key = ?"
RENAME_SQL = "UPDATE OR REPLACE objects SET key = ? WHERE key = ?"
#: ``open_read``: the row to open as a blob, and whether its value is one (or TEXT, read as its bytes).
BLOB_ROW_SQL = "SELECT rowid, typeof(data) FROM objects WHERE key = ?"
PUT_ZEROBLOB_SQL = "INSERT OR REPLACE INTO objects (key, data) VALUES (?, zeroblob(?))"
#: Range scans on the primary key's index; never ``LIKE``, which would scan the table.
KEYS_SQL = "SELECT key FROM objects WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"
KEYS_UNBOUNDED_SQL = "SELECT key FROM objects WHERE key >= ? ORDER BY key LIMIT ?"
#: ``list_dir``'s scans, stepped row by row and restarted past each sub-prefix.
KEYS_FROM_SQL = "SELECT key FROM objects WHERE key >= ? AND key < ? ORDER BY key"
KEYS_FROM_UNBOUNDED_SQL = "SELECT key FROM objects WHERE key >= ? ORDER BY key"

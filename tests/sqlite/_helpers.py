"""Helpers shared by the SqliteStore tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from storage.db import SqliteStore


def traced(store: SqliteStore) -> list[str]:
    """Record every SQL statement the store's connection runs from now on.

    Python before 3.11 also traces each statement a trigger runs, as a ``-- `` comment line; those
    are left out, so the record is the same on every version.
    """
    statements: list[str] = []

    def record(statement: str) -> None:
        if not statement.startswith("-- "):
            statements.append(statement)

    store.open()
    assert store._connection is not None
    store._connection.set_trace_callback(record)
    return statements


def snapshot(path: Path) -> list[tuple[Any, ...]]:
    """Every ``(key, data)`` row of the database at ``path``, read by a connection of its own."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT key, data FROM objects ORDER BY key").fetchall()
    finally:
        connection.close()

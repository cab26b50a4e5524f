"""The example's pluggy hooks: a contributed type, ``${secret:NAME}`` values, operation counting.

- ``${secret:NAME}`` reads the file ``NAME`` in the directory ``$STORAGE_EXAMPLE_SECRETS``.
- With ``STORAGE_EXAMPLE_COUNT=1`` every store a configuration builds is wrapped in a
  ``CountingStore``; ``operation_counts()`` returns the totals by store name and operation.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from storage.plugins import hookimpl
from storage.wrapper import StoreWrapper

_counts: Counter[tuple[str, str]] = Counter()
_counts_lock = threading.Lock()


def operation_counts() -> dict[tuple[str, str], int]:
    """Operations counted so far, by ``(store name, operation)``."""
    with _counts_lock:
        return dict(_counts)


class CountingStore(StoreWrapper):
    """Counts get, put, exists, delete and keys calls on the store it wraps."""

    def __init__(self, store: Any, name: str) -> None:
        super().__init__(store)
        self.name = name

    def _count(self, operation: str) -> None:
        with _counts_lock:
            _counts[(self.name, operation)] += 1

    def get(self, key: str) -> Any:
        """Count, then get."""
        self._count("get")
        return super().get(key)

    def put(self, key: str, data: Any) -> None:
        """Count, then put."""
        self._count("put")
        super().put(key, data)

    def exists(self, key: str) -> bool:
        """Count, then check."""
        self._count("exists")
        return super().exists(key)

    def delete(self, key: str) -> None:
        """Count, then delete."""
        self._count("delete")
        super().delete(key)


def _read_secret(name: str) -> str:
    directory = os.environ.get("STORAGE_EXAMPLE_SECRETS")
    if not directory:
        raise LookupError("STORAGE_EXAMPLE_SECRETS is not set")
    return (Path(directory) / name).read_text(encoding="utf-8").strip()


@hookimpl
def storage_register_types(register: Callable[[str, Any], None]) -> None:
    """Contribute ``ExampleHookStore`` by reference (imported only when a config names it)."""
    register("ExampleHookStore", "storage_example.store:ExampleStore")


@hookimpl
def storage_register_resolvers(register: Callable[[str, Callable[[str], str]], None]) -> None:
    """Provide ``${secret:NAME}``."""
    register("secret", _read_secret)


@hookimpl
def storage_store_built(name: str, store: Any) -> Any:
    """Wrap each built sync store in a CountingStore when ``STORAGE_EXAMPLE_COUNT=1``."""
    if os.environ.get("STORAGE_EXAMPLE_COUNT") != "1" or not hasattr(store, "__enter__"):
        return None
    return CountingStore(store, name)

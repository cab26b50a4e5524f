"""``AsyncSqliteStore``: the asyncio twin of ``SqliteStore``, run on one worker thread of its own."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Optional

from storage.bridge import SyncBackedAsyncStore
from storage.db import MEMORY, PathLike, SqliteStore

__all__ = ["AsyncSqliteStore"]


class AsyncSqliteStore(SyncBackedAsyncStore):
    """The asyncio twin of ``SqliteStore``, with the same arguments (``read_only`` and ``immutable`` too).

    Every call runs on a single thread the store starts on first use and stops on ``close()``,
    so the event loop never waits for SQLite and no thread is started per call.
    """

    _transient_attrs = ("_executor",)

    def __init__(
        self, db_path: PathLike = MEMORY, timeout: float = 30.0, read_only: bool = False, immutable: bool = False
    ) -> None:
        super().__init__(SqliteStore(db_path, timeout=timeout, read_only=read_only, immutable=immutable))
        self._executor: Optional[ThreadPoolExecutor] = None

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._executor = None

    def executor(self) -> Optional[Executor]:
        """The store's own worker thread (the loop's default pool once the store is closed)."""
        if self.sync_store.closed:
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="AsyncSqliteStore")
        return self._executor

    async def close(self) -> None:
        """Close the database and stop the worker thread."""
        try:
            await super().close()
        finally:
            executor, self._executor = self._executor, None
            if executor is not None:
                executor.shutdown(wait=False)

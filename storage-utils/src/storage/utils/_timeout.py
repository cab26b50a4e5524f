"""TimeoutStore: a deadline per operation, for sync stores."""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading
from typing import Any, Callable, ClassVar, Optional, TypeVar

from storage.utils._deadline import TimeoutRules
from storage.utils._guarded import GuardedStore
from storage.wrapper import instance_lock

__all__ = ["TimeoutStore"]

T = TypeVar("T")


class TimeoutStore(TimeoutRules, GuardedStore):
    """Raises ``StoreUnavailable`` (retryable) when an operation takes longer than ``seconds``.

    Each call runs in a worker thread of this store and the caller stops waiting at the deadline.
    Python cannot interrupt a thread: **the timed-out operation keeps running in the background
    and may still complete** (a put may land, a delete may happen, after the caller got the
    error). A put never leaves a partial object, because every first-party store writes all or
    nothing: readers see the old object (or none) until the new one is complete. Each step of a
    ``keys()`` listing, and each batch (``get_many``, ``put_many``, ``delete_many``), has one
    deadline. The worker threads (``max_workers``) are shared by the callers of this store;
    time spent waiting for one counts towards the deadline.
    """

    #: Worker threads per store.
    max_workers: ClassVar[int] = 32
    _transient_attrs: ClassVar[tuple[str, ...]] = ("_pool", "_pool_lock")
    _pool: Optional[concurrent.futures.ThreadPoolExecutor] = None

    def __init__(self, store: Any, seconds: float) -> None:
        super().__init__(store)
        self._set_seconds(seconds)

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with instance_lock(self, "_pool_lock", threading.Lock):
            pool = self._pool
            if pool is None:
                pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, thread_name_prefix="storage-timeout")
                self._pool = pool
            return pool

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        future = self._executor().submit(contextvars.copy_context().run, call)
        try:
            return future.result(timeout=self.seconds)
        except concurrent.futures.TimeoutError as err:
            raise self._timed_out(operation, key) from err

    def close(self) -> None:
        """Close the wrapped store; the worker threads end once their calls return."""
        try:
            super().close()
        finally:
            pool = self._pool
            if pool is not None:
                self._pool = None
                pool.shutdown(wait=False)

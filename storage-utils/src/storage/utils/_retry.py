"""RetryStore: retries operations that failed with a retryable error."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Optional, TypeVar, cast

from storage.utils._guarded import GuardedStore
from storage.utils._retrying import RetryRules
from storage.wrapper import passes_values

__all__ = ["RetryStore"]

T = TypeVar("T")
_END: Any = object()


class RetryStore(RetryRules, GuardedStore):
    """Retries ``get``, ``put``, ``exists``, ``delete`` and ``keys`` on retryable errors.

    Only errors whose ``retryable`` is true are retried (``StoreUnavailable``, a
    ``PartialFailure`` of retryable errors); ``ObjectNotFound``, ``InvalidKey`` and permission
    errors never are. ``attempts`` counts every try; before retry ``n`` the store waits
    ``min(max_delay, backoff * 2 ** (n - 1))`` seconds, or with ``jitter`` a random time up to
    that. Each retry is logged at WARNING on the ``storage.retry`` logger, naming the store, the
    operation, the key and the attempt. ``keys()`` is retried only until its first key arrives;
    a listing that fails later raises. A batch (``get_many``, ``put_many``, ``delete_many``) is
    retried whole.

    A try that failed with a retryable error (a timeout) may still have done its work, so:
    ``put`` and ``copy`` are retried (a repeated full replacement leaves the same result); a
    ``delete`` whose retry finds no object counts as done; a ``put(if_absent=True)`` whose retry
    finds an object raises ``AlreadyExists`` saying an earlier try may have stored it (the caller
    cannot know whether it was theirs); ``rename`` is not retried (a try that timed out may have
    moved the object): its first error is raised.

    ``sleep`` (a class attribute, replaceable per instance) is how the store waits.
    """

    sleep: Callable[[float], Any] = staticmethod(time.sleep)

    def __init__(
        self, store: Any, attempts: int = 3, backoff: float = 0.1, max_delay: float = 5.0, jitter: bool = True
    ) -> None:
        super().__init__(store)
        self._set_policy(attempts, backoff, max_delay, jitter)

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        try:
            return call()
        except Exception as err:
            error = err
        return self._retry(error, operation, key, call)

    def _retry(self, error: Exception, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        """Retry ``call`` after its first try failed with ``error``, until it succeeds or gives up.

        Called outside the ``except`` block, so a later try's error is not chained to the first.
        """
        attempt = 1
        while True:
            wait = self._next_delay(error, attempt, operation, key)
            if wait is None:
                raise error
            self.sleep(wait)
            attempt += 1
            try:
                return call()
            except Exception as err:
                outcome = self._retry_failed(operation, key, err)
            if outcome is None:
                return cast(T, None)
            error = outcome

    @passes_values
    def get(self, key: str) -> Any:
        """The wrapped store's ``get``; the retry machinery is built only if the first try fails."""
        self._check("get")
        try:
            return self.store.get(key)
        except Exception as err:
            error = err
        return self._retry(error, "get", key, lambda: self.store.get(key))

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``; the retry machinery is built only if the first try fails."""
        self._check("put")
        try:
            self.store.put(key, data, if_absent=if_absent)
            return
        except Exception as err:
            error = err
        self._retry(error, "put", key, lambda: self.store.put(key, data, if_absent=if_absent))

    def _keys(self, prefix: str) -> Iterator[str]:
        def start() -> tuple[Iterator[str], Any]:
            listing = iter(self.store.keys(prefix))
            return listing, next(listing, _END)

        listing, first = self._guard("keys", None, start)
        if first is _END:
            return
        yield first
        yield from listing

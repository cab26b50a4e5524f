"""The retry policy both retrying twins share: which errors to retry, how long to wait, the log.

``RetryRules`` is mixed into ``RetryStore`` and ``AsyncRetryStore``; the twins only differ in
how they sleep (``time.sleep`` or ``asyncio.sleep``).
"""

from __future__ import annotations

import logging
import random
from typing import Optional

from storage.errors import AlreadyExists, ConfigError, InvalidKey, ObjectNotFound, PermissionDenied

__all__ = ["LOGGER", "NOT_RETRIED", "RetryRules", "is_retryable"]

#: Where every retry is logged, at WARNING.
LOGGER = logging.getLogger("storage.retry")

#: Errors never retried, whatever their ``retryable`` flag says.
_PERMANENT = (ObjectNotFound, InvalidKey, PermissionDenied, PermissionError)

#: Operations never retried: a try that failed may still have moved the object, and a second
#: try cannot tell that from a source that was never there.
NOT_RETRIED = frozenset({"rename"})


def is_retryable(error: BaseException) -> bool:
    """Whether trying the same call again can help: ``error.retryable``, never for permanent errors."""
    if isinstance(error, _PERMANENT):
        return False
    return bool(getattr(error, "retryable", False))


class RetryRules:
    """Settings, validation, backoff and logging of a retrying layer (sync and async).

    ``attempts`` counts every try (3: the call and two retries). Before retry ``n`` (1-based) the
    layer waits ``min(max_delay, backoff * 2 ** (n - 1))`` seconds, or with ``jitter`` a uniform
    random time between 0 and that ("full jitter").

    A try that failed with a retryable error (a timeout, a lost connection) may still have done
    its work, so a retry can find it done: see ``_retry_failed``. ``rename`` is never retried.
    """

    store_name: str

    def _set_policy(self, attempts: int, backoff: float, max_delay: float, jitter: bool) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ConfigError(f"attempts must be an integer of at least 1, not {attempts!r}")
        for name, value in (("backoff", backoff), ("max_delay", max_delay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{name} must be a number of seconds >= 0, not {value!r}")
        self.attempts = attempts
        self.backoff = float(backoff)
        self.max_delay = float(max_delay)
        self.jitter = bool(jitter)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.backoff * 2 ** (retry - 1))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling

    def _next_delay(self, error: BaseException, attempt: int, operation: str, key: Optional[str]) -> Optional[float]:
        """After failed try ``attempt``: the delay before the next one, or None to give up."""
        if attempt >= self.attempts or operation in NOT_RETRIED or not is_retryable(error):
            return None
        wait = self.delay(attempt)
        LOGGER.warning(
            "%s: %s%s failed (attempt %d of %d: %s: %s); retrying in %.3f s",
            self.store_name, operation, "" if key is None else f" {key!r}", attempt, self.attempts,
            type(error).__name__, error, wait,
        )
        return wait

    def _retry_failed(self, operation: str, key: Optional[str], error: Exception) -> Optional[Exception]:
        """What a retry's ``error`` means, given that an earlier try may have done the work.

        None (done) for a ``delete`` finding no object: the earlier try may have deleted it. A
        ``put(if_absent=True)`` finding an object raises ``AlreadyExists`` saying that the
        earlier try may have stored it (never success: the object may be another writer's).
        Any other error is ``error``.
        """
        if operation == "delete" and isinstance(error, ObjectNotFound):
            return None
        if operation == "put" and isinstance(error, AlreadyExists):
            ambiguous = AlreadyExists(
                "an object is there, perhaps stored by an earlier try that failed",
                store=self.store_name, operation=operation, key=key,
            )
            ambiguous.__cause__ = error
            return ambiguous
        return error

    def repr_args(self) -> str:
        """The policy."""
        return f"attempts={self.attempts}, backoff={self.backoff}, max_delay={self.max_delay}, jitter={self.jitter}"

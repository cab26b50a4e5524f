"""ConcurrencyLimitStore: at most N operations at once on the wrapped store."""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, Optional, TypeVar

from storage.utils._guarded import GuardedStore
from storage.utils._limiting import LimitRules

__all__ = ["ConcurrencyLimitStore"]

T = TypeVar("T")


class ConcurrencyLimitStore(LimitRules, GuardedStore):
    """Lets at most ``max_concurrency`` operations run at once; the others wait their turn.

    The limit is one ``threading.BoundedSemaphore`` shared by every thread using this store
    instance. A ``keys()`` listing takes a slot for each step (fetching the next key), so a
    listing left unfinished never holds one; a batch (``get_many``, ``put_many``,
    ``delete_many``) takes one slot.
    """

    _transient_attrs: ClassVar[tuple[str, ...]] = ("_slots",)

    def __init__(self, store: Any, max_concurrency: int) -> None:
        super().__init__(store)
        self._set_limit(max_concurrency)
        self._slots = threading.BoundedSemaphore(max_concurrency)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        with self._slots:
            return call()

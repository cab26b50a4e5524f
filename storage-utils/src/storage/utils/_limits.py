"""ConcurrencyLimitStore: at most N operations at once on the wrapped store."""

from __future__ import annotations

import queue
from typing import Any, Callable, ClassVar, Optional, TypeVar

from storage.utils._guarded import GuardedStore
from storage.utils._limiting import LimitRules
from storage.wrapper import passes_values

__all__ = ["ConcurrencyLimitStore"]

T = TypeVar("T")


class ConcurrencyLimitStore(LimitRules, GuardedStore):
    """Lets at most ``max_concurrency`` operations run at once; the others wait their turn.

    The limit is one pool of ``max_concurrency`` slots (a ``queue.SimpleQueue``, whose blocking
    ``get`` is implemented in C) shared by every thread using this store instance.
    A ``keys()`` listing takes a slot for each step (fetching the next key), so a
    listing left unfinished never holds one; a batch (``get_many``, ``put_many``,
    ``delete_many``) takes one slot.
    """

    _transient_attrs: ClassVar[tuple[str, ...]] = ("_slots",)

    def __init__(self, store: Any, max_concurrency: int) -> None:
        super().__init__(store)
        self._set_limit(max_concurrency)
        self._slots = _slot_pool(max_concurrency)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._slots = _slot_pool(self.max_concurrency)

    @passes_values
    def get(self, key: str) -> Any:
        """The wrapped store's ``get``, in a slot."""
        self._check("get")
        slots = self._slots
        slot = slots.get()
        try:
            return self.store.get(key)
        finally:
            slots.put(slot)

    @passes_values
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """The wrapped store's ``put``, in a slot."""
        self._check("put")
        slots = self._slots
        slot = slots.get()
        try:
            self.store.put(key, data, if_absent=if_absent)
        finally:
            slots.put(slot)

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        slots = self._slots
        slot = slots.get()
        try:
            return call()
        finally:
            slots.put(slot)


def _slot_pool(size: int) -> queue.SimpleQueue[int]:
    """A queue holding ``size`` slots: taking one waits while all are taken."""
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for slot in range(size):
        slots.put(slot)
    return slots

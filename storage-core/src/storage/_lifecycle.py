"""The open/closed state machine shared by sync and async stores."""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, TypeVar

from storage._signature import POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, parameters
from storage.capabilities import Capabilities
from storage.errors import StoreClosed

#: Locks the base classes create lazily on an instance (never pickled).
_LOCKS = ("_lifecycle_open_lock", "_lifecycle_conditional_lock")
_LOCK_CREATION = threading.Lock()
_T = TypeVar("_T")

NEW = "new"
OPEN = "open"
CLOSED = "closed"


class LifecycleMixin:
    """State kept by every store; class-level defaults so subclasses may skip ``__init__``."""

    _state: str = NEW
    #: Attributes holding live resources: dropped when pickling, rebuilt on reopen.
    _transient_attrs: ClassVar[tuple[str, ...]] = ()
    #: What the class can do; derived from its overrides unless the class sets it.
    CAPABILITIES: ClassVar[Capabilities] = Capabilities()

    @property
    def capabilities(self) -> Capabilities:
        """What this store can do."""
        return self.CAPABILITIES

    @property
    def closed(self) -> bool:
        """True once ``close()`` has been called (until the store is opened again)."""
        return self._state == CLOSED

    @property
    def store_name(self) -> str:
        """The name used for this store in messages."""
        return type(self).__name__

    def validate_stack(self) -> None:
        """Raise ``ConfigError`` if this store cannot work over the stores it wraps.

        Called by the configuration loader on every store it builds; leaf stores accept anything.
        """

    def _raise_closed(self, operation: str = "") -> None:
        raise StoreClosed(store=self.store_name, operation=operation or None)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in (*self._transient_attrs, *_LOCKS):
            state.pop(name, None)
        state.pop("_state", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def instance_lock(instance: object, name: str, factory: Callable[[], _T]) -> _T:
    """The lock held as attribute ``name`` of ``instance``, made by ``factory`` on first use (once).

    Set as an attribute, never through ``__dict__``: touching an instance's ``__dict__`` makes
    CPython keep its attributes in a real dict, which slows every later attribute read of it.
    """
    lock: Any = getattr(instance, name, None)
    if lock is None:
        with _LOCK_CREATION:
            lock = getattr(instance, name, None)
            if lock is None:
                lock = factory()
                object.__setattr__(instance, name, lock)
    return lock  # type: ignore[no-any-return]


def accepts_prefix(method: Callable[..., Any]) -> bool:
    """True if ``method`` (a ``keys`` implementation) takes a prefix argument."""
    params = parameters(method)
    if params is None:
        return True
    return any(p.kind in (POSITIONAL_OR_KEYWORD, POSITIONAL_ONLY, VAR_POSITIONAL) for p in params[1:])


def derive_capabilities(cls: type) -> None:
    """Set ``cls.CAPABILITIES`` from its overrides unless the class declares it.

    A class that defines ``keys`` itself can list; otherwise it inherits its parent's flags.
    """
    if "CAPABILITIES" in cls.__dict__ or "keys" not in cls.__dict__:
        return
    inherited: Capabilities = cls.CAPABILITIES  # type: ignore[attr-defined]
    cls.CAPABILITIES = inherited.replace(listing=True)  # type: ignore[attr-defined]

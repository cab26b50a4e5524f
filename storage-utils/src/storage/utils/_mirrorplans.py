"""MirroringStore's logic, shared by MirroringStore and AsyncFanoutStore.

Writes (``put``, ``delete``, ``copy``, ``rename``) go to every child (concurrently under the
async driver); if some fail, the error is a ``PartialFailure`` naming the children that failed
and those that succeeded. ``put(if_absent=True)`` is decided by the first child, then
replicated. Reads (``get``, ``exists``, ``stat``, ``get_range``, ``open_read``) try each child in
turn, falling through on ``ObjectNotFound`` and on an unavailable child.
"""

from __future__ import annotations

from typing import Any, Sequence

from storage.errors import ConfigError, ObjectNotFound, PartialFailure, StoreUnavailable
from storage.utils._sansio import Call, Plan

__all__ = ["NATIVE", "MirrorLogic"]

#: Writes that need the key (the source) to exist on a child.
_NEEDS_KEY = frozenset({"delete", "copy", "rename"})

#: What a mirroring store hands to its children as such (the rest is derived: ``open_write``
#: buffers, then puts on every child; ``list_dir`` groups the union of the keys).
NATIVE = frozenset({"stat", "get_range", "open_read", "copy", "rename"})


class MirrorLogic:
    """The plans of a mirroring store named ``name`` over ``children``."""

    def __init__(self, name: str, children: Sequence[Any]) -> None:
        if not children:
            raise ConfigError("a mirroring store needs at least one child store")
        self.name = name
        self.children = list(children)

    def names(self) -> list[str]:
        """How the children are named in errors: their position and store name."""
        return [f"children[{index}] {child.store_name}" for index, child in enumerate(self.children)]

    def put(self, key: str, data: Any, if_absent: bool = False) -> Plan[None]:
        """``put`` on every child; ``if_absent``: on the first child first, then on the others.

        The first child decides a conditional put (``AlreadyExists`` from it stops the write,
        the others are untouched); once it took the object, it is replicated unconditionally.
        """
        if not if_absent:
            return self.write("put", key, data)
        return self._put_if_absent(key, data)

    def _put_if_absent(self, key: str, data: Any) -> Plan[None]:
        yield Call(self.children[0], "put", (key, data), {"if_absent": True})
        yield from self.write("put", key, data, skip=1)

    def write(self, operation: str, key: str, *args: Any, skip: int = 0, **options: Any) -> Plan[None]:
        """``operation`` on every child but the first ``skip`` (already written).

        ``delete``, ``copy`` and ``rename`` (``key`` is the source) skip the children that lack
        the key, and raise ``ObjectNotFound`` if none has it.
        """
        children = self.children[skip:]
        if not children:
            return
        results = yield [Call(child, operation, (key, *args), options) for child in children]
        for result in results:
            if isinstance(result, BaseException):
                break
        else:
            return
        names = self.names()[skip:]
        failed = {name: r for name, r in zip(names, results) if isinstance(r, BaseException)}
        if operation in _NEEDS_KEY:
            absent = [name for name, err in failed.items() if isinstance(err, ObjectNotFound)]
            if len(absent) == len(names):
                raise ObjectNotFound(store=self.name, operation=operation, key=key) from failed[absent[0]]
            for name in absent:
                del failed[name]
        if not failed:
            return
        succeeded = self.names()[:skip] + [name for name, r in zip(names, results) if not isinstance(r, BaseException)]
        first = next(iter(failed.values()))
        if not succeeded and len(failed) == len(names):
            raise first
        raise PartialFailure(
            f"failed on {', '.join(f'{n} ({type(e).__name__}: {e})' for n, e in failed.items())}; "
            f"succeeded on {', '.join(succeeded) or 'none'}",
            failed=failed, succeeded=succeeded, store=self.name, operation=operation, key=key,
        ) from first

    def read(self, operation: str, key: str, *args: Any) -> Plan[Any]:
        """``get``, ``exists``, ``stat``, ``get_range`` or ``open_read`` from the first child that answers."""
        unavailable: list[StoreUnavailable] = []
        for child in self.children:
            try:
                result = yield Call(child, operation, (key, *args))
            except ObjectNotFound:
                continue
            except StoreUnavailable as err:
                unavailable.append(err)
                continue
            if operation != "exists" or result:
                return result
        if unavailable:
            raise StoreUnavailable(
                f"{len(unavailable)} of {len(self.children)} children unavailable and none of the others has it",
                store=self.name, operation=operation, key=key,
            ) from unavailable[0]
        if operation == "exists":
            return False
        raise ObjectNotFound(store=self.name, operation=operation, key=key)

"""MirroringStore's logic, shared by MirroringStore and AsyncFanoutStore.

Writes go to every child (concurrently under the async driver); if some fail, the error is a
``PartialFailure`` naming the children that failed and those that succeeded. Reads try each
child in turn, falling through on ``ObjectNotFound`` and on an unavailable child.
"""

from __future__ import annotations

from typing import Any, Sequence

from storage.errors import ConfigError, ObjectNotFound, PartialFailure, StoreUnavailable
from storage.utils._sansio import Call, Plan

__all__ = ["MirrorLogic"]


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

    def write(self, operation: str, key: str, *args: Any, **options: Any) -> Plan[None]:
        """``put`` or ``delete`` on every child; a delete that finds the key nowhere is ObjectNotFound."""
        results = yield [Call(child, operation, (key, *args), options) for child in self.children]
        names = self.names()
        failed = {name: r for name, r in zip(names, results) if isinstance(r, BaseException)}
        if operation == "delete":
            absent = [name for name, err in failed.items() if isinstance(err, ObjectNotFound)]
            if len(absent) == len(names):
                raise ObjectNotFound(store=self.name, operation=operation, key=key) from failed[absent[0]]
            for name in absent:
                del failed[name]
        if not failed:
            return
        succeeded = [name for name, r in zip(names, results) if not isinstance(r, BaseException)]
        first = next(iter(failed.values()))
        if not succeeded and len(failed) == len(names):
            raise first
        raise PartialFailure(
            f"failed on {', '.join(f'{n} ({type(e).__name__}: {e})' for n, e in failed.items())}; "
            f"succeeded on {', '.join(succeeded) or 'none'}",
            failed=failed, succeeded=succeeded, store=self.name, operation=operation, key=key,
        ) from first

    def read(self, operation: str, key: str) -> Plan[Any]:
        """``get`` or ``exists`` from the first child that answers."""
        unavailable: list[StoreUnavailable] = []
        for child in self.children:
            try:
                result = yield Call(child, operation, (key,))
            except ObjectNotFound:
                continue
            except StoreUnavailable as err:
                unavailable.append(err)
                continue
            if operation == "get" or result:
                return result
        if unavailable:
            raise StoreUnavailable(
                f"{len(unavailable)} of {len(self.children)} children unavailable and none of the others has it",
                store=self.name, operation=operation, key=key,
            ) from unavailable[0]
        if operation == "exists":
            return False
        raise ObjectNotFound(store=self.name, operation=operation, key=key)

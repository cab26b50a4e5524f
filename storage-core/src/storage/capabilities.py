"""What a store can do, as data the loader and the conformance kit read (SPEC §2)."""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple

__all__ = ["Capabilities"]


class Capabilities(NamedTuple):
    """Operations a store supports, and which of them the backend does natively.

    The first four say whether the operation works at all; the ``native_*`` flags say whether
    the backend does it itself rather than through the base class's derived default.
    """

    read: bool = True
    write: bool = True
    delete: bool = True
    listing: bool = True
    native_range: bool = False
    native_conditional_write: bool = False
    native_copy: bool = False
    native_metadata: bool = False

    def replace(self, **changes: Any) -> Capabilities:
        """Return a copy with the given flags changed."""
        return self._replace(**changes)

    def merge_all(self, others: Iterable[Capabilities]) -> Capabilities:
        """Return the flags that this and every one of ``others`` have (logical and)."""
        values = list(self)
        for other in others:
            values = [mine and theirs for mine, theirs in zip(values, other)]
        return Capabilities(*values)

    def names(self) -> list[str]:
        """Return the names of the flags that are set, in declaration order."""
        return [name for name, value in zip(self._fields, self) if value]

"""The pluggy hook specifications of ``storage.plugins`` plugins (SPEC §6).

Kept apart from ``storage.plugins`` so that pluggy is imported only when a hook is used:
``storage.plugins`` re-exports ``hookspec``, ``hookimpl`` and ``HookSpecs`` on first access.
"""

from __future__ import annotations

from typing import Any, Callable, Union

import pluggy

__all__ = ["HookSpecs", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("storage")
hookimpl = pluggy.HookimplMarker("storage")


class HookSpecs:
    """The hooks a ``storage.plugins`` plugin may implement (mark them with ``hookimpl``)."""

    @hookspec
    def storage_register_types(self, register: Callable[[str, Union[type, str]], None]) -> None:
        """Contribute store types: call ``register(name, cls_or_"module:Class")`` for each."""

    @hookspec
    def storage_register_resolvers(self, register: Callable[[str, Callable[[str], str]], None]) -> None:
        """Contribute value resolvers: ``register("secret", fn)`` makes ``${secret:NAME}`` call ``fn("NAME")``."""

    @hookspec
    def storage_store_built(self, name: str, store: Any) -> Any:
        """Observe or wrap each store as a configuration builds it.

        Return a replacement store (typically one wrapping ``store``) or ``None`` to keep it.
        Implementations are applied in turn, each seeing the result of the previous one.
        """

"""Hooks that misbehave on demand, as ``STORAGE_EXAMPLE_CLASH_HOOKS`` says (and are harmless without it).

- ``types``: contributes ``ExampleStore`` (a name storage-example registers as an entry point),
  ``HookNotAStore`` (a class that is no store) and ``HookFunction`` (a function).
- ``misspelt``: implements a hook that does not exist (read when the module is imported).
- ``broken``: the module fails to import.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from storage.plugins import hookimpl

_MODE = os.environ.get("STORAGE_EXAMPLE_CLASH_HOOKS", "")

if _MODE == "broken":
    raise RuntimeError("storage-example-clash hooks are broken on purpose")


class NotAStore:
    """A class with a store's name that is no store: building it must never happen."""

    def __init__(self, **arguments: Any) -> None:
        raise AssertionError("a class that is no store was constructed")


@hookimpl
def storage_register_types(register: Callable[[str, Any], None]) -> None:
    """In mode ``types``, contribute a clashing name and two types that are no store classes."""
    if os.environ.get("STORAGE_EXAMPLE_CLASH_HOOKS") == "types":
        register("ExampleStore", "storage_example_clash.duplicate:DuplicateStore")
        register("HookNotAStore", NotAStore)
        register("HookFunction", print)


if _MODE == "misspelt":

    @hookimpl
    def storage_store_bulit(name: str, store: Any) -> None:
        """A typo of ``storage_store_built``."""

"""Command-line arguments naming objects: ``STORE:KEY`` store addresses and local paths.

An argument is a store address when the part before its first ``:`` (or the whole argument, if it
has no ``:``) names a store of the configuration. ``./x:y``, ``../x`` and ``/abs`` are always
local paths; so is any other argument without ``:``. ``name:rest`` where ``name`` is no store and
no such local file exists is a usage error naming the unknown store.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Collection, Union

from storage.cli._errors import UsageError

__all__ = ["STDIO", "Address", "LocalPath", "StoreAddress", "folder", "join_key", "parse_address", "store_address"]

_LOCAL_STARTS = ("./", "../", "/", "~")

#: The local path naming stdin (as a source) or stdout (as a target); ``./-`` is a file named ``-``.
STDIO = "-"


@dataclass(frozen=True)
class StoreAddress:
    """A key (or prefix) in a store of the configuration."""

    store: str
    key: str

    def __str__(self) -> str:
        return f"{self.store}:{self.key}"


@dataclass(frozen=True)
class LocalPath:
    """A file or folder on the local file system (``-`` for stdin or stdout)."""

    path: str

    def __str__(self) -> str:
        return self.path


Address = Union[StoreAddress, LocalPath]


def _unknown(name: str, text: str, stores: Collection[str]) -> UsageError:
    known = ", ".join(sorted(stores)) or "none"
    return UsageError(f"unknown store {name!r} in {text!r} (stores in the configuration: {known})")


def parse_address(text: str, stores: Collection[str]) -> Address:
    """Read ``text`` as a store address or a local path (see the module docstring)."""
    if text in {STDIO, "."} or text.startswith(_LOCAL_STARTS):
        return LocalPath(text)
    name, colon, key = text.partition(":")
    if name in stores:
        return StoreAddress(name, key)
    if colon and not os.path.exists(text):
        raise _unknown(name, text, stores)
    return LocalPath(text)


def store_address(text: str, stores: Collection[str], *, needs_key: bool) -> StoreAddress:
    """Read ``text`` as ``STORE[:KEY]``; a local path or an unknown store is a usage error."""
    name = text.partition(":")[0]
    if text.startswith(_LOCAL_STARTS) or name not in stores:
        raise _unknown(name, text, stores)
    address = StoreAddress(name, text.partition(":")[2])
    if needs_key and (not address.key or address.key.endswith("/")):
        raise UsageError(f"{text!r} names no object: give STORE:KEY")
    return address


def folder(prefix: str) -> str:
    """``prefix`` as a folder prefix: empty, or ending in ``/`` (``P`` and ``P/`` both mean ``P/``)."""
    return prefix if not prefix or prefix.endswith("/") else f"{prefix}/"


def join_key(target: str, name: str) -> str:
    """The key ``cp`` writes: ``target``, or ``target + name`` when ``target`` is empty or a folder."""
    return target + name if not target or target.endswith("/") else target

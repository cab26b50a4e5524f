"""The commands on single objects and listings: ``ls``, ``cat``, ``put``, ``rm``, ``stat``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from storage.cli._address import STDIO, join_key
from storage.cli._errors import EXIT_FAILED, EXIT_OK, Failed, about, one_line
from storage.cli._output import as_json, binary, info_dict, object_bytes, size_of, write_all
from storage.cli._session import Session
from storage.errors import UnsupportedOperation

__all__ = ["object_info", "run_cat", "run_ls", "run_put", "run_rm", "run_stat"]


def object_info(store: Any, key: str) -> dict[str, Any]:
    """``stat`` of ``key`` as JSON values; the size of ``get`` where the store has no ``stat``."""
    stat = getattr(store, "stat", None)
    if callable(stat):
        try:
            return info_dict(key, stat(key))
        except UnsupportedOperation:
            pass
    return info_dict(key, {"size": size_of(store.get(key))})


def run_ls(session: Session, args: argparse.Namespace) -> int:
    """``ls [-l] [--json] STORE[:PREFIX]``: the keys under a prefix, sorted."""
    address = session.object_address(args.address, needs_key=False)
    store = session.store(address.store)
    with about(f"ls {address}"):
        keys = sorted(store.keys(address.key))
    if not args.long:
        if args.json:
            session.print(as_json(keys))
        else:
            for key in keys:
                session.print(key)
        return EXIT_OK
    infos = []
    for key in keys:
        with about(f"ls {address.store}:{key}"):
            infos.append(object_info(store, key))
    if args.json:
        session.print(as_json(infos))
    else:
        for info in infos:
            session.print(f"{info['size']:>12}  {info['modified'] or '-':<32}  {info['key']}")
    return EXIT_OK


def run_cat(session: Session, args: argparse.Namespace) -> int:
    """``cat STORE:KEY...``: the objects' bytes, unchanged, on stdout."""
    addresses = [session.object_address(text) for text in args.addresses]
    out = binary(session.stdout)
    for address in addresses:
        with about(f"cat {address}"):
            data = session.store(address.store).get(address.key)
        write_all(out, object_bytes(data, str(address)))
    out.flush()
    return EXIT_OK


def run_put(session: Session, args: argparse.Namespace) -> int:
    """``put FILE|- STORE:KEY``: store a file's bytes, or stdin's."""
    address = session.object_address(args.target, needs_key=args.source == STDIO)
    if args.source == STDIO:
        data = binary(sys.stdin).read()
        key = address.key
    else:
        with about(f"put {args.source}"), open(args.source, "rb") as file:
            data = file.read()
        key = join_key(address.key, os.path.basename(args.source.rstrip("/")))
    with about(f"put {address.store}:{key}"):
        session.store(address.store).put(key, data)
    return EXIT_OK


def run_rm(session: Session, args: argparse.Namespace) -> int:
    """``rm STORE:KEY...``: delete each object; a failure is reported and the others still go."""
    addresses = [session.object_address(text) for text in args.addresses]
    status = EXIT_OK
    for address in addresses:
        try:
            with about(f"rm {address}"):
                session.store(address.store).delete(address.key)
        except Failed as err:
            session.stderr.write(f"storage: error: {one_line(str(err))}\n")
            status = EXIT_FAILED
    return status


def run_stat(session: Session, args: argparse.Namespace) -> int:
    """``stat [--json] STORE:KEY``: size, modification time and etag of an object."""
    address = session.object_address(args.address)
    with about(f"stat {address}"):
        info = object_info(session.store(address.store), address.key)
    if args.json:
        session.print(as_json({"store": address.store, **info}))
    else:
        session.print(f"store:    {address.store}")
        for field in ("key", "size", "modified", "etag"):
            value = info[field]
            session.print(f"{field + ':':<9} {'-' if value is None else value}")
    return EXIT_OK

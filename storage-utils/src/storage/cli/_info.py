"""``types`` (the installed store types) and ``check`` (validate a configuration)."""

from __future__ import annotations

import argparse

from storage.cli._errors import EXIT_OK
from storage.cli._output import as_json
from storage.cli._session import Session
from storage.config import load_config, load_store
from storage.explain import explain
from storage.plugins import default_registry

__all__ = ["run_check", "run_types"]


def run_types(session: Session, args: argparse.Namespace) -> int:
    """``types [--json]``: every installed type with its distribution and version; clashes flagged."""
    registry = default_registry()
    types = registry.types()
    conflicts = registry.conflicts()
    if args.json:
        rows = [
            {"name": info.name, "class": info.value, "distribution": info.distribution, "version": info.version,
             "source": info.source, "conflict": name in conflicts}
            for name, info in types.items()
        ]
        session.print(as_json(rows))
        return EXIT_OK
    table = [("TYPE", "DISTRIBUTION", "VERSION", "CLASS")]
    table += [(name + (" !" if name in conflicts else ""), info.distribution, info.version, info.value)
              for name, info in types.items()]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        session.print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    for name, infos in conflicts.items():
        owners = " and ".join(f"{info.distribution} {info.version} ({info.value})" for info in infos)
        session.print(f"! conflict: type {name} is registered by {owners}; configs naming it fail")
    return EXIT_OK


def run_check(session: Session, args: argparse.Namespace) -> int:
    """``check [CONFIG] [--explain]``: build every store of a configuration without opening any."""
    path = args.config_file or session.require_config()
    config = load_config(path)
    built = {str(name): load_store(path, str(name)) for name in config["stores"]}
    if args.explain:
        for name, store in built.items():
            session.print(f"{name}:")
            for line in explain(store).splitlines():
                session.print(f"  {line}")
    main = config.get("main")
    session.print(f"OK: {path}: {len(built)} stores ({', '.join(built)})" + (f", main: {main}" if main else ""))
    return EXIT_OK

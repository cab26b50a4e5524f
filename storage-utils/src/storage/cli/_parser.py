"""The command line: global options, then one command with its own options."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, List, Optional, Tuple

from storage.cli._info import run_check, run_types
from storage.cli._objects import run_cat, run_ls, run_put, run_rm, run_stat
from storage.cli._session import CONFIG_VARIABLE
from storage.cli._transfer import run_cp, run_sync

__all__ = ["build_parser"]

_EPILOG = f"""\
addresses: STORE:KEY names an object of a store of the configuration (--config FILE, or
${CONFIG_VARIABLE}); STORE or STORE:PREFIX a folder of objects. Anything else is a local path; write
./NAME to mean a local file whose name is also a store's. Exit status: 0 success, 1 an operation
failed, 2 usage or configuration error, 130 interrupted, 141 stdout closed by its reader."""


Argument = Tuple[Tuple[str, ...], Dict[str, Any]]


def _json(what: str = "print JSON") -> Argument:
    return ("--json",), {"action": "store_true", "help": what}


def _positional(name: str, metavar: str, **options: Any) -> Argument:
    return (name,), {"metavar": metavar, **options}


#: Each command: name, function, summary, arguments.
_COMMANDS: List[Tuple[str, Callable[..., int], str, List[Argument]]] = [
    ("types", run_types, "list the installed store types", [_json()]),
    ("ls", run_ls, "list the keys of a store (under a prefix)", [
        _positional("address", "STORE[:PREFIX]"),
        (("-l", "--long"), {"action": "store_true", "help": "show size and modification time"}),
        _json(),
    ]),
    ("cat", run_cat, "write objects to stdout, byte for byte", [_positional("addresses", "STORE:KEY", nargs="+")]),
    ("put", run_put, "store a file (or stdin: -) as an object", [
        _positional("source", "FILE|-"), _positional("target", "STORE:KEY"),
    ]),
    ("rm", run_rm, "delete objects", [_positional("addresses", "STORE:KEY", nargs="+")]),
    ("cp", run_cp, "copy an object, or with -r a folder, between stores and local files", [
        _positional("source", "SRC", help="STORE:KEY or a file; - is stdin (-r: STORE:PREFIX or a folder)"),
        _positional("target", "DST", help="STORE:KEY, a file or a folder; - is stdout (-r: STORE:PREFIX or a folder)"),
        (("-r", "--recursive"), {"action": "store_true",
                                 "help": "copy every object under SRC: DIR/a/b to STORE:P/ becomes P/a/b"}),
        _json("print the report of -r as JSON"),
    ]),
    ("sync", run_sync, "make DST hold what SRC holds (copy new and changed objects)", [
        _positional("source", "SRC[:PREFIX]"), _positional("target", "DST[:PREFIX]"),
        (("--delete",), {"action": "store_true", "help": "also delete the objects only DST has"}),
        (("--dry-run", "-n"), {"action": "store_true", "help": "change nothing; report what would change"}),
        _json("print the report as JSON"),
    ]),
    ("stat", run_stat, "show an object's size, modification time and etag", [
        _positional("address", "STORE:KEY"), _json(),
    ]),
    ("check", run_check, "validate a configuration: build every store, open none", [
        _positional("config_file", "CONFIG", nargs="?", help=f"default: --config or ${CONFIG_VARIABLE}"),
        (("--explain",), {"action": "store_true", "help": "show each store tree with its capabilities"}),
    ]),
]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("storage-utils")
    except Exception:
        return "unknown"


def build_parser(version: Optional[str] = None) -> argparse.ArgumentParser:
    """The ``storage`` argument parser; each command's parser sets ``run`` to its function."""
    parser = argparse.ArgumentParser(
        prog="storage", description="List, read, write, copy and sync the stores of a YAML configuration.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE", help=f"the YAML configuration (default: ${CONFIG_VARIABLE})")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar or notes: only results")
    parser.add_argument(
        "--metrics", action="store_true", help="at the end, print the figures of every MetricsStore used (stderr)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version or _version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, run, summary, arguments in _COMMANDS:
        command = commands.add_parser(name, help=summary, description=summary)
        for flags, options in arguments:
            command.add_argument(*flags, **options)
        command.set_defaults(run=run)
    return parser

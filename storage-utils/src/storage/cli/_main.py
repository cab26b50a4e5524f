"""``main()``: run one command and turn every outcome into an exit status and at most one line."""

from __future__ import annotations

import logging
import sys
import traceback
from argparse import Namespace
from typing import Optional, Sequence

from storage.cli._errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PIPE,
    EXIT_USAGE,
    CliError,
    describe_os_error,
    one_line,
)
from storage.cli._metrics import print_metrics
from storage.cli._parser import build_parser
from storage.cli._session import Session
from storage.cli._stdio import messages_on_stderr, reserve_standard_descriptors, silence, stand_in_for_closed_stdio
from storage.errors import ConfigError, StoreError

__all__ = ["main"]


def _fail(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    sys.stderr.write(f"storage: error: {one_line(message)}\n")
    return code


def _warn_of_plugin_failures() -> None:
    """One line on stderr for each hook plugin that failed to import (and was skipped)."""
    from storage.plugins import default_registry

    for failure in default_registry().plugin_failures():
        sys.stderr.write(f"storage: warning: {one_line(failure)}\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``storage`` with ``argv`` (default: the process's arguments); return the exit status.

    The status is the same whether or not stderr can be written to: a message that cannot be
    written is dropped. Nothing is left for the interpreter's flush of stdout or stderr at exit
    to fail on.
    """
    reserve_standard_descriptors()
    with messages_on_stderr():
        try:
            try:
                args = build_parser().parse_args(argv)
            except BrokenPipeError:  # --help or --version into a closed pipe, on Pythons whose argparse lets it out
                silence(sys.stdout)
                return EXIT_PIPE
            stand_in_for_closed_stdio()
            return _run(args)
        finally:
            _settle_stdout()


def _settle_stdout() -> None:
    """Flush what is left for stdout; if it cannot take it (its reader is gone), point it at the null device."""
    try:
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):
        silence(sys.stdout)


def _run(args: Namespace) -> int:
    """Run the command ``args`` names; turn every outcome into an exit status and at most one line on stderr."""
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="storage: %(name)s: %(message)s")
    try:
        with Session(args.config, quiet=args.quiet) as session:
            try:
                code: int = args.run(session, args)
            finally:
                if args.metrics:
                    print_metrics(session.built(), sys.stderr)
                if not args.quiet:
                    _warn_of_plugin_failures()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        silence(sys.stdout)
        return EXIT_PIPE
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write("storage: interrupted\n")
        return EXIT_INTERRUPTED
    except CliError as err:
        return _fail(str(err), err.code, args.debug)
    except ConfigError as err:
        return _fail(f"configuration: {err}", EXIT_USAGE, args.debug)
    except StoreError as err:
        return _fail(str(err), EXIT_FAILED, args.debug)
    except OSError as err:
        return _fail(describe_os_error(err), EXIT_FAILED, args.debug)
    except Exception as err:
        hint = "" if args.debug else " (run with --debug for the traceback)"
        return _fail(f"unexpected {type(err).__name__}: {err}{hint}", EXIT_FAILED, args.debug)

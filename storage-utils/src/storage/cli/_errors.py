"""The command's own errors and exit codes, and the one-line messages it prints."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from storage.errors import ConfigError, StoreError

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PIPE", "EXIT_USAGE", "CliError", "Failed", "UsageError",
           "about", "describe_os_error", "one_line"]

EXIT_OK = 0
#: An operation failed (a missing key, a failed copy, an unreadable file).
EXIT_FAILED = 1
#: The command line or the configuration is wrong.
EXIT_USAGE = 2
#: Stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: stdout was closed by its reader (128 + SIGPIPE), as for a process killed by SIGPIPE.
EXIT_PIPE = 141


class CliError(Exception):
    """An error the command reports as one line and exits with ``code``."""

    code = EXIT_FAILED


class UsageError(CliError):
    """The command line is wrong: an unknown store, a missing key, a bad combination."""

    code = EXIT_USAGE


class Failed(CliError):
    """An operation failed."""

    code = EXIT_FAILED


def one_line(message: str) -> str:
    """``message`` with its line breaks folded into spaces."""
    return " ".join(message.split())


def describe_os_error(err: OSError) -> str:
    """``path: reason`` for a local file error."""
    reason = err.strerror or str(err)
    return f"{os.fsdecode(err.filename)}: {reason}" if err.filename is not None else reason


@contextlib.contextmanager
def about(what: str) -> Iterator[None]:
    """Turn a store or file error raised inside into ``Failed`` whose message starts with ``what``.

    Configuration errors pass through unchanged (they are usage errors).
    """
    try:
        yield
    except ConfigError:
        raise
    except StoreError as err:
        raise Failed(f"{what}: {err}") from err
    except BrokenPipeError:
        raise
    except OSError as err:
        raise Failed(f"{what}: {describe_os_error(err)}") from err

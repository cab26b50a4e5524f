"""The ``storage`` command: list, read, write, copy and sync the stores of a YAML configuration.

``storage [--config FILE] [--debug] [--quiet] COMMAND [options]``; run ``storage --help`` for the
commands. Objects are addressed as ``STORE:KEY`` with the stores of the configuration file
(``--config`` or ``STORAGE_CONFIG``). Exit status: 0 success, 1 an operation failed, 2 a usage or
configuration error, 130 interrupted, 141 stdout closed by its reader. With stderr closed or read by
no one, messages are dropped and the exit status is the same.
"""

from storage.cli._main import main

__all__ = ["main"]

"""What one run of the command shares: the configuration, the stores it built, the output streams."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import IO, Any, Mapping, Optional, TextIO

from storage._base import AsyncObjectStore
from storage.blocking import BlockingStore
from storage.cli._address import Address, StoreAddress, parse_address, store_address
from storage.cli._errors import UsageError
from storage.cli._output import write_all
from storage.config import load_config, load_store

__all__ = ["CONFIG_VARIABLE", "Session"]

#: The environment variable naming the configuration file when ``--config`` is not given.
CONFIG_VARIABLE = "STORAGE_CONFIG"


class Session:
    """The configuration and the stores built from it, closed together by ``close()`` (or ``with``).

    Each store named on the command line is built once, on first use, and opened lazily by its
    first operation. Async stores are driven through a ``BlockingStore`` on the session's own
    event loop.
    """

    def __init__(
        self,
        config_path: Optional[str],
        *,
        quiet: bool = False,
        stdout: Optional[TextIO] = None,
        stderr: Optional[IO[str]] = None,
    ) -> None:
        self.config_path = config_path if config_path is not None else os.environ.get(CONFIG_VARIABLE) or None
        self.quiet = quiet
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self._config: Optional[Mapping[str, Any]] = None
        self._stores: dict[str, Any] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    # Configuration ------------------------------------------------------------------------

    def require_config(self) -> str:
        """The configuration file's path; a usage error if none was given."""
        if not self.config_path:
            raise UsageError(f"no configuration: give --config FILE or set {CONFIG_VARIABLE}")
        return self.config_path

    @property
    def store_names(self) -> list[str]:
        """The names of the stores in the configuration."""
        if self._config is None:
            self._config = load_config(self.require_config())
        return [str(name) for name in self._config["stores"]]

    def address(self, text: str) -> Address:
        """Read a ``STORE:KEY`` or local path argument."""
        return parse_address(text, self.store_names)

    def object_address(self, text: str, *, needs_key: bool = True) -> StoreAddress:
        """Read a ``STORE:KEY`` argument (``STORE[:PREFIX]`` with ``needs_key=False``)."""
        return store_address(text, self.store_names, needs_key=needs_key)

    def store(self, name: str) -> Any:
        """The store named ``name`` in the configuration (built on first use)."""
        if name not in self._stores:
            store = load_store(self.require_config(), name)
            if isinstance(store, AsyncObjectStore):
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                store = BlockingStore(store, self._loop.run_until_complete)
            self._stores[name] = store
        return self._stores[name]

    def built(self) -> list[Any]:
        """The stores built so far, by name order of first use."""
        return list(self._stores.values())

    # Output -------------------------------------------------------------------------------

    @property
    def progress_wanted(self) -> bool:
        """True if long transfers should draw a progress bar (on a terminal, without ``--quiet``)."""
        isatty = getattr(self.stderr, "isatty", None)
        return not self.quiet and bool(isatty and isatty())

    def print(self, text: str = "") -> None:
        """Write a line of results to stdout; a reader that closed it is a ``BrokenPipeError``, buffered or not."""
        out = self.stdout
        write_all(out.buffer, (text + "\n").encode(out.encoding, out.errors or "strict"))
        if out.line_buffering:
            out.buffer.flush()

    def note(self, text: str) -> None:
        """Write an informational line to stderr, unless ``--quiet``."""
        if not self.quiet:
            self.stderr.write(text + "\n")

    # Lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close every store built, the last built first; raise the first failure afterwards."""
        first: Optional[BaseException] = None
        while self._stores:
            _, store = self._stores.popitem()
            try:
                store.close()
            except Exception as err:
                first = first or err
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if first is not None:
            raise first

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: Optional[type], *rest: object) -> None:
        if exc_type is None:
            self.close()
            return
        try:
            self.close()
        except Exception:
            pass

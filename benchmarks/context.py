"""What every benchmark group gets: the run's settings, a scratch directory, peers, the S3 server."""

from __future__ import annotations

import importlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import List, Optional, Tuple

from benchmarks.s3server import MotoServer


@dataclass(frozen=True)
class Settings:
    """How much to measure: ``quick`` shrinks every workload; ``repeats`` is the samples per case."""

    quick: bool = False
    repeats: int = 7

    def size(self, full: int, quick: int) -> int:
        """The workload size for this run."""
        return quick if self.quick else full


class Context:
    """The shared state of one run; ``close()`` stops the S3 server and removes the scratch space."""

    def __init__(self, settings: Settings, scratch_parent: Optional[str] = None, aws: str = "") -> None:
        self.settings = settings
        #: The ``aws`` command (awscli) for the bulk group, or "" if there is none.
        self.aws = aws
        self.scratch = Path(tempfile.mkdtemp(prefix="storage-bench-", dir=scratch_parent))
        self.skipped: List[Tuple[str, str, str]] = []
        self._server: Optional[MotoServer] = None
        self._counter = 0

    @property
    def repeats(self) -> int:
        """Samples per case."""
        return self.settings.repeats

    def directory(self, name: str) -> Path:
        """A new, empty directory under the scratch space."""
        self._counter += 1
        path = self.scratch / f"{self._counter:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def skip(self, group: str, what: str, reason: str) -> None:
        """Record (and print) that ``what`` was not measured, and why."""
        self.skipped.append((group, what, reason))
        print(f"  [skipped] {what}: {reason}", flush=True)

    def peer(self, group: str, module: str, what: str) -> Optional[ModuleType]:
        """Import a peer library, or record why it cannot be measured and return None."""
        try:
            return importlib.import_module(module)
        except ImportError as err:
            self.skip(group, what, f"{module} is not importable ({err}); pip install -r benchmarks/requirements.txt")
            return None

    @property
    def s3(self) -> MotoServer:
        """The moto S3 server of this run, started (in its own process) on first use."""
        if self._server is None:
            self._server = MotoServer.start()
        return self._server

    def close(self) -> None:
        """Stop the server and remove the scratch space."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        shutil.rmtree(self.scratch, ignore_errors=True)

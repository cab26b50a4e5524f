"""Fixtures for the storage command's tests: a configuration of core stores and a runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

import pytest

CONFIG = """\
stores:
  files:
    type: FilesystemStore
    config: {{root_path: "{root}/files"}}
  backup:
    type: FilesystemStore
    config: {{root_path: "{root}/backup"}}
  hashed:
    type: HashdirStore
    config: {{root_path: "{root}/hashed"}}
  memory:
    type: DictStore
  amemory:
    type: AsyncDictStore
  afiles:
    type: AsyncFilesystemStore
    config: {{root_path: "{root}/afiles"}}
main: files
"""

Run = Callable[..., "subprocess.CompletedProcess[bytes]"]


def script_path() -> str:
    """The installed ``storage`` console script next to this interpreter."""
    path = Path(sys.executable).parent / ("storage.exe" if os.name == "nt" else "storage")
    assert path.exists(), f"the storage script is not installed next to {sys.executable}"
    return str(path)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "stores.yaml"
    path.write_text(CONFIG.format(root=tmp_path))
    return path


@pytest.fixture
def env(config: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "STORAGE_CONFIG"}
    environ["STORAGE_CONFIG"] = str(config)
    return environ


@pytest.fixture(params=["module", "script"])
def command(request: pytest.FixtureRequest) -> list[str]:
    """``python -m storage`` and the installed ``storage`` script."""
    return [sys.executable, "-m", "storage"] if request.param == "module" else [script_path()]


@pytest.fixture
def run(env: dict[str, str], tmp_path: Path) -> Run:
    """Run ``python -m storage ARGS`` and return the completed process (bytes output)."""

    def runner(*args: str, input: Optional[bytes] = None, extra_env: Optional[dict[str, str]] = None,
               cwd: Optional[Path] = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "storage", *args], check=False, input=input, capture_output=True,
            env={**env, **(extra_env or {})}, cwd=cwd or tmp_path, timeout=120,
        )

    return runner


def one_error_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single ``storage: error: ...`` line of a failed run (asserting there is just one)."""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("storage: error: "), lines
    assert "Traceback" not in result.stderr.decode()
    return lines[0]

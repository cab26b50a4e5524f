"""The storage command at the edges of a terminal session: progress bar, closed pipes, Ctrl-C."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Run

SLOW_MODULE = """\
import time

from storage.fs import FilesystemStore


class SlowStore(FilesystemStore):
    def get(self, key):
        time.sleep({delay})
        return super().get(key)
"""


#: ``python -m storage`` as started from an interactive shell, where Ctrl-C raises KeyboardInterrupt.
INTERACTIVE_STORAGE = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from storage.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.fixture
def slow_config(tmp_path: Path, config: Path, request: pytest.FixtureRequest) -> Path:
    """The test configuration plus ``slow``: a FilesystemStore over ``files`` whose reads take a while."""
    delay = getattr(request, "param", 0.05)
    (tmp_path / "slowstores.py").write_text(SLOW_MODULE.format(delay=delay))
    path = tmp_path / "slow.yaml"
    path.write_text(config.read_text().replace(
        "stores:\n",
        f'stores:\n  slow:\n    type: "slowstores:SlowStore"\n    config: {{root_path: "{tmp_path}/files"}}\n',
    ))
    return path


def fill(root: Path, count: int) -> None:
    for n in range(count):
        path = root / f"d{n % 7}" / f"object-{n:04d}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%d" % n * 50)


def run_on_pty(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes, str]:
    """Run ``python -m storage ARGS`` with stderr on a pseudo-terminal; return (status, stdout, terminal)."""
    master, slave = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "storage", *args], stdout=subprocess.PIPE, stderr=slave,
                          stdin=subprocess.DEVNULL, env=env, cwd=cwd) as child:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert child.stdout is not None
        stdout = child.stdout.read()
        status = child.wait(timeout=120)
    os.close(master)
    return status, stdout, seen.decode(errors="replace")


def test_progress_bar_on_a_terminal(slow_config: Path, env: dict[str, str], tmp_path: Path) -> None:
    fill(tmp_path / "files", 40)
    status, stdout, terminal = run_on_pty(["--config", str(slow_config), "sync", "slow", "backup"], env, tmp_path)
    assert status == 0, terminal
    assert stdout.decode().startswith("copied 40, updated 0")
    final = terminal.replace("\r\n", "\n").split("\r")[-1]
    assert "40/40 objects" in final and "/s" in final and "ETA 0:00" in final and "[#" in final
    assert "Traceback" not in terminal
    status, stdout, terminal = run_on_pty(["cp", "-r", "files:", "backup:again/"], env, tmp_path)
    assert status == 0 and "40/40 objects" in terminal


def test_no_progress_bar_with_quiet_or_when_piped(env: dict[str, str], tmp_path: Path, run: Run) -> None:
    fill(tmp_path / "files", 5)
    status, stdout, terminal = run_on_pty(["--quiet", "sync", "files", "backup"], env, tmp_path)
    assert status == 0 and terminal == "" and stdout.startswith(b"copied 5")
    result = run("sync", "files", "backup:other")
    assert result.stderr == b"" and result.stdout.startswith(b"copied 5")


def test_broken_pipe_exits_quietly(run: Run, env: dict[str, str], tmp_path: Path) -> None:
    run("put", "-", "files:big", input=os.urandom(4 * 1024 * 1024))
    # Keys long enough that a listing overflows the pipe's buffer (64 KiB) before it is closed.
    fill(tmp_path / "files" / ("a-long-directory-name-" * 4), 3000)
    for args in (["cat", "files:big"], ["ls", "files"], ["ls", "-l", "files"]):
        with subprocess.Popen([sys.executable, "-m", "storage", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, cwd=tmp_path) as child:
            assert child.stdout is not None and child.stderr is not None
            assert len(child.stdout.read(1)) == 1
            child.stdout.close()
            stderr = child.stderr.read()
            status = child.wait(timeout=120)
        assert stderr == b"", (args, stderr)
        assert status == 141, args
    shell = subprocess.run(f"'{sys.executable}' -m storage cat files:big | head -c1", check=False, shell=True,
                           capture_output=True, env=env, cwd=tmp_path, timeout=120)
    assert len(shell.stdout) == 1 and shell.stderr == b""


@pytest.mark.parametrize("slow_config", [0.25], indirect=True)
def test_interrupted_sync_exits_130_and_a_second_run_converges(
    slow_config: Path, env: dict[str, str], tmp_path: Path, run: Run
) -> None:
    fill(tmp_path / "files", 300)
    target = tmp_path / "backup"
    # A shell starting a job in the background (as CI may) leaves SIGINT ignored, and Python keeps an
    # inherited SIG_IGN: start the command with the Ctrl-C handling an interactive user's command has.
    with subprocess.Popen([sys.executable, "-c", INTERACTIVE_STORAGE, "--config", str(slow_config), "sync", "slow",
                           "backup"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path) as child:
        while not (target.exists() and sum(1 for _ in target.rglob("object-*")) >= 10):
            assert child.poll() is None, "the sync ended before it could be interrupted"
            time.sleep(0.02)
        assert child.poll() is None, "the sync ended before it could be interrupted"
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert stderr.decode().splitlines() == ["storage: interrupted"]
    assert stdout == b""
    copied_before = sum(1 for _ in target.rglob("object-*"))
    assert 10 <= copied_before < 300
    second = run("sync", "--json", "files", "backup")
    assert second.returncode == 0
    report = second.stdout.decode()
    assert f'"copied": {300 - copied_before}' in report and f'"unchanged": {copied_before}' in report
    third = run("sync", "files", "backup")
    assert third.stdout.startswith(b"copied 0, updated 0, deleted 0, unchanged 300, failed 0")
    assert sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file()) == sorted(
        p.relative_to(tmp_path / "files") for p in (tmp_path / "files").rglob("*") if p.is_file()
    )

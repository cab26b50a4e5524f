"""The storage command with stdout closed by its reader, and with stdin or stdout closed from the start."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Run, one_error_line

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX pipes and shell redirections")

# Keys long enough that one listing overflows a pipe's buffer (64 KiB) and a reader's first read.
LONG_NAME = "a-long-directory-name-" * 4


def storage_in_shell(
    redirection: str, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m storage ARGS REDIRECTION`` through the shell (for ``>&-`` and ``<&-``)."""
    line = f"{shlex.join([sys.executable, '-m', 'storage', *args])} {redirection}"
    return subprocess.run(line, shell=True, check=False, capture_output=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("args", [["ls", "--json", "files"], ["ls", "files"], ["cat", "files:big"]])
def test_a_reader_closing_stdout_early_exits_141_buffered_or_not(
    run: Run, env: dict[str, str], tmp_path: Path, args: list[str], unbuffered: str
) -> None:
    run("put", "-", "files:big", input=os.urandom(1024 * 1024))
    folder = tmp_path / "files" / LONG_NAME
    folder.mkdir(parents=True)
    for index in range(3000):
        (folder / f"object-{index}").touch()
    with subprocess.Popen([sys.executable, "-m", "storage", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**env, "PYTHONUNBUFFERED": unbuffered}, cwd=tmp_path) as child:
        assert child.stdout is not None and child.stderr is not None
        assert len(child.stdout.read(10)) == 10
        child.stdout.close()
        stderr = child.stderr.read()
        status = child.wait(timeout=120)
    assert (status, stderr) == (141, b"")


@pytest.mark.parametrize("args", [["types"], ["ls", "files"], ["cat", "files:k"], ["stat", "files:k"]])
def test_a_closed_stdout_is_one_error_line_and_exit_1(
    run: Run, env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    run("put", "-", "files:k", input=b"data")
    result = storage_in_shell(">&-", *args, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result) == "storage: error: stdout is closed"


def test_a_command_not_writing_stdout_runs_with_it_closed(env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_bytes(b"data")
    result = storage_in_shell(">&-", "put", str(source), "files:k", env=env, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, b"")
    assert (tmp_path / "files" / "k").read_bytes() == b"data"


@pytest.mark.parametrize("args", [["put", "-", "files:k"], ["cp", "-", "files:k"]])
def test_a_closed_stdin_is_one_error_line_and_exit_1(env: dict[str, str], tmp_path: Path, args: list[str]) -> None:
    result = storage_in_shell("<&-", *args, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert one_error_line(result) == "storage: error: stdin is closed"
    assert not (tmp_path / "files" / "k").exists()


def test_a_command_not_reading_stdin_runs_with_it_closed(run: Run, env: dict[str, str], tmp_path: Path) -> None:
    run("put", "-", "files:k", input=b"data")
    result = storage_in_shell("<&-", "cat", "files:k", env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"data", b"")


def run_into_a_closed_pipe(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``python -m storage ARGS``, stdout buffered, into a pipe whose reader has exited; return (status, stderr)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = subprocess.run([sys.executable, "-m", "storage", *args], check=False, stdout=writer,
                                stderr=subprocess.PIPE, env={**env, "PYTHONUNBUFFERED": ""}, cwd=cwd, timeout=120)
    finally:
        os.close(writer)
    return result.returncode, result.stderr


def test_an_error_after_output_a_closed_stdout_never_took_is_one_line_and_exit_1(
    run: Run, env: dict[str, str], tmp_path: Path
) -> None:
    run("put", "-", "files:k", input=b"data")
    status, stderr = run_into_a_closed_pipe(["cat", "files:k", "files:missing"], env, tmp_path)
    assert status == 1
    assert stderr.decode().splitlines() == [
        f"storage: error: cat files:missing: FilesystemStore({tmp_path}/files): get 'missing': no such object"
    ]


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["ls", "--help"]])
def test_help_into_a_closed_pipe_leaves_nothing_to_fail_at_exit(env: dict[str, str], tmp_path: Path,
                                                                 args: list[str]) -> None:
    assert run_into_a_closed_pipe(args, env, tmp_path) == (0, b"")

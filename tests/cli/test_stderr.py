"""The storage command with stderr closed from the start or read by no one: same exit status, never a traceback."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from .conftest import Run

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX pipes and shell redirections")

#: ``python -m storage`` that appends to the file ``$STORAGE_TEST_ESCAPED`` every exception that escapes the
#: command and every one the interpreter ignores (such as a failed flush of stdout at exit).
WATCHED_STORAGE = """\
import os, runpy, sys, traceback

def log(*lines):
    with open(os.environ["STORAGE_TEST_ESCAPED"], "a") as file:
        file.writelines(lines)

sys.excepthook = lambda kind, error, trace: log(*traceback.format_exception(kind, error, trace))
sys.unraisablehook = lambda unraisable: log("Exception ignored: ", repr(unraisable.exc_value), "\\n")
runpy.run_module("storage", run_name="__main__", alter_sys=True)
"""

#: How stderr is lost: closed from the start (``2>&-``), or a pipe whose reader has exited (stderr buffered
#: by line, or unbuffered as with ``python -u``).
STDERR_GONE = ["closed", "broken", "broken-unbuffered"]


@dataclass
class Outcome:
    """What a run without a usable stderr left behind."""

    status: int
    stdout: bytes
    escaped: str


def run_without_stderr(
    how: str, *args: str, env: dict[str, str], cwd: Path, input: Optional[bytes] = None
) -> Outcome:
    """Run ``python -m storage ARGS`` with stderr lost as ``how`` says (one of ``STDERR_GONE``)."""
    log = cwd / "escaped.log"
    unbuffered = "1" if how.endswith("unbuffered") else ""
    environment = {**env, "STORAGE_TEST_ESCAPED": str(log), "PYTHONUNBUFFERED": unbuffered}
    command = [sys.executable, "-c", WATCHED_STORAGE, *args]
    if how == "closed":
        result = subprocess.run(f"{shlex.join(command)} 2>&-", shell=True, check=False, input=input,
                                capture_output=True, env=environment, cwd=cwd, timeout=120)
        assert result.stderr == b""
    else:
        reader, writer = os.pipe()
        os.close(reader)
        try:
            result = subprocess.run(command, check=False, input=input, stdout=subprocess.PIPE, stderr=writer,
                                    env=environment, cwd=cwd, timeout=120)
        finally:
            os.close(writer)
    return Outcome(result.returncode, result.stdout, log.read_text() if log.exists() else "")


@pytest.fixture
def bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("stores:\n  broken:\n    type: NoSuchType\n")
    return path


@pytest.fixture
def metered_config(tmp_path: Path, config: Path) -> Path:
    """The test configuration plus ``metered``: a MetricsStore over ``files``."""
    path = tmp_path / "metered.yaml"
    path.write_text(config.read_text().replace(
        "stores:\n", "stores:\n  metered: {type: MetricsStore, base: files, config: {name: files}}\n",
    ))
    return path


@pytest.mark.parametrize("how", STDERR_GONE)
@pytest.mark.parametrize(("args", "status"), [
    (["cat", "files:missing"], 1),
    (["--debug", "cat", "files:missing"], 1),
    (["stat", "files:missing"], 1),
    (["rm", "files:missing", "files:gone"], 1),
    (["ls", "nostore"], 2),
    (["--config", "bad.yaml", "ls", "broken"], 2),
    (["check", "bad.yaml"], 2),
    (["--config", "absent.yaml", "ls", "files"], 2),
    (["frobnicate"], 2),
    (["ls"], 2),
])
def test_an_error_without_stderr_keeps_its_exit_status(
    env: dict[str, str], tmp_path: Path, bad_config: Path, how: str, args: list[str], status: int
) -> None:
    outcome = run_without_stderr(how, *args, env=env, cwd=tmp_path)
    assert outcome == Outcome(status, b"", "")


@pytest.mark.parametrize("how", STDERR_GONE)
def test_failed_keys_without_stderr_still_exit_1_with_the_report(
    run: Run, env: dict[str, str], tmp_path: Path, how: str
) -> None:
    run("put", "-", "files:ok", input=b"1")
    run("put", "-", "files:blocked/child", input=b"2")
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "blocked").write_bytes(b"a file where a folder is needed")
    outcome = run_without_stderr(how, "sync", "--json", "files", "backup", env=env, cwd=tmp_path)
    assert (outcome.status, outcome.escaped) == (1, "")
    report = json.loads(outcome.stdout)
    assert report["failed_keys"] == ["blocked/child"] and report["copied"] == 1
    assert (tmp_path / "backup" / "ok").read_bytes() == b"1"


@pytest.mark.parametrize("how", STDERR_GONE)
def test_commands_without_stderr_do_their_work(
    run: Run, env: dict[str, str], tmp_path: Path, metered_config: Path, how: str
) -> None:
    source = tmp_path / "source.txt"
    source.write_bytes(b"from a file")
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "leaf").write_bytes(b"leaf")

    def ok(*args: str, input: Optional[bytes] = None) -> bytes:
        outcome = run_without_stderr(how, *args, env=env, cwd=tmp_path, input=input)
        assert (outcome.status, outcome.escaped) == (0, ""), args
        return outcome.stdout

    assert ok("put", str(source), "files:k") == b""
    assert ok("put", "-", "files:piped", input=b"from stdin") == b""
    assert ok("cat", "files:k", "files:piped") == b"from a filefrom stdin"
    assert ok("ls", "files") == b"k\npiped\n"
    assert ok("cp", "-r", "dir", "backup:copy/").startswith(b"copied 1, ")
    assert (tmp_path / "backup" / "copy" / "sub" / "leaf").read_bytes() == b"leaf"
    assert ok("sync", "--delete", "files", "backup:mirror").startswith(b"copied 2, ")
    assert ok("rm", "files:piped") == b""
    assert ok("--config", str(metered_config), "--metrics", "cat", "metered:k") == b"from a file"
    assert ok("check").startswith(b"OK: ")
    assert ok("--debug", "stat", "--json", "files:k").startswith(b'{"store": "files", "key": "k", "size": 11')
    assert run("ls", "files").stdout == b"k\n"


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_closing_stdout_early_exits_141_with_stderr_also_gone(
    run: Run, env: dict[str, str], tmp_path: Path, unbuffered: str
) -> None:
    run("put", "-", "files:big", input=os.urandom(1024 * 1024))
    reader, writer = os.pipe()
    os.close(reader)
    try:
        with subprocess.Popen([sys.executable, "-m", "storage", "cat", "files:big"], stdout=subprocess.PIPE,
                              stderr=writer, env={**env, "PYTHONUNBUFFERED": unbuffered}, cwd=tmp_path) as child:
            assert child.stdout is not None
            assert len(child.stdout.read(10)) == 10
            child.stdout.close()
            status = child.wait(timeout=120)
    finally:
        os.close(writer)
    assert status == 141


def test_no_file_the_command_opens_takes_the_place_of_a_closed_stderr(env: dict[str, str], tmp_path: Path) -> None:
    check = (
        "import os, sys; from storage.cli import main; status = main(sys.argv[1:]); "
        "sys.exit(status if os.path.samestat(os.fstat(2), os.stat(os.devnull)) else 99)"
    )
    line = f"{shlex.join([sys.executable, '-c', check, 'put', '-', 'files:k'])} 2>&-"
    result = subprocess.run(line, shell=True, check=False, input=b"data", capture_output=True, env=env, cwd=tmp_path,
                            timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert (tmp_path / "files" / "k").read_bytes() == b"data"

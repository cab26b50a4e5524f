"""A writer killed with SIGKILL while it rewrites the archive leaves the previous archive complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from storage.zip import ZipStore

CRASHER = textwrap.dedent(
    """
    import sys, time, zipfile
    from storage.zip import ZipStore
    store = ZipStore(sys.argv[1])
    for batch in range(int(sys.argv[2])):
        store.put_many({f"committed/{batch}/{i}": b"x" * 1000 for i in range(50)})
        store.delete(f"committed/{batch}/0")
        store.flush()
        print(f"flushed {batch}", flush=True)
    original = zipfile.ZipFile.writestr
    calls = []

    def stall(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 20:
            print("inside", flush=True)
            time.sleep(600)
        return original(self, *args, **kwargs)

    zipfile.ZipFile.writestr = stall
    store.put_many({f"doomed/{i}": b"y" * 1000 for i in range(100)})
    store.put("committed/0/1", b"overwritten, never flushed")
    store.close()
    print("unreachable", flush=True)
    """
)


@pytest.mark.parametrize("batches", [0, 3])
def test_writer_killed_mid_rewrite(tmp_path: Path, batches: int) -> None:
    path = tmp_path / "crash.zip"
    command = [sys.executable, "-c", CRASHER, str(path), str(batches)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            lines = [child.stdout.readline().strip() for _ in range(batches + 1)]  # type: ignore[union-attr]
            assert lines == [*(f"flushed {n}" for n in range(batches)), "inside"]
            assert len(os.listdir(tmp_path)) == (2 if batches else 1), "a rewrite is under way"
        finally:
            child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    assert path.exists() == bool(batches)
    with ZipStore(path) as store:
        assert sorted(store.keys()) == sorted(
            f"committed/{batch}/{i}" for batch in range(batches) for i in range(1, 50)
        )
        if batches:
            assert store.get("committed/0/1") == b"x" * 1000
        store.put("after", b"crash")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == batches * 49 + 1

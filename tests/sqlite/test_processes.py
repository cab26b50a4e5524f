"""Several processes writing one database, and a writer killed in the middle of a transaction."""

from __future__ import annotations

import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from storage.db import SqliteStore

WRITER = textwrap.dedent(
    """
    import pickle, sys, threading
    store = pickle.loads(sys.stdin.buffer.read())
    worker = sys.argv[1]

    def write(thread):
        for i in range(250):
            store.put(f"{worker}/{thread}/{i}", f"{worker}-{thread}-{i}".encode())

    threads = [threading.Thread(target=write, args=(t,)) for t in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    """
)

CRASHER = textwrap.dedent(
    """
    import sys, time
    from storage.db import SqliteStore
    store = SqliteStore(sys.argv[1])
    for batch in range(5):
        store.put_many({f"committed/{batch}/{i}": b"x" * 100 for i in range(100)})
        print(f"committed {batch}", flush=True)
    calls = []

    def stall():
        calls.append(1)
        if len(calls) == 50:
            print("inside", flush=True)
            time.sleep(600)
        return 0

    store._connection.set_progress_handler(stall, 100)
    store.put_many({f"doomed/{i}": b"y" * 100 for i in range(100_000)})
    print("unreachable", flush=True)
    """
)


def test_four_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    payload = pickle.dumps(SqliteStore(path))
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{n}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for n in range(4)
    ]
    results = [child.communicate(payload) for child in children]
    for child, (_, err) in zip(children, results):
        assert child.returncode == 0, err.decode()
        assert b"locked" not in err
    with SqliteStore(path) as store:
        keys = list(store.keys())
        assert len(keys) == 2000
        assert store.get("w3/1/249") == b"w3-1-249"


def test_writer_killed_mid_transaction(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    with subprocess.Popen([sys.executable, "-c", CRASHER, str(path)], stdout=subprocess.PIPE, text=True) as child:
        try:
            lines = [child.stdout.readline().strip() for _ in range(6)]  # type: ignore[union-attr]
            assert lines == [*(f"committed {n}" for n in range(5)), "inside"]
        finally:
            child.send_signal(signal.SIGKILL)
    assert child.returncode == -signal.SIGKILL
    with SqliteStore(path) as store:
        assert len(list(store.keys("committed/"))) == 500
        assert list(store.keys("doomed/")) == []
        assert store.get("committed/4/99") == b"x" * 100
        store.put("after", b"crash")
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()

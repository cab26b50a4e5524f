"""Writers killed with SIGKILL at random moments never leave a damaged store behind.

Each cycle starts a child that opens the store, writes reproducible commits (``crash_commits``)
and acknowledges each one; it is killed a random few milliseconds after it is ready. The store
must then open and hold exactly the state after the last acknowledged commit, or after the one
in flight: every key its old or its new complete value, and nothing else listed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from tests.reliability._figures import Figures
from tests.reliability._workload import CRASH_KEYS, State, apply, crash_commits, encode, make_store, read_state

from storage.validation import RESERVED_SEGMENT_PREFIX

CHILD = str(Path(__file__).with_name("_children.py"))
KILLS = 30
#: Where each store lives in the test's directory.
LOCATIONS = {"fs": "root", "sqlite": "store.db", "zip": "store.zip"}


def seed_store(kind: str, path: str) -> State:
    """Give every key generation 0, so each cycle has old values to lose."""
    store = make_store(kind, path)
    with store:
        for key in CRASH_KEYS:
            store.put(key, encode(key, 0))
    return {key: 0 for key in CRASH_KEYS}


def run_and_kill(kind: str, path: str, cycle: int, rng: random.Random) -> List[str]:
    """Start a writer, kill it a random 2-100 ms after it is ready; return its acknowledgements."""
    child = subprocess.Popen(
        [sys.executable, CHILD, "crash", kind, path, str(cycle)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    with child.stdout, child.stderr:
        ready = child.stdout.readline().strip()
        if ready == "ready":
            try:
                child.wait(timeout=rng.uniform(0.002, 0.1))
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
        else:
            child.kill()
        child.wait()
        acks = child.stdout.read().split()
        assert ready == "ready", f"writer did not start: {ready!r} {child.stderr.read()}"
        assert child.returncode == -signal.SIGKILL, f"writer ended by itself: {child.stderr.read()}"
    return acks


def observe(kind: str, path: str) -> State:
    """Open the store as a new user would and read every key it lists."""
    store = make_store(kind, path)
    with store:
        state = read_state(store)
    listed = set(state)
    assert not {key for key in listed if RESERVED_SEGMENT_PREFIX in key}, "a temporary file is listed"
    assert listed <= set(CRASH_KEYS), f"unexpected keys {sorted(listed - set(CRASH_KEYS))}"
    return state


def lost_objects(observed: State, old: State, new: State) -> int:
    """How many keys hold neither their old nor their new value."""
    return sum(observed.get(key) not in (old.get(key), new.get(key)) for key in CRASH_KEYS)


@pytest.mark.parametrize("kind", ["fs", "sqlite", "zip"])
def test_killed_writers_leave_old_or_new_values(kind: str, tmp_path: Path, figures: Figures) -> None:
    path = str(tmp_path / LOCATIONS[kind])
    state = seed_store(kind, path)
    rng = random.Random(f"crash-{kind}")
    acknowledged = 0
    for cycle in range(1, KILLS + 1):
        acks = run_and_kill(kind, path, cycle, rng)
        assert acks == [str(n) for n in range(len(acks))]
        commits = crash_commits(cycle, batched=kind == "zip")
        old = state
        for _ in acks:
            old = apply(old, next(commits))
        new = apply(old, next(commits))
        observed = observe(kind, path)
        lost = lost_objects(observed, old, new)
        figures.lost += lost
        assert lost == 0, f"cycle {cycle}: {observed} is neither {old} nor {new}"
        assert observed in (old, new), "a batch was committed in part"
        figures.kills += 1
        acknowledged += len(acks)
        state = observed
    leftovers = [name for _, _, files in os.walk(tmp_path) for name in files if RESERVED_SEGMENT_PREFIX in name]
    print(f"{kind}: {KILLS} kills, {acknowledged} commits acknowledged, {len(leftovers)} stale temporary files")

"""Child processes of the reliability tests, run as ``python _children.py ROLE ...``.

``crash KIND PATH CYCLE``: write the ops of ``crash_commits(CYCLE)`` for ever, printing
``ready`` once the store is open and the number of each commit once it returned; the parent
kills it with SIGKILL at a random moment.

``mixed KIND PATH PROCESS PROCESSES THREADS OPS SEED``: after ``ready``, wait for a line on stdin,
then run ``THREADS`` threads of ``OPS`` mixed puts, gets, deletes and listings on one store, and print
what they did as JSON.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from typing import Any, Dict, List, Optional

from _workload import (
    GENERATION_SPAN,
    HOT_KEYS,
    TornValue,
    crash_commits,
    decode,
    encode,
    make_store,
    own_keys,
)

from storage.errors import ObjectNotFound


def crash(kind: str, path: str, cycle: str) -> None:
    """Write until killed, acknowledging each commit on stdout."""
    store = make_store(kind, path)
    store.open()
    print("ready", flush=True)
    for number, ops in enumerate(crash_commits(int(cycle), batched=kind == "zip")):
        for operation, key, gen in ops:
            if operation == "put":
                store.put(key, encode(key, gen))
            else:
                try:
                    store.delete(key)
                except ObjectNotFound:
                    pass
        if kind == "zip":
            store.flush()
        print(number, flush=True)


class Writer:
    """One thread's share of the mixed workload, and what it saw."""

    def __init__(self, store: Any, writer: int, writers: int, ops: int, seed: int) -> None:
        self.store = store
        self.writer = writer
        self.ops = ops
        self.rng = random.Random(seed * 1000 + writer)
        self.own: Dict[str, Optional[int]] = {key: None for key in own_keys(writer)}
        self.readable = [key for other in range(writers) for key in own_keys(other)] + list(HOT_KEYS)
        self.hot_last: Dict[str, Optional[int]] = {}
        self.errors: List[str] = []
        self.torn = 0
        self.done = 0

    def run(self) -> None:
        """Run every op, recording errors instead of stopping."""
        for counter in range(self.ops):
            try:
                self.step(self.writer * GENERATION_SPAN + counter)
            except TornValue as err:
                self.torn += 1
                self.errors.append(f"torn read: {err}")
            except Exception as err:
                self.errors.append(f"{type(err).__name__}: {err}")
            self.done += 1

    def step(self, gen: int) -> None:
        """One op chosen at random: put/delete an own or hot key, get any key, or list."""
        roll = self.rng.random()
        if roll < 0.3:
            key = self.rng.choice(list(self.own))
            self.store.put(key, encode(key, gen))
            self.own[key] = gen
        elif roll < 0.45:
            key = self.rng.choice(HOT_KEYS)
            self.store.put(key, encode(key, gen))
            self.hot_last[key] = gen
        elif roll < 0.55:
            key = self.rng.choice(list(self.own))
            self.delete(key, may_be_absent=self.own[key] is None)
            self.own[key] = None
        elif roll < 0.62:
            key = self.rng.choice(HOT_KEYS)
            self.delete(key, may_be_absent=True)
            self.hot_last[key] = None
        elif roll < 0.95:
            self.read(self.rng.choice(self.readable))
        else:
            listed = list(self.store.keys("hot/"))
            if not set(listed) <= set(HOT_KEYS):
                raise AssertionError(f"keys('hot/') listed {sorted(set(listed) - set(HOT_KEYS))}")

    def delete(self, key: str, may_be_absent: bool) -> None:
        """Delete ``key``; ``ObjectNotFound`` is expected only where a racing delete could cause it."""
        try:
            self.store.delete(key)
        except ObjectNotFound:
            if not may_be_absent:
                raise

    def read(self, key: str) -> None:
        """Get ``key``: whole values only, and this writer's own keys exactly as it left them."""
        try:
            gen: Optional[int] = decode(key, self.store.get(key))
        except ObjectNotFound:
            gen = None
        if key in self.own and gen != self.own[key]:
            raise AssertionError(f"{key!r}: read generation {gen}, wrote {self.own[key]}")


def mixed(kind: str, path: str, process: str, processes: str, threads: str, ops: str, seed: str) -> None:
    """Run the threads of one process on one store and report as JSON."""
    count = int(threads)
    store = make_store(kind, path)
    store.open()
    workers = [
        Writer(store, int(process) * count + n, int(processes) * count, int(ops), int(seed)) for n in range(count)
    ]
    print("ready", flush=True)
    sys.stdin.readline()
    running = [threading.Thread(target=worker.run) for worker in workers]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    store.close()
    report = {
        "ops": sum(worker.done for worker in workers),
        "errors": [error for worker in workers for error in worker.errors],
        "torn": sum(worker.torn for worker in workers),
        "own": {key: gen for worker in workers for key, gen in worker.own.items()},
        "hot_last": [worker.hot_last for worker in workers],
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    {"crash": crash, "mixed": mixed}[sys.argv[1]](*sys.argv[2:])

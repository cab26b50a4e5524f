"""What the reliability tests and their child processes share: self-verifying values and plans.

``_children.py`` imports this module by path in the child processes, so it needs nothing but
the standard library and the store distributions.
"""

from __future__ import annotations

import hashlib
import importlib
import random
from typing import Any, Dict, Iterator, List, Optional, Tuple

DIGEST = 32
SEPARATOR = b"\x1f"
#: The stores the crash and concurrency tests write, by the short name the children take.
STORE_TYPES = {"fs": "storage.fs:FilesystemStore", "sqlite": "storage.db:SqliteStore", "zip": "storage.zip:ZipStore"}
#: The keys a crash writer changes: nested, so directories are created and pruned too.
CRASH_KEYS = tuple(f"crash/{i % 4}/{i:02d}" for i in range(16))
#: Keys every concurrent writer puts, reads and deletes.
HOT_KEYS = tuple(f"hot/{i}" for i in range(4))
#: Keys each concurrent writer owns (others only read them).
OWN_KEYS_PER_WRITER = 6
#: Generations are ``owner * GENERATION_SPAN + counter``, so no two writes share one.
GENERATION_SPAN = 1_000_000

Op = Tuple[str, str, int]
State = Dict[str, int]


class TornValue(ValueError):
    """A value that is not one some writer wrote whole for this key."""


def size_for(gen: int, largest: int = 48 * 1024) -> int:
    """A size from 16 bytes to ``largest`` that depends only on ``gen``."""
    return 16 + (gen * 7919) % largest


def encode(key: str, gen: int, size: Optional[int] = None) -> bytes:
    """The complete value of generation ``gen`` of ``key``: header, payload, SHA-256 of both."""
    size = size_for(gen) if size is None else size
    name = key.encode("utf-8", "surrogatepass")
    header = SEPARATOR.join([name, str(gen).encode(), str(size).encode()]) + SEPARATOR
    seed = hashlib.sha256(header).digest()
    body = header + (seed * (size // DIGEST + 1))[:size]
    return body + hashlib.sha256(body).digest()


def decode(key: str, data: Any) -> int:
    """Return the generation ``data`` holds for ``key``; ``TornValue`` if it is not whole."""
    data = bytes(data)
    body, digest = data[:-DIGEST], data[-DIGEST:]
    if len(data) <= DIGEST or hashlib.sha256(body).digest() != digest:
        raise TornValue(f"{key!r}: checksum mismatch ({len(data)} bytes)")
    fields = body.split(SEPARATOR, 3)
    if len(fields) != 4 or fields[0] != key.encode("utf-8", "surrogatepass"):
        raise TornValue(f"{key!r}: value belongs to another key")
    gen = int(fields[1])
    if encode(key, gen, int(fields[2])) != data:
        raise TornValue(f"{key!r}: payload does not match generation {gen}")
    return gen


def make_store(kind: str, path: str) -> Any:
    """Build the store ``kind`` (a key of ``STORE_TYPES``) at ``path``."""
    module, _, name = STORE_TYPES[kind].partition(":")
    return getattr(importlib.import_module(module), name)(path)


def crash_commits(cycle: int, batched: bool) -> Iterator[List[Op]]:
    """The endless, reproducible writes of crash cycle ``cycle``, one list of ops per commit.

    Unbatched stores commit each op; a batched store (zip) commits 1-6 ops with one ``flush()``.
    """
    rng = random.Random(cycle)
    index = 0
    while True:
        ops = []
        for _ in range(rng.randint(1, 6) if batched else 1):
            index += 1
            operation = "delete" if rng.random() < 0.15 else "put"
            ops.append((operation, rng.choice(CRASH_KEYS), cycle * GENERATION_SPAN + index))
        yield ops


def apply(state: State, ops: List[Op]) -> State:
    """Return ``state`` (key -> generation) after ``ops``; deleting an absent key changes nothing."""
    after = dict(state)
    for operation, key, gen in ops:
        if operation == "put":
            after[key] = gen
        else:
            after.pop(key, None)
    return after


def own_keys(writer: int) -> List[str]:
    """The keys that only ``writer`` changes in the concurrency test."""
    return [f"own/{writer}/{i}" for i in range(OWN_KEYS_PER_WRITER)]


def read_state(store: Any) -> State:
    """Read every key of ``store`` and decode it (``TornValue`` on a damaged one)."""
    return {key: decode(key, store.get(key)) for key in list(store.keys())}

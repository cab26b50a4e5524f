"""Memory: DictStore against dict operations, and what each pass-through decorator layer adds over DictStore.

Layers that map keys or values, or call two stores, are measured in ``benchmarks.layerwork``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, List

from benchmarks.context import Context
from benchmarks.harness import Comparison, Target, compare, over_keys

GROUP = "memory"
DISTINCT_KEYS = 1000
STACK_DEPTH = 5


def _quiet_logger() -> logging.Logger:
    logger = logging.getLogger("benchmarks.quiet")
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    return logger


def _layers() -> list[tuple[str, Callable[[Any], Any], float, tuple[str, ...]]]:
    """(label, wrap, target ns, operations) for each single decorator measured over DictStore."""
    from storage import utils

    quiet = _quiet_logger()
    return [
        ("IdentityStore", utils.IdentityStore, 150, ("get", "put")),
        ("PrefixStore('p/')", lambda store: utils.PrefixStore(store, "p/"), 150, ("get", "put")),
        ("LoggingStore (INFO off)", lambda store: utils.LoggingStore(store, logger=quiet), 100, ("get", "put")),
        (
            "ExceptionLoggingStore (INFO off)",
            lambda store: utils.ExceptionLoggingStore(store, logger=quiet),
            150,
            ("get", "put"),
        ),
        ("NotifyingStore (no handler)", utils.NotifyingStore, 150, ("put",)),
        ("ReadonlyStore", utils.ReadonlyStore, 150, ("get",)),
        ("WriteonlyStore", utils.WriteonlyStore, 150, ("put",)),
        ("MetricsStore", utils.MetricsStore, 150, ("get", "put")),
        ("RetryStore", utils.RetryStore, 150, ("get", "put")),
        ("ConcurrencyLimitStore(4)", lambda store: utils.ConcurrencyLimitStore(store, 4), 150, ("get", "put")),
        ("TimeoutStore(30)", lambda store: utils.TimeoutStore(store, 30), 150, ("get",)),
    ]


def run(context: Context) -> List[Comparison]:
    """Measure the memory group."""
    from storage.object import DictStore
    from storage.utils import IdentityStore

    repeats = context.repeats
    operations = context.settings.size(200_000, 20_000)
    distinct = [f"key-{index:06d}" for index in range(DISTINCT_KEYS)]
    keys = (distinct * (operations // DISTINCT_KEYS + 1))[:operations]
    value = b"x" * 100
    raw_dict = dict.fromkeys(distinct, value)
    store = DictStore(dict.fromkeys(distinct + [f"p/{key}" for key in distinct], value))
    store.open()
    peers: list[tuple[str, Any]] = []
    minimalkv = context.peer(GROUP, "minimalkv.memory", "minimalkv DictStore")
    if minimalkv is not None:
        peer = minimalkv.DictStore()
        for key in distinct:
            peer.put(key, value)
        peers.append(("minimalkv DictStore", peer))

    results = []
    for operation, raw_label, raw_call, value_or_none in (
        ("get", "dict.__getitem__", raw_dict.__getitem__, None),
        ("put", "dict.__setitem__", raw_dict.__setitem__, value),
    ):
        own = over_keys(getattr(store, operation), keys, value_or_none)
        subjects = [("DictStore", own, True, Target("ratio", 2.5))]
        subjects += [
            (label, over_keys(getattr(peer, operation), keys, value_or_none), False, None) for label, peer in peers
        ]
        results.append(
            compare(
                GROUP,
                f"{operation} (100 B, {DISTINCT_KEYS} keys)",
                (raw_label, over_keys(raw_call, keys, value_or_none)),
                subjects,
                repeats,
                note="each a call of a bound method in the same loop",
            )
        )

    for operation, value_or_none in (("get", None), ("put", value)):
        subjects = []
        for label, wrap, limit, operations_measured in _layers():
            if operation in operations_measured:
                layered = wrap(store)
                layered.open()
                subjects.append(
                    (
                        label,
                        over_keys(getattr(layered, operation), keys, value_or_none),
                        True,
                        Target("added_ns", limit),
                    )
                )
        stack: Any = store
        for _ in range(STACK_DEPTH):
            stack = IdentityStore(stack)
        stack.open()
        subjects.append(
            (
                f"{STACK_DEPTH} x IdentityStore",
                over_keys(getattr(stack, operation), keys, value_or_none),
                True,
                Target("added_ns", 150, layers=STACK_DEPTH),
            )
        )
        results.append(
            compare(
                GROUP,
                f"decorator layers: {operation}",
                ("DictStore", over_keys(getattr(store, operation), keys, value_or_none)),
                subjects,
                repeats,
                note="ns added per operation over DictStore",
            )
        )
    return results

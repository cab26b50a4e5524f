"""``--metrics``: the figures of every MetricsStore in the store trees a command used."""

from __future__ import annotations

from typing import IO, Any, Iterable

from storage.explain import walk
from storage.utils import format_metrics

__all__ = ["print_metrics"]


def print_metrics(stores: Iterable[Any], stream: IO[str]) -> None:
    """Write ``format_metrics`` of each distinct store below ``stores`` that keeps metrics."""
    seen: set[int] = set()
    for root in stores:
        for store in walk(getattr(root, "inner", root)):
            snapshot = getattr(store, "snapshot", None)
            if id(store) in seen or not callable(snapshot) or not hasattr(store, "metrics"):
                continue
            seen.add(id(store))
            stream.write(format_metrics(snapshot()) + "\n")

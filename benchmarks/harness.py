"""The timing harness: interleaved repeats, medians, and comparisons against a raw baseline.

Every measurement is a callable that does one repeat and returns the seconds it measured (so it
can leave its own setup untimed). The cases of one comparison run round-robin, in a rotating
order, so that a noisy moment of the machine falls on all of them alike.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

Measure = Callable[[], float]


def timed(function: Callable[[], object], operations: int = 1) -> float:
    """Run ``function`` once with the garbage collector paused; return seconds per operation."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        function()
        elapsed = time.perf_counter_ns() - start
    finally:
        if enabled:
            gc.enable()
    return elapsed / 1e9 / operations


def interleave(cases: Dict[str, Measure], repeats: int) -> Dict[str, List[float]]:
    """Run every case ``repeats`` times, round-robin, each round starting one case later."""
    samples: Dict[str, List[float]] = {label: [] for label in cases}
    labels = list(cases)
    for round_number in range(repeats):
        shift = round_number % len(labels)
        for label in labels[shift:] + labels[:shift]:
            samples[label].append(cases[label]())
    return samples


@dataclass(frozen=True)
class Target:
    """What a comparison must reach, and how its figure is computed from (value, raw).

    ``kind`` is ``"ratio"`` (value/raw at most ``limit``), ``"throughput"`` (raw/value, i.e. our
    throughput over raw throughput, at least ``limit``), ``"added_ns"`` (value-raw in ns at most
    ``limit``, divided among ``layers``) or ``"mib"`` (the value itself, in MiB, at most ``limit``).
    """

    kind: str
    limit: float
    #: For ``"added_ns"``: the number of layers the added time is shared by.
    layers: int = 1
    #: The label of the entry to compare with instead of the raw call ("" for the raw call).
    against: str = ""

    def figure(self, value: float, raw: float) -> float:
        """The number the target is judged on."""
        if self.kind == "ratio":
            return value / raw
        if self.kind == "throughput":
            return raw / value
        if self.kind == "added_ns":
            return (value - raw) * 1e9 / self.layers
        return value

    def met(self, value: float, raw: float) -> bool:
        """True if the target is reached."""
        figure = self.figure(value, raw)
        return figure >= self.limit if self.kind == "throughput" else figure <= self.limit

    def describe(self) -> str:
        """The target as the tables show it."""
        if self.kind == "ratio":
            return f"<= {self.limit:g}x" + (f" {self.against}" if self.against else "")
        if self.kind == "throughput":
            return f">= {self.limit:g}x throughput"
        if self.kind == "added_ns":
            over = f" over {self.against}" if self.against else ""
            return f"<= {self.limit:g} ns added" + (" per layer" if self.layers > 1 else "") + over
        return f"<= {self.limit:g} MiB"

    def show(self, figure: float) -> str:
        """A figure in the target's unit."""
        if self.kind in ("ratio", "throughput"):
            return f"{figure:.2f}x"
        if self.kind == "added_ns":
            return f"{figure:+.0f} ns"
        return f"{figure:.1f} MiB"


@dataclass
class Entry:
    """One measured subject of a comparison: its label, samples, and whether it is our code."""

    label: str
    samples: List[float]
    ours: bool = False
    targets: Sequence[Target] = ()

    @property
    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)


@dataclass
class Comparison:
    """One operation measured for the raw call and for each subject, in one run.

    ``unit`` is ``"time"`` (samples are seconds per operation), ``"mib"`` (samples are MiB) or
    ``"times"`` (samples are quotients of two times measured back to back).
    """

    group: str
    operation: str
    raw: Entry
    entries: List[Entry] = field(default_factory=list)
    unit: str = "time"
    note: str = ""

    def ratio(self, entry: Entry) -> float:
        """The entry's median over the raw median (infinite over a zero)."""
        return entry.median / self.raw.median if self.raw.median else float("inf")

    def reference(self, target: Target) -> float:
        """The median the target compares with: the raw call's, or the named entry's."""
        if not target.against:
            return self.raw.median
        return next(entry.median for entry in self.entries if entry.label == target.against)

    def verdicts(self) -> List[tuple[Entry, Target, float, bool]]:
        """(entry, target, figure, met) for every target of every entry."""
        return [
            (
                entry,
                target,
                target.figure(entry.median, self.reference(target)),
                target.met(entry.median, self.reference(target)),
            )
            for entry in self.entries
            for target in entry.targets
        ]


Targets = Union[Target, Sequence[Target], None]
#: What ``compare`` measures beside the raw call: (label, measure, ours, targets).
Subject = Tuple[str, Measure, bool, Targets]


def _targets(targets: Targets) -> Sequence[Target]:
    if targets is None:
        return ()
    return (targets,) if isinstance(targets, Target) else tuple(targets)


def compare(
    group: str,
    operation: str,
    raw: tuple[str, Measure],
    subjects: Sequence[Subject],
    repeats: int,
    unit: str = "time",
    note: str = "",
) -> Comparison:
    """Measure ``raw`` and each ``(label, measure, ours, targets)`` subject interleaved; return the comparison."""
    cases = {raw[0]: raw[1], **{label: measure for label, measure, _, _ in subjects}}
    samples = interleave(cases, repeats)
    return Comparison(
        group=group,
        operation=operation,
        raw=Entry(raw[0], samples[raw[0]]),
        entries=[Entry(label, samples[label], ours, _targets(targets)) for label, _, ours, targets in subjects],
        unit=unit,
        note=note,
    )


def format_value(value: float, unit: str) -> str:
    """A median as the tables show it: an adaptive time unit, MiB, or a quotient."""
    if unit == "mib":
        return f"{value:.1f} MiB"
    if unit == "times":
        return f"{value:.2f}x"
    for limit, factor, suffix in ((1e-6, 1e9, "ns"), (1e-3, 1e6, "us"), (1.0, 1e3, "ms")):
        if abs(value) < limit:
            return f"{value * factor:.3g} {suffix}"
    return f"{value:.3g} s"


def over_keys(call: Callable[..., Any], keys: List[str], value: Any = None) -> Measure:
    """A measure calling ``call(key)`` (or ``call(key, value)``) once per key, per call."""
    if value is None:

        def calls() -> None:
            for key in keys:
                call(key)
    else:

        def calls() -> None:
            for key in keys:
                call(key, value)

    return lambda: timed(calls, len(keys))

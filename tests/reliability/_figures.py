"""The figures the reliability suite collects over a session and prints at its end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figures:
    """Counts added to by every reliability test."""

    kills: int = 0
    concurrent_ops: int = 0
    faults: int = 0
    bad_inputs: int = 0
    lost: int = 0

    def summary(self) -> str:
        """The one summary line."""
        return (
            f"reliability: kills survived {self.kills}, concurrent operations {self.concurrent_ops}, "
            f"faults injected {self.faults}, bad inputs tried {self.bad_inputs}, objects lost {self.lost}"
        )

"""A one-line progress bar for long transfers, drawn on a terminal: objects, bytes, rate, ETA."""

from __future__ import annotations

import os
import time
from typing import IO, Callable

from storage.cli._output import human_duration, human_size
from storage.utils import CopyReport

__all__ = ["ProgressBar"]

#: Redraw at most this often (seconds); the last state is always drawn by ``finish()``.
_INTERVAL = 0.1
#: The width assumed for a terminal that does not tell its size.
_DEFAULT_COLUMNS = 80


class ProgressBar:
    """Called after each key as a copy/sync ``progress`` callback; redraws one line of ``stream``.

    ``total`` is the number of objects listed beforehand; ``bytes_done`` returns the bytes read
    so far. The rate is bytes per second; the ETA extrapolates the time per object.
    """

    def __init__(
        self,
        stream: IO[str],
        total: int,
        bytes_done: Callable[[], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.bytes_done = bytes_done
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._drawn_at = float("-inf")
        self._shown = False

    def __call__(self, key: str, outcome: str, report: CopyReport) -> None:
        """Count one more object; redraw if the last drawing is old enough."""
        self.done = report.total
        now = self.clock()
        if now - self._drawn_at >= _INTERVAL:
            self._drawn_at = now
            self.draw()

    def line(self, width: int) -> str:
        """The progress line, at most ``width`` characters."""
        total = max(self.total, self.done)
        elapsed = max(self.clock() - self.started, 1e-9)
        read = self.bytes_done()
        if self.done and total > self.done:
            eta = human_duration(elapsed / self.done * (total - self.done))
        else:
            eta = "0:00" if self.done else "--:--"
        counts = (f" {self.done}/{total} objects  {human_size(read)}  {human_size(read / elapsed)}/s  ETA {eta}")
        bar_width = min(30, width - len(counts) - 2)
        if bar_width < 5:
            return counts.strip()[:width]
        filled = bar_width if total == 0 else bar_width * self.done // total
        return f"[{'#' * filled}{'.' * (bar_width - filled)}]{counts}"

    def draw(self) -> None:
        """Redraw the line in place."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
        width = (columns if columns > 0 else _DEFAULT_COLUMNS) - 1
        self.stream.write(f"\r{self.line(width)}\x1b[K")
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self.draw()
        self.stream.write("\n")
        self.stream.flush()

    def abandon(self) -> None:
        """End the line (if one was drawn) so that a message can follow, e.g. after Ctrl-C."""
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()

"""The standard streams when they are closed from the start or broken on the way.

stdin or stdout closed from the start stand in as streams whose use is ``Failed``; stderr is only
ever written to through ``Messages``, which drops what cannot be written; a stream that failed is
pointed at the null device so that the interpreter's flush at exit cannot fail on it again.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import IO, Any, Iterator, Optional, TextIO, cast

from storage.cli._errors import Failed

__all__ = ["Messages", "messages_on_stderr", "reserve_standard_descriptors", "silence", "stand_in_for_closed_stdio"]

#: The standard file descriptors and how the null device is opened in place of a missing one.
_STANDARD = ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY))


class _Closed(io.RawIOBase):
    """A standard stream the command was started without: reading or writing it fails as ``NAME is closed``."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.stream_name = name

    def readable(self) -> bool:
        """Reading is allowed, to fail with the reason."""
        return True

    def writable(self) -> bool:
        """Writing is allowed, to fail with the reason."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fail: there is nothing to read."""
        raise Failed(f"{self.stream_name} is closed")

    def write(self, data: Any) -> int:
        """Fail: there is nowhere to write."""
        raise Failed(f"{self.stream_name} is closed")


def stand_in_for_closed_stdio() -> None:
    """Replace a stdin or stdout closed when the command started (``<&-``, ``>&-``) by one whose use is ``Failed``.

    A command that does not use the closed stream runs as usual.
    """
    if sys.stdin is None:
        sys.stdin = io.TextIOWrapper(_Closed("stdin"))
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(_Closed("stdout"), write_through=True)


def _null_device_on(fd: int, flags: int) -> None:
    """Make ``fd`` a descriptor of the null device (nothing if that cannot be done)."""
    try:
        null = os.open(os.devnull, flags)
    except OSError:
        return
    if null != fd:
        try:
            os.dup2(null, fd)
        except OSError:
            pass
        finally:
            os.close(null)


def reserve_standard_descriptors() -> None:
    """Open the null device on each of the descriptors 0, 1 and 2 that the process was started without.

    Otherwise the next file the command opens would get that number, and the interpreter's
    last-resort messages for stderr would end up in that file.
    """
    for fd, flags in _STANDARD:
        try:
            os.fstat(fd)
        except OSError:
            _null_device_on(fd, flags)


def silence(stream: Any) -> None:
    """Point the descriptor below ``stream`` at the null device, so that flushing it at exit cannot fail again."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    _null_device_on(fd, os.O_WRONLY)


class Messages(io.TextIOBase):
    """stderr for the command's messages: what cannot be written is dropped instead of failing.

    ``stream`` is the real stderr (None if the process was started without one). After a write
    fails (stderr closed, its reader gone, its disk full) every later message is dropped too, and
    the descriptor below ``stream`` is pointed at the null device (see ``silence``).
    """

    def __init__(self, stream: Optional[IO[str]]) -> None:
        super().__init__()
        self.stream = stream

    def writable(self) -> bool:
        """Messages are written (or dropped)."""
        return True

    def write(self, text: str) -> int:
        """Write ``text`` out at once, or drop it; the length of ``text`` either way."""
        if self.stream is not None:
            try:
                try:
                    self.stream.write(text)
                except UnicodeEncodeError:
                    self.stream.write(text.encode("ascii", "backslashreplace").decode("ascii"))
                self.stream.flush()
            except (OSError, ValueError):
                self._lose()
        return len(text)

    def flush(self) -> None:
        """Flush the real stderr, if it is still there."""
        if self.stream is not None:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self._lose()

    def isatty(self) -> bool:
        """True if the real stderr is a terminal."""
        try:
            return self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        """The real stderr's descriptor; ``io.UnsupportedOperation`` once it is gone."""
        if self.stream is None:
            raise io.UnsupportedOperation("stderr is closed")
        return self.stream.fileno()

    def _lose(self) -> None:
        stream, self.stream = self.stream, None
        silence(stream)


@contextlib.contextmanager
def messages_on_stderr() -> Iterator[Messages]:
    """Make ``sys.stderr`` a ``Messages`` over the current one while the block runs."""
    real = sys.stderr
    messages = Messages(real)
    sys.stderr = cast(TextIO, messages)
    try:
        yield messages
    finally:
        sys.stderr = real

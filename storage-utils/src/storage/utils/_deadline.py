"""What both timeout twins share: the deadline setting and the error it raises."""

from __future__ import annotations

from typing import Optional

from storage.errors import ConfigError, StoreUnavailable

__all__ = ["TimeoutRules"]


class TimeoutRules:
    """The ``seconds`` of a timeout layer and the ``StoreUnavailable`` (retryable) it raises."""

    store_name: str
    seconds: float

    def _set_seconds(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ConfigError(f"seconds must be a number > 0, not {seconds!r}")
        self.seconds = float(seconds)

    def _timed_out(self, operation: str, key: Optional[str]) -> StoreUnavailable:
        return StoreUnavailable(
            f"no answer within {self.seconds:g} s", store=self.store_name, operation=operation, key=key
        )

    def repr_args(self) -> str:
        """The deadline."""
        return f"seconds={self.seconds:g}"

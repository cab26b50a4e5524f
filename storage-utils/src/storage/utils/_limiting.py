"""What both concurrency-limiting twins share: the limit and its validation."""

from __future__ import annotations

from storage.errors import ConfigError

__all__ = ["LimitRules"]


class LimitRules:
    """The ``max_concurrency`` of a limiting layer."""

    max_concurrency: int

    def _set_limit(self, max_concurrency: int) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be an integer of at least 1, not {max_concurrency!r}")
        self.max_concurrency = max_concurrency

    def repr_args(self) -> str:
        """The limit."""
        return f"max_concurrency={self.max_concurrency}"

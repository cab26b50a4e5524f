"""``CopyReport``: what a copy, sync or clear did, key by key (shared by sync and async)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["COPIED", "DELETED", "FAILED", "OUTCOMES", "UNCHANGED", "UPDATED", "CopyReport", "Progress"]

COPIED = "copied"
UPDATED = "updated"
DELETED = "deleted"
UNCHANGED = "unchanged"
FAILED = "failed"
OUTCOMES = (COPIED, UPDATED, DELETED, UNCHANGED, FAILED)

#: Called after each key as ``progress(key, outcome, report)``.
Progress = Callable[[str, str, "CopyReport"], object]


@dataclass
class CopyReport:
    """Counts of the objects copied (new), updated (replaced), deleted, unchanged and failed.

    ``failed_keys`` lists the keys that failed, in the order they failed; ``errors`` maps each
    of them to its exception.
    """

    copied: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: int = 0
    failed_keys: list[str] = field(default_factory=list)
    errors: dict[str, BaseException] = field(default_factory=dict, repr=False)
    progress: Optional[Progress] = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True if no key failed."""
        return self.failed == 0

    @property
    def total(self) -> int:
        """How many keys were handled."""
        return self.copied + self.updated + self.deleted + self.unchanged + self.failed

    def record(self, key: str, outcome: str, error: Optional[BaseException] = None) -> None:
        """Count one key's ``outcome`` (one of ``OUTCOMES``) and report progress."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome == FAILED:
            self.failed_keys.append(key)
            if error is not None:
                self.errors[key] = error
        if self.progress is not None:
            self.progress(key, outcome, self)

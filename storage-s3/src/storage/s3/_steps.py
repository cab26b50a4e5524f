"""The requests a plan yields, for the sync or the async store to execute.

A *plan* is a generator that yields steps and receives each step's result, or has the
translated error thrown in at the ``yield``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generator, Optional, TypeVar, Union

__all__ = ["Call", "Plan", "ReadInto", "Release", "Step"]

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """Call ``client.<method>(**params)`` on behalf of ``operation`` on ``key``.

    ``bucket_call`` says the request addresses the bucket itself; ``full_response`` that the plan
    reads more of the response than its size, modification time and ETag.
    """

    method: str
    params: dict[str, Any] = field(repr=False)
    operation: str
    key: Optional[str] = None
    bucket_call: bool = False
    full_response: bool = False


@dataclass(frozen=True)
class ReadInto:
    """Read from a response's streaming ``body`` into ``buffer``; the result is the byte count (0 at the end)."""

    body: Any = field(repr=False)
    buffer: memoryview = field(repr=False)
    operation: str
    key: Optional[str] = None


@dataclass(frozen=True)
class Release:
    """Close a response's streaming ``body`` (its connection goes back to the pool, or is dropped)."""

    body: Any = field(repr=False)
    operation: str
    key: Optional[str] = None


Step = Union[Call, ReadInto, Release]
Plan = Generator[Step, Any, T]

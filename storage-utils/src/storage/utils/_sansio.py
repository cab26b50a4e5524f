"""Logic written once as plans of store calls, run by a sync or an async driver.

A plan is a generator that yields a ``Call`` (and receives its result, or has its exception
thrown in) or a list of calls (run together, concurrently by the async driver, and received as
a list of results or exceptions). ``run`` drives a plan over sync stores, ``arun`` over async
ones, so every decision a decorator or a copy makes is written once for both twins.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generator, List, Mapping, Optional, TypeVar, Union

__all__ = ["Call", "Plan", "arun", "run"]

T = TypeVar("T")


#: The keywords of a call that has none.
_NO_OPTIONS: Mapping[str, Any] = {}


class Call:
    """``store.method(*args, **options)``, to be made by a driver."""

    __slots__ = ("args", "method", "options", "store")

    def __init__(
        self, store: Any, method: str, args: tuple[Any, ...] = (), options: Mapping[str, Any] = _NO_OPTIONS
    ) -> None:
        self.store = store
        self.method = method
        self.args = args
        self.options = options

    def __repr__(self) -> str:
        return f"Call({self.store!r}, {self.method!r}, {self.args!r}, {dict(self.options)!r})"


Step = Union[Call, List[Call]]
Plan = Generator[Step, Any, T]


def _one(call: Call) -> Any:
    return getattr(call.store, call.method)(*call.args, **call.options)


def run(plan: Plan[T]) -> T:
    """Drive ``plan`` over sync stores and return its value."""
    sent: Any = None
    error: Optional[Exception] = None
    while True:
        try:
            step = plan.send(sent) if error is None else plan.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        error = None
        if step.__class__ is list:
            sent = []
            for call in step:  # type: ignore[union-attr]
                try:
                    sent.append(getattr(call.store, call.method)(*call.args, **call.options))
                except Exception as err:
                    sent.append(err)
            continue
        try:
            sent = getattr(step.store, step.method)(*step.args, **step.options)  # type: ignore[union-attr]
        except Exception as err:
            sent, error = None, err


def _advance(plan: Plan[Any], sent: Any, error: Optional[Exception]) -> tuple[bool, Any]:
    """Resume ``plan``; return ``(True, value)`` when it finished, else ``(False, next step)``."""
    try:
        return False, (plan.throw(error) if error is not None else plan.send(sent))
    except StopIteration as stop:
        return True, stop.value


async def _aperform(step: Step) -> tuple[Any, Optional[Exception]]:
    try:
        if isinstance(step, list):
            calls = (_one(call) for call in step)
            return await asyncio.gather(*calls, return_exceptions=True), None
        return await _one(step), None
    except Exception as err:
        return None, err


async def arun(plan: Plan[T]) -> T:
    """Drive ``plan`` over async stores (lists of calls concurrently) and return its value."""
    outcome: tuple[Any, Optional[Exception]] = (None, None)
    while True:
        done, step = _advance(plan, *outcome)
        if done:
            return step  # type: ignore[no-any-return]
        outcome = await _aperform(step)

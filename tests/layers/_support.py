"""Helpers of the layer tests: a 256-bit key, and stores that fail, count or hold up calls."""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from storage.object import DictStore

#: A test key (64 hex digits); never used outside tests.
HEX_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def _flaky(operation: str) -> Callable[..., Any]:
    """``DictStore.<operation>``, preceded by ``FlakyStore._maybe_fail``."""

    def method(self: FlakyStore, *args: Any, **options: Any) -> Any:
        self._maybe_fail(operation)
        return getattr(DictStore, operation)(self, *args, **options)

    return method


class FlakyStore(DictStore):
    """A DictStore whose next ``failures`` calls raise ``error`` (then it works)."""

    def __init__(self, error: Optional[BaseException] = None, failures: int = 0) -> None:
        super().__init__()
        self.error = error
        self.failures = failures
        self.calls: list[str] = []

    def _maybe_fail(self, operation: str) -> None:
        self.calls.append(operation)
        if self.failures > 0 and self.error is not None:
            self.failures -= 1
            raise self.error

    get = _flaky("get")
    put = _flaky("put")
    exists = _flaky("exists")
    delete = _flaky("delete")
    keys = _flaky("keys")


class GateStore(DictStore):
    """A DictStore whose ``get`` waits at a gate, counting how many calls are inside at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.lock = threading.Condition()
        self.active = 0
        self.peak = 0

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.lock.notify_all()

    def leave(self) -> None:
        with self.lock:
            self.active -= 1

    def wait_active(self, count: int) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: self.active >= count, timeout=30)

    def get(self, key: str) -> Any:
        self.enter()
        try:
            assert self.gate.wait(timeout=30)
            return super().get(key)
        finally:
            self.leave()

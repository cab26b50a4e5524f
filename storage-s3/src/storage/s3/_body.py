"""GET plans that read a response body into one preallocated buffer, re-sending the GET if the body fails.

botocore retries a request only until its headers arrive; a connection that drops, a body that
ends early, or a body that does not match its checksum surfaces while the body is read. These
plans then send the whole GET again, up to the store's configured number of attempts. The body
is read in slices into one buffer of the announced ``Content-Length`` that becomes the result,
so a ``get`` holds the object about once, never a list of chunks plus their concatenation.
The body is always read to its end: only then does botocore check its checksum, and only then
does its connection go back to the pool.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional

from storage.errors import StoreClosed, StoreUnavailable
from storage.s3._steps import Plan, ReadInto, Release

if TYPE_CHECKING:
    from storage.s3._protocol import BucketProtocol

__all__ = ["READ_SLICE", "BodyHandle", "get_object", "read_body"]

log = logging.getLogger("storage.s3")

#: The most bytes asked of the body in one read (the HTTP library's own buffer stays this small).
READ_SLICE = 1024 * 1024


def get_object(protocol: BucketProtocol, operation: str, key: str, **params: Any) -> Plan[bytes]:
    """GET ``key`` and return its body, re-sending the GET when reading or checking the body fails."""
    attempts = protocol.settings.max_attempts
    for attempt in range(1, attempts + 1):
        response = yield protocol.call("get_object", operation, key, **params)
        try:
            return (yield from read_body(protocol, response, operation, key))
        except StoreUnavailable as err:
            if attempt == attempts:
                raise
            log.info("%s: %s %r: reading the body failed (%s); GET again (attempt %d of %d)",
                     protocol.store_name, operation, key, err, attempt + 1, attempts)
    raise AssertionError("unreachable: the last attempt returns or raises")


def read_body(protocol: BucketProtocol, response: dict[str, Any], operation: str, key: str) -> Plan[bytes]:
    """Read the streaming body of ``response`` to its end, then release it (also on failure)."""
    body = response["Body"]
    size: Optional[int] = response.get("ContentLength")
    try:
        if size is None:
            data = yield from _read_unsized(body, operation, key)
        else:
            data = yield from _read_sized(protocol, body, int(size), operation, key)
    except GeneratorExit:
        raise
    except BaseException:
        yield from _release(protocol, body, operation, key)
        raise
    yield from _release(protocol, body, operation, key)
    return data


def _read_sized(protocol: BucketProtocol, body: Any, size: int, operation: str, key: str) -> Plan[bytes]:
    buffer = _preallocated(size)
    with buffer.getbuffer() as view:
        filled = 0
        while filled < size:
            count = yield from _read_into(body, view[filled : filled + READ_SLICE], operation, key)
            if not count:
                raise StoreUnavailable(
                    f"the body ended after {filled} of {size} bytes", store=protocol.store_name,
                    operation=operation, key=key,
                )
            filled += count
    # Find the end (see the module docstring); the HTTP client hands out no byte past Content-Length.
    yield from _read_into(body, memoryview(bytearray(1)), operation, key)
    return buffer.getvalue()


def _read_unsized(body: Any, operation: str, key: str) -> Plan[bytes]:
    buffer = io.BytesIO()
    chunk = bytearray(READ_SLICE)
    while True:
        count = yield from _read_into(body, memoryview(chunk), operation, key)
        if not count:
            return buffer.getvalue()
        buffer.write(memoryview(chunk)[:count])


def _preallocated(size: int) -> io.BytesIO:
    """An ``io.BytesIO`` holding ``size`` bytes in one allocation, to be filled through ``getbuffer()``.

    Once no view of it is left, CPython's ``getvalue()`` hands out that very buffer as the
    ``bytes`` result, so the object is held in memory once, not twice.
    """
    buffer = io.BytesIO()
    if size:
        buffer.seek(size - 1)
        buffer.write(b"\0")
        buffer.seek(0)
    return buffer


def _read_into(body: Any, view: memoryview, operation: str, key: str) -> Plan[int]:
    """Read into ``view``, then release it (a view left alive would make ``getvalue()`` copy)."""
    try:
        count: int = yield ReadInto(body, view, operation, key)
    finally:
        view.release()
    return count


def _release(protocol: BucketProtocol, body: Any, operation: str, key: str) -> Plan[None]:
    try:
        yield Release(body, operation, key)
    except Exception as err:
        log.debug("%s: %s %r: could not release the response body: %s", protocol.store_name, operation, key, err)


class BodyHandle:
    """What the sync and async ``open_read`` readers hold: the GET's streaming body and the store's session.

    ``session_check`` raises ``StoreClosed`` once the store that opened the reader is closed.
    """

    def __init__(self, body: Any, protocol: BucketProtocol, key: str, session_check: Callable[[], None]) -> None:
        self._body = body
        self._protocol = protocol
        self.key = key
        self._session_check = session_check

    def _readable_body(self) -> Any:
        """Return the body to read; once the store is closed, release it and raise ``StoreClosed``."""
        try:
            self._session_check()
        except StoreClosed:
            self._body.close()
            raise
        return self._body

    def _failed(self, error: BaseException) -> NoReturn:
        """Raise the ``storage.errors`` type for ``error``, raised while reading the body."""
        self._protocol.reraise(error, "open_read", self.key)

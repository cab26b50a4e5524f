"""AsyncTransformingStore and the async value-changing stores; CPU-heavy transforms run in a thread."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional

from storage.utils._flavours import Base64, Buffer, Gzip, Json, TextEncoding
from storage.utils._mixins import ValueMapping
from storage.utils._transforms import DataTransformer
from storage.wrapper import AsyncStoreWrapper, same_for_every_key

__all__ = [
    "AsyncBase64Store",
    "AsyncBufferStore",
    "AsyncGzipStore",
    "AsyncJsonStore",
    "AsyncTextEncodingStore",
    "AsyncTransformingStore",
]

#: Values at least this big are transformed in a worker thread by CPU-bound transformers.
OFFLOAD_BYTES = 64 * 1024


def _big(data: Any) -> bool:
    try:
        return memoryview(data).nbytes >= OFFLOAD_BYTES
    except TypeError:
        return True


class AsyncTransformingStore(ValueMapping, AsyncStoreWrapper):
    """Applies ``transformer`` to values on ``put`` and reverses it on ``get``."""

    def __init__(self, store: Any, transformer: Optional[DataTransformer] = None) -> None:
        super().__init__(store)
        self._set_transformer(transformer)

    async def _apply(self, function: Callable[[str, Any], Any], key: str, data: Any) -> Any:
        if self.transformer.cpu_bound and _big(data):
            return await asyncio.get_running_loop().run_in_executor(None, function, key, data)
        return function(key, data)

    @same_for_every_key
    async def get(self, key: str) -> Any:
        """Return the decoded object at ``key``."""
        return await self._apply(self._decode, key, await super().get(key))

    @same_for_every_key
    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store the encoded ``data`` at ``key``."""
        await super().put(key, await self._apply(self._encode, key, data), if_absent=if_absent)


class AsyncTextEncodingStore(TextEncoding, AsyncTransformingStore):
    """``str`` values, stored as bytes in ``encoding``."""


class AsyncGzipStore(Gzip, AsyncTransformingStore):
    """Bytes values, stored gzip-compressed."""


class AsyncBufferStore(Buffer, AsyncTransformingStore):
    """File-like values: ``put`` reads a buffer, ``get`` returns a ``BytesIO``."""


class AsyncBase64Store(Base64, AsyncTransformingStore):
    """Bytes values, stored base64-encoded."""


class AsyncJsonStore(Json, AsyncTransformingStore):
    """JSON-compatible values, stored as JSON text in ``encoding``."""

"""AsyncEncryptingStore: client-side authenticated encryption (AES-256-GCM) of every object."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional

from storage.aioutils._transforming import OFFLOAD_BYTES
from storage.utils._meter import size
from storage.utils._sealing import EncryptionRules
from storage.wrapper import AsyncStoreWrapper

__all__ = ["AsyncEncryptingStore"]


class AsyncEncryptingStore(EncryptionRules, AsyncStoreWrapper):
    """Encrypts values on ``put`` and verifies and decrypts them on ``get`` (AES-256-GCM).

    The key sources, format and errors of ``storage.utils.EncryptingStore``; large values are
    encrypted and decrypted in a worker thread.
    """

    def __init__(
        self, store: Any, key: Any = None, key_env: Optional[str] = None, key_file: Optional[str] = None
    ) -> None:
        super().__init__(store)
        self._set_key(key, key_env, key_file)

    async def _apply(self, function: Callable[[str, Any], bytes], key: str, data: Any) -> bytes:
        if size(data) >= OFFLOAD_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, function, key, data)
        return function(key, data)

    async def get(self, key: str) -> bytes:
        """Return the decrypted object at ``key``."""
        return await self._apply(self._unseal, key, await super().get(key))

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` (bytes-like) encrypted at ``key``."""
        await super().put(key, await self._apply(self._seal, key, data), if_absent=if_absent)

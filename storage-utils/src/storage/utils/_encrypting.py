"""EncryptingStore: client-side authenticated encryption (AES-256-GCM) of every object."""

from __future__ import annotations

from typing import Any, Optional

from storage._lifecycle import OPEN
from storage.utils._sealing import EncryptionRules
from storage.wrapper import StoreWrapper

__all__ = ["EncryptingStore"]


class EncryptingStore(EncryptionRules, StoreWrapper):
    """Encrypts values on ``put`` and verifies and decrypts them on ``get`` (AES-256-GCM).

    The 256-bit key comes from exactly one of ``key`` (32 bytes, or text: 64 hex digits or
    base64), ``key_env`` (the name of an environment variable holding the text form) or
    ``key_file`` (a file holding 32 raw bytes or the text form). Each object gets a fresh random
    nonce and is bound to its key; the format is versioned (see ``storage.utils._sealing``).
    Tampered, truncated, moved or wrongly keyed data raises ``IntegrityError``. Needs the
    ``cryptography`` package: ``pip install 'storage-utils[crypto]'``. Keys are stored as given,
    in the clear; the key never appears in ``repr``, errors or logs.
    """

    def __init__(
        self, store: Any, key: Any = None, key_env: Optional[str] = None, key_file: Optional[str] = None
    ) -> None:
        super().__init__(store)
        self._set_key(key, key_env, key_file)

    def get(self, key: str) -> bytes:
        """Return the decrypted object at ``key``."""
        if self._state != OPEN:
            self._ensure_open("get")
        return self._unseal(key, self.store.get(key))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` (bytes-like) encrypted at ``key``."""
        sealed = self._seal(key, data)
        if self._state != OPEN:
            self._ensure_open("put")
        self.store.put(key, sealed, if_absent=if_absent)

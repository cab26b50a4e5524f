"""TransformingStore and the value-changing stores built on it (text, gzip, buffer, base64, JSON)."""

from __future__ import annotations

from typing import Any, Optional

from storage._lifecycle import OPEN
from storage.errors import StoreError
from storage.utils._flavours import Base64, Buffer, Gzip, Json, TextEncoding
from storage.utils._mixins import ValueMapping
from storage.utils._transforms import DECODE_ERRORS, DataTransformer
from storage.wrapper import StoreWrapper, same_for_every_key

__all__ = ["Base64Store", "BufferStore", "GzipStore", "JsonStore", "TextEncodingStore", "TransformingStore"]


class TransformingStore(ValueMapping, StoreWrapper):
    """Applies ``transformer`` to values on ``put`` and reverses it on ``get``."""

    def __init__(self, store: Any, transformer: Optional[DataTransformer] = None) -> None:
        super().__init__(store)
        self._set_transformer(transformer)

    @same_for_every_key
    def get(self, key: str) -> Any:
        """Return the decoded object at ``key``."""
        if self._state != OPEN:
            self._ensure_open("get")
        data = self.store.get(key)
        try:
            return self.transformer.reverse_transform(data)
        except StoreError:
            raise
        except DECODE_ERRORS as err:
            raise self._undecodable(key, err) from err

    @same_for_every_key
    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store the encoded ``data`` at ``key``."""
        try:
            stored = self.transformer.transform(data)
        except StoreError:
            raise
        except (TypeError, ValueError) as err:
            raise self._unencodable(key, err) from err
        if self._state != OPEN:
            self._ensure_open("put")
        self.store.put(key, stored, if_absent=if_absent)


class TextEncodingStore(TextEncoding, TransformingStore):
    """``str`` values, stored as bytes in ``encoding``."""


class GzipStore(Gzip, TransformingStore):
    """Bytes values, stored gzip-compressed."""


class BufferStore(Buffer, TransformingStore):
    """File-like values: ``put`` reads a buffer, ``get`` returns a ``BytesIO``."""


class Base64Store(Base64, TransformingStore):
    """Bytes values, stored base64-encoded."""


class JsonStore(Json, TransformingStore):
    """JSON-compatible values, stored as JSON text in ``encoding``."""

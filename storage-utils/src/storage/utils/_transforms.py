"""Value encoders shared by the sync and async transforming stores; no I/O here.

A ``DataTransformer`` turns the value a caller puts into the value stored below
(``transform``) and back (``reverse_transform``); ``storage.utils._mixins.ValueMapping`` calls
them at the store boundary and turns their failures into typed errors naming the store and the key.
"""

from __future__ import annotations

import base64
import codecs
import gzip
import io
import json
import zlib
from typing import Any, ClassVar

from storage.errors import ConfigError

__all__ = [
    "Base64Transformer",
    "BufferTransformer",
    "DataTransformer",
    "GzipTransformer",
    "JsonTransformer",
    "TextEncodingTransformer",
    "DECODE_ERRORS",
]

#: What a failing ``reverse_transform`` may raise on data it cannot decode (binascii.Error,
#: UnicodeDecodeError and JSONDecodeError are ValueErrors; BadGzipFile is an OSError).
DECODE_ERRORS = (ValueError, TypeError, OSError, EOFError, zlib.error)


def _check_encoding(encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as err:
        raise ConfigError(f"unknown text encoding {encoding!r}") from err
    return encoding


class DataTransformer:
    """The identity transform; subclasses change the value on its way down and up."""

    #: The transform costs CPU in proportion to the data (the async stores run it in a thread).
    cpu_bound: ClassVar[bool] = False

    def transform(self, data: Any) -> Any:
        """Return what to store for ``data``."""
        return data

    def reverse_transform(self, data: Any) -> Any:
        """Return the value for stored ``data``."""
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class TextEncodingTransformer(DataTransformer):
    """``str`` values, stored as bytes in ``encoding``."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = _check_encoding(encoding)

    def transform(self, data: Any) -> bytes:
        """Encode the text."""
        if not isinstance(data, str):
            raise TypeError(f"values are str, not {type(data).__name__}")
        return data.encode(self.encoding)

    def reverse_transform(self, data: Any) -> str:
        """Decode the stored bytes."""
        return bytes(data).decode(self.encoding)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.encoding!r})"


class GzipTransformer(DataTransformer):
    """Bytes, stored gzip-compressed (with a zero timestamp, so equal data compresses equally)."""

    cpu_bound = True

    def __init__(self, compresslevel: int = 9) -> None:
        if not isinstance(compresslevel, int) or not 0 <= compresslevel <= 9:
            raise ConfigError(f"compresslevel must be an integer from 0 to 9, not {compresslevel!r}")
        self.compresslevel = compresslevel

    def transform(self, data: Any) -> bytes:
        """Compress the bytes."""
        if isinstance(data, str):
            raise TypeError("values are bytes-like, not str")
        return gzip.compress(data, compresslevel=self.compresslevel, mtime=0)

    def reverse_transform(self, data: Any) -> bytes:
        """Decompress the stored bytes."""
        return gzip.decompress(data)


class BufferTransformer(DataTransformer):
    """File-like values: ``put`` reads the buffer, ``get`` returns a ``BytesIO`` at position 0."""

    def transform(self, data: Any) -> bytes:
        """Read the buffer to its end."""
        try:
            read = data.read
        except AttributeError:
            raise TypeError(f"values are readable buffers, not {type(data).__name__}") from None
        content = read()
        if content.__class__ is bytes:
            return content  # type: ignore[no-any-return]
        if isinstance(content, str):
            raise TypeError("the buffer is a text stream; open it in binary mode")
        return bytes(content)

    def reverse_transform(self, data: Any) -> io.BytesIO:
        """Wrap the stored bytes in a buffer."""
        return io.BytesIO(bytes(data))


class Base64Transformer(DataTransformer):
    """Bytes, stored base64-encoded."""

    cpu_bound = True

    def transform(self, data: Any) -> bytes:
        """Encode the bytes as base64."""
        if isinstance(data, str):
            raise TypeError("values are bytes-like, not str")
        return base64.b64encode(data)

    def reverse_transform(self, data: Any) -> bytes:
        """Decode the stored base64."""
        return base64.b64decode(bytes(data), validate=True)


class JsonTransformer(TextEncodingTransformer):
    """JSON-compatible values, stored as JSON text in ``encoding``."""

    cpu_bound = True
    #: One encoder for every value (``json.dumps`` with options builds a new one per call).
    _encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False)

    def transform(self, data: Any) -> bytes:
        """Serialise the value as JSON."""
        return self._encoder.encode(data).encode(self.encoding)

    def reverse_transform(self, data: Any) -> Any:
        """Parse the stored JSON."""
        return json.loads(bytes(data).decode(self.encoding))

"""The constructors of the concrete decorators, written once for the sync and async classes.

Each flavour is a mixin placed before the generic base (``TransformingStore`` or
``AsyncTransformingStore``, ``KeyTransformingStore`` or ``AsyncKeyTransformingStore``): its
``__init__`` builds the transformer and hands it on to that base.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Union

from storage.errors import KeyRejected
from storage.utils._keymaps import (
    HashPrefixKeyTransformer,
    KeyTransformer,
    PrefixKeyTransformer,
    RegexValidator,
    Route,
    RoutingKeyTransformer,
    UrlEncodingKeyTransformer,
    ValidatingKeyTransformer,
    validate_http_url_key,
)
from storage.utils._transforms import (
    Base64Transformer,
    BufferTransformer,
    GzipTransformer,
    JsonTransformer,
    TextEncodingTransformer,
)


class TextEncoding:
    """``str`` values, stored as bytes in ``encoding``."""

    def __init__(self, store: Any, encoding: str = "utf-8") -> None:
        super().__init__(store, TextEncodingTransformer(encoding))  # type: ignore[call-arg]


class Gzip:
    """Bytes values, stored gzip-compressed."""

    def __init__(self, store: Any, compresslevel: int = 9) -> None:
        super().__init__(store, GzipTransformer(compresslevel))  # type: ignore[call-arg]


class Buffer:
    """File-like values: ``put`` reads a buffer, ``get`` returns a ``BytesIO``."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, BufferTransformer())  # type: ignore[call-arg]


class Base64:
    """Bytes values, stored base64-encoded."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, Base64Transformer())  # type: ignore[call-arg]


class Json:
    """JSON-compatible values, stored as JSON text in ``encoding``."""

    def __init__(self, store: Any, encoding: str = "utf-8") -> None:
        super().__init__(store, JsonTransformer(encoding))  # type: ignore[call-arg]


class KeyValidating:
    """Refuses keys that ``validator`` rejects (it raises ``KeyError`` or ``ValueError``).

    A refused key raises ``KeyRejected``: an ``InvalidKey`` that is also a ``KeyError``.
    """

    def __init__(self, store: Any, validator: Callable[[str], Any]) -> None:
        super().__init__(store, ValidatingKeyTransformer(validator))  # type: ignore[call-arg]
        self.validator = validator


class RegexValidating(KeyValidating):
    """Accepts only keys that ``re.match`` ``pattern``."""

    def __init__(self, store: Any, pattern: str) -> None:
        super().__init__(store, RegexValidator(pattern))
        self.pattern = pattern


class UrlValidating(KeyValidating):
    """Accepts only http and https URLs as keys."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, validate_http_url_key)


class Prefix:
    """Stores ``key`` as ``prefix + key``; ``keys()`` lists only the keys under the prefix."""

    def __init__(self, store: Any, prefix: str) -> None:
        super().__init__(store, PrefixKeyTransformer(prefix))  # type: ignore[call-arg]
        self.prefix = prefix

    def _map(self, key: Any, operation: str) -> str:
        """One concatenation for a plain non-empty key; anything else takes the general path."""
        transformer = self.key_transformer  # type: ignore[attr-defined]
        if key.__class__ is str and key and transformer.__class__ is PrefixKeyTransformer:
            return transformer.prefix + key
        return super()._map(key, operation)  # type: ignore[misc, no-any-return]


class HashPrefix:
    """Stores ``key`` under a prefix made of its hash, spreading keys over directories."""

    def __init__(self, store: Any, hash_length: int = 8, separator: str = "/") -> None:
        super().__init__(store, HashPrefixKeyTransformer(hash_length, separator))  # type: ignore[call-arg]
        self.hash_length = hash_length
        self.separator = separator


class UrlEncoding:
    """Percent-encodes each segment of a key, keeping ``/`` as the hierarchy separator."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, UrlEncodingKeyTransformer())  # type: ignore[call-arg]


class RegexRouting:
    """Maps each key with the transformer of the first route whose pattern matches it.

    ``routes`` is a list of ``(pattern, transformer)``; a transformer given as a str is a
    prefix, None keeps the key. A key no route matches is refused (``exists`` says False).
    """

    key_transformer: KeyTransformer

    def __init__(self, store: Any, routes: Optional[Iterable[Route]] = None) -> None:
        super().__init__(store, RoutingKeyTransformer(routes))  # type: ignore[call-arg]

    @property
    def routing(self) -> RoutingKeyTransformer:
        """The routes, as a key transformer."""
        assert isinstance(self.key_transformer, RoutingKeyTransformer)
        return self.key_transformer

    def add_route(self, pattern: str, transformer: Union[KeyTransformer, str, None] = None) -> None:
        """Add a route after the existing ones."""
        self.routing.add_route(pattern, transformer)


#: What ``exists`` of a routing store answers for a key no route takes.
UNROUTED = KeyRejected

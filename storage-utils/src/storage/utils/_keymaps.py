"""Key mappings shared by the sync and async key-transforming stores; no I/O here.

A ``KeyTransformer`` maps a caller's key onto the key stored below (``transform_key``) and a
stored key back (``reverse_transform_key``, raising ``ValueError`` for a stored key it did not
make). ``list_prefix`` is the prefix push-down rule: the prefix to list below so that every
stored key whose caller key starts with ``prefix`` is found (``""`` when the mapping cannot
narrow the listing, as with hashes); results are still filtered by ``listed_key``.
"""

from __future__ import annotations

import re
from hashlib import sha256
from typing import Any, Callable, Iterable, Optional, Sequence, Union
from urllib.parse import unquote, urlparse

from storage.errors import ConfigError, KeyRejected, StoreError
from storage.validation import check_key

__all__ = [
    "HashPrefixKeyTransformer",
    "KeyTransformer",
    "PrefixKeyTransformer",
    "RegexValidator",
    "RoutingKeyTransformer",
    "UrlEncodingKeyTransformer",
    "ValidatingKeyTransformer",
    "listed_key",
    "map_key",
    "validate_http_url_key",
]

#: What ``quote`` never encodes (ASCII letters, digits, ``_.-~``), and ``/``, kept between segments.
_KEPT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/"
#: Whether a key holds only kept characters.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch
#: Each UTF-8 byte as ``quote(key, safe="/")`` writes it.
_QUOTED_BYTE = [chr(byte) if chr(byte) in _KEPT else f"%{byte:02X}" for byte in range(256)].__getitem__

#: A route of ``RegexRoutingStore``: a pattern and a transformer (a str means a prefix, None none).
Route = Sequence[Any]


class KeyTransformer:
    """The identity mapping; subclasses change keys on their way down and back."""

    def transform_key(self, key: str) -> str:
        """Return the stored key for ``key``."""
        return key

    def reverse_transform_key(self, key: str) -> str:
        """Return the caller's key for stored ``key``; ``ValueError`` if it is not one of ours."""
        return key

    def list_prefix(self, prefix: str) -> str:
        """Return the prefix to list below for the caller's ``prefix``.

        The identity lists under ``prefix``; a subclass that maps keys lists everything
        unless it overrides this with its own rule.
        """
        return prefix if type(self).transform_key is KeyTransformer.transform_key else ""

    @property
    def keeps_hierarchy(self) -> bool:
        """True if ``/``-separated directories map onto directories below ``list_prefix``.

        Then ``list_dir`` lists the stored prefix's children and maps them back; otherwise it is
        derived from ``keys``. The identity keeps them; a subclass that maps keys says so itself.
        """
        return type(self).transform_key is KeyTransformer.transform_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ValidatingKeyTransformer(KeyTransformer):
    """Keeps keys as they are, after ``validator(key)`` accepted them (it raises to refuse)."""

    def __init__(self, validator: Callable[[str], Any]) -> None:
        self.validator = validator

    def transform_key(self, key: str) -> str:
        """Return ``key`` if the validator accepts it."""
        self.validator(key)
        return key

    def list_prefix(self, prefix: str) -> str:
        """List under the same prefix: the keys are unchanged."""
        return prefix

    @property
    def keeps_hierarchy(self) -> bool:
        """Keys are unchanged."""
        return True


class RegexValidator:
    """A validator accepting keys that ``re.match`` the pattern."""

    def __init__(self, pattern: str) -> None:
        try:
            self.regex = re.compile(pattern)
        except (re.error, TypeError) as err:
            raise ConfigError(f"invalid key pattern {pattern!r}: {err}") from err
        self.pattern = pattern

    def __call__(self, key: str) -> None:
        if not self.regex.match(key):
            raise KeyError(f"key {key} does not match pattern {self.pattern}")

    def __repr__(self) -> str:
        return f"RegexValidator({self.pattern!r})"


def validate_http_url_key(key: str) -> None:
    """Accept only http and https URLs as keys."""
    if urlparse(key).scheme not in ("http", "https"):
        raise KeyError(f"key {key} is not a valid http/s url")


class PrefixKeyTransformer(KeyTransformer):
    """Stores ``key`` as ``prefix + key``; listing pushes the prefix down."""

    def __init__(self, prefix: str) -> None:
        if not isinstance(prefix, str):
            raise ConfigError(f"prefix must be a str, not {type(prefix).__name__}")
        self.prefix = prefix

    def transform_key(self, key: str) -> str:
        """Prepend the prefix."""
        return self.prefix + key

    def reverse_transform_key(self, key: str) -> str:
        """Strip the prefix; keys without it are not ours."""
        if not key.startswith(self.prefix) or len(key) == len(self.prefix):
            raise ValueError(f"{key!r} is not under prefix {self.prefix!r}")
        return key[len(self.prefix) :]

    def list_prefix(self, prefix: str) -> str:
        """List under our prefix followed by the caller's."""
        return self.prefix + prefix

    @property
    def keeps_hierarchy(self) -> bool:
        """A prefix moves every directory below it."""
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prefix!r})"


class HashPrefixKeyTransformer(KeyTransformer):
    """Stores ``key`` as ``sha256(key)[:hash_length] + separator + key`` (spreads keys out)."""

    def __init__(self, hash_length: int = 8, separator: str = "/") -> None:
        if not isinstance(hash_length, int) or not 1 <= hash_length <= 64:
            raise ConfigError(f"hash_length must be an integer from 1 to 64, not {hash_length!r}")
        if not isinstance(separator, str):
            raise ConfigError(f"separator must be a str, not {type(separator).__name__}")
        self.hash_length = hash_length
        self.separator = separator

    def _hash(self, key: str) -> str:
        return sha256(key.encode()).hexdigest()[: self.hash_length]

    def transform_key(self, key: str) -> str:
        """Prepend the key's hash and the separator."""
        return self._hash(key) + self.separator + key

    def reverse_transform_key(self, key: str) -> str:
        """Strip hash and separator; keys whose hash does not match are not ours."""
        head = self.hash_length + len(self.separator)
        original = key[head:]
        if not original or key[: head] != self._hash(original) + self.separator:
            raise ValueError(f"{key!r} is not a hash-prefixed key")
        return original

    def list_prefix(self, prefix: str) -> str:
        """Hashes scatter keys: list everything and filter."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.hash_length}, {self.separator!r})"


class UrlEncodingKeyTransformer(KeyTransformer):
    """Percent-encodes each ``/``-separated segment, so any text maps onto safe names."""

    def transform_key(self, key: str) -> str:
        """Encode every segment (keys of unreserved characters and ``/`` only stay as they are)."""
        if _UNRESERVED(key):
            return key
        return "".join(map(_QUOTED_BYTE, key.encode()))

    def reverse_transform_key(self, key: str) -> str:
        """Decode every segment; keys that are not our encoding are not ours."""
        decoded = key if "%" not in key else unquote(key, errors="strict")
        if self.transform_key(decoded) != key:
            raise ValueError(f"{key!r} is not a URL-encoded key")
        return decoded

    def list_prefix(self, prefix: str) -> str:
        """Encoding works character by character, so the encoded prefix narrows the listing."""
        return self.transform_key(prefix)

    @property
    def keeps_hierarchy(self) -> bool:
        """Each segment is encoded on its own and ``/`` kept."""
        return True


class RoutingKeyTransformer(KeyTransformer):
    """The transformer of the first route whose pattern ``re.search``-es the key."""

    def __init__(self, routes: Optional[Iterable[Route]] = None) -> None:
        self.routes: list[tuple[re.Pattern[str], KeyTransformer]] = []
        for route in routes or ():
            self.add_route(*route)

    def add_route(self, pattern: str, transformer: Union[KeyTransformer, str, None] = None) -> None:
        """Route keys matching ``pattern`` through ``transformer`` (a str: a prefix)."""
        try:
            regex = re.compile(pattern)
        except (re.error, TypeError) as err:
            raise ConfigError(f"invalid route pattern {pattern!r}: {err}") from err
        if transformer is None:
            transformer = KeyTransformer()
        elif isinstance(transformer, str):
            transformer = PrefixKeyTransformer(transformer)
        elif not isinstance(transformer, KeyTransformer):
            raise ConfigError(f"a route's transformer is a KeyTransformer or a prefix, not {transformer!r}")
        self.routes.append((regex, transformer))

    def transform_key(self, key: str) -> str:
        """Map ``key`` with its route; ``KeyError`` if no route matches."""
        for regex, transformer in self.routes:
            if regex.search(key):
                return transformer.transform_key(key)
        raise KeyError(f"no route matches key: {key}")

    def reverse_transform_key(self, key: str) -> str:
        """The first route that maps ``key`` back onto a key it routes."""
        for regex, transformer in self.routes:
            try:
                original = transformer.reverse_transform_key(key)
            except (ValueError, KeyError):
                continue
            if regex.search(original) and self.transform_key(original) == key:
                return original
        raise ValueError(f"{key!r} matches no route")

    def list_prefix(self, prefix: str) -> str:
        """Routes differ: list everything and filter."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({[(r.pattern, t) for r, t in self.routes]!r})"


def map_key(transformer: KeyTransformer, key: Any, store: Any, operation: str) -> str:
    """The stored key for ``key``: ``InvalidKey`` if it is not a key, ``KeyRejected`` if refused.

    ``store`` is the layer asking; its ``store_name`` is read only to name an error.
    """
    if key.__class__ is not str or not key:
        check_key(key, store.store_name, operation)
    try:
        return transformer.transform_key(key)
    except StoreError:
        raise
    except (KeyError, ValueError) as err:
        reason = err.args[0] if err.args else "key refused"
        raise KeyRejected(str(reason), store=store.store_name, operation=operation, key=key) from err


def listed_key(transformer: KeyTransformer, stored: str, prefix: str) -> Optional[str]:
    """The caller's key for a listed ``stored`` key, or None if it is foreign or outside ``prefix``."""
    try:
        key = transformer.reverse_transform_key(stored)
    except (KeyError, ValueError):
        return None
    return key if key.startswith(prefix) else None

"""The I/O-free halves of the decorators, mixed into both the sync and the async classes."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Mapping, NoReturn, Optional

from storage.errors import InvalidKey, UnsupportedOperation
from storage.utils._keymaps import KeyTransformer, listed_key, map_key
from storage.utils._transforms import DataTransformer, decode, encode

__all__ = ["KeyMapping", "ValueMapping", "check_prefix", "refuse"]


def refuse(store: str, operation: str, why: str) -> NoReturn:
    """Raise ``UnsupportedOperation`` for an operation a layer does not allow."""
    raise UnsupportedOperation(why, store=store, operation=operation)


def check_prefix(prefix: Any, store: str) -> str:
    """Return ``prefix`` if it is a ``str``, else raise ``InvalidKey``."""
    if not isinstance(prefix, str):
        raise InvalidKey(f"prefixes are str, not {type(prefix).__name__}", store=store, operation="keys")
    return prefix


def _arguments(transformer: object) -> str:
    """``"'p/'"`` for a transformer whose repr is ``PrefixKeyTransformer('p/')``."""
    text = repr(transformer)
    match = re.fullmatch(r"\w+\((.*)\)", text, re.S)
    return match.group(1) if match else text


class ValueMapping:
    """Maps values with ``self.transformer`` (a ``DataTransformer``) at the store boundary."""

    #: Ranges of transformed data are not ranges of the value.
    CAPABILITY_CHANGES: ClassVar[Mapping[str, bool]] = {"native_range": False}
    transformer: DataTransformer
    store_name: str

    def _set_transformer(self, transformer: Optional[DataTransformer]) -> None:
        self.transformer = transformer if transformer is not None else DataTransformer()

    def transform(self, data: Any) -> Any:
        """Return what is stored for ``data`` (the seed's hook)."""
        return self.transformer.transform(data)

    def reverse_transform(self, data: Any) -> Any:
        """Return the value for stored ``data`` (the seed's hook)."""
        return self.transformer.reverse_transform(data)

    def _encode(self, key: str, data: Any) -> Any:
        return encode(self.transformer, data, self.store_name, key)

    def _decode(self, key: str, data: Any) -> Any:
        return decode(self.transformer, data, self.store_name, key)

    def repr_args(self) -> str:
        """The transformer's settings (the transformer itself for a plain TransformingStore)."""
        if type(self).__name__.endswith("TransformingStore"):
            return repr(self.transformer)
        return _arguments(self.transformer)


class KeyMapping:
    """Maps keys with ``self.key_transformer`` (a ``KeyTransformer``) at the store boundary."""

    key_transformer: KeyTransformer
    store_name: str

    def _set_key_transformer(self, transformer: Optional[KeyTransformer]) -> None:
        self.key_transformer = transformer if transformer is not None else KeyTransformer()

    @property
    def transformer(self) -> KeyTransformer:
        """The key transformer (the seed's attribute name)."""
        return self.key_transformer

    def transform_key(self, key: str) -> str:
        """Return the stored key for ``key`` (the seed's hook)."""
        return self.key_transformer.transform_key(key)

    def reverse_transform_key(self, key: str) -> str:
        """Return the caller's key for stored ``key`` (the seed's hook)."""
        return self.key_transformer.reverse_transform_key(key)

    def _map(self, key: Any, operation: str) -> str:
        return map_key(self.key_transformer, key, self.store_name, operation)

    def _list_prefix(self, prefix: Any) -> str:
        return self.key_transformer.list_prefix(check_prefix(prefix, self.store_name))

    def _listed(self, stored: str, prefix: str) -> Optional[str]:
        return listed_key(self.key_transformer, stored, prefix)

    def repr_args(self) -> str:
        """The key transformer's settings."""
        return _arguments(self.key_transformer)

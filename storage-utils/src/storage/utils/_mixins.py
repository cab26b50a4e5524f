"""The I/O-free halves of the decorators, mixed into both the sync and the async classes."""

from __future__ import annotations

import re
from typing import Any, NoReturn, Optional

from storage.errors import IntegrityError, InvalidKey, InvalidValue, StoreError, UnsupportedOperation
from storage.metadata import ListResult
from storage.utils._keymaps import KeyTransformer, listed_key, map_key
from storage.utils._transforms import DECODE_ERRORS, DataTransformer
from storage.validation import check_key

__all__ = ["KeyMapping", "ValueMapping", "check_pair", "check_prefix", "refuse"]


def refuse(store: str, operation: str, why: str) -> NoReturn:
    """Raise ``UnsupportedOperation`` for an operation a layer does not allow."""
    raise UnsupportedOperation(why, store=store, operation=operation)


def check_prefix(prefix: Any, store: str) -> str:
    """Return ``prefix`` if it is a ``str``, else raise ``InvalidKey``."""
    if not isinstance(prefix, str):
        raise InvalidKey(f"prefixes are str, not {type(prefix).__name__}", store=store, operation="keys")
    return prefix


def check_pair(source: Any, target: Any, store: str, operation: str) -> tuple[str, str]:
    """Return ``(source, target)`` of a ``copy``/``rename`` if both are keys, else raise ``InvalidKey``."""
    return check_key(source, store, operation), check_key(target, store, operation)


def _arguments(transformer: object) -> str:
    """``"'p/'"`` for a transformer whose repr is ``PrefixKeyTransformer('p/')``."""
    text = repr(transformer)
    match = re.fullmatch(r"\w+\((.*)\)", text, re.S)
    return match.group(1) if match else text


class ValueMapping:
    """Maps values with ``self.transformer`` (a ``DataTransformer``) at the store boundary.

    The transformer never sees the key, so copying or renaming the stored bytes copies or
    renames the value: ``copy`` and ``rename`` are forwarded; ranges, ``stat`` and streams are
    derived through the layer's ``get``/``put`` (their bytes are the stored, not the caller's).
    """

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
        """``transform(data)``; a value the transformer cannot take is ``InvalidValue``."""
        try:
            return self.transformer.transform(data)
        except StoreError:
            raise
        except (TypeError, ValueError) as err:
            raise self._unencodable(key, err) from err

    def _decode(self, key: str, data: Any) -> Any:
        """``reverse_transform(data)``; data the transformer cannot decode is ``IntegrityError``."""
        try:
            return self.transformer.reverse_transform(data)
        except StoreError:
            raise
        except DECODE_ERRORS as err:
            raise self._undecodable(key, err) from err

    def _unencodable(self, key: str, err: Exception) -> InvalidValue:
        return InvalidValue(str(err), store=self.store_name, operation="put", key=key)

    def _undecodable(self, key: str, err: Exception) -> IntegrityError:
        return IntegrityError(
            f"stored data cannot be decoded by {self.transformer!r}: {err}", store=self.store_name,
            operation="get", key=key,
        )

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
        return map_key(self.key_transformer, key, self, operation)

    def _stored_key(self, key: Any, operation: str) -> str:
        """The mapped key, for the operations the wrapper forwards (``stat``, ``copy``, ...)."""
        return self._map(key, operation)

    def _stored_prefix(self, prefix: Any) -> Optional[str]:
        """The stored prefix ``list_dir`` lists below; None if the mapping scatters directories."""
        stored = self._list_prefix(prefix)
        return stored if self.key_transformer.keeps_hierarchy else None

    def _listed_dir(self, listed: ListResult, prefix: str) -> ListResult:
        """The caller's keys and prefixes of a stored ``list_dir`` result."""
        keys = (self._listed(stored, prefix) for stored in listed.keys)
        prefixes = (self._listed(stored, prefix) for stored in listed.prefixes)
        return ListResult(sorted(k for k in keys if k is not None), sorted(p for p in prefixes if p is not None))

    def _list_prefix(self, prefix: Any) -> str:
        return self.key_transformer.list_prefix(check_prefix(prefix, self.store_name))

    def _listed(self, stored: str, prefix: str) -> Optional[str]:
        return listed_key(self.key_transformer, stored, prefix)

    def repr_args(self) -> str:
        """The key transformer's settings."""
        return _arguments(self.key_transformer)

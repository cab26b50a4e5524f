"""Checking the input and collecting the outcomes of ``get_many``/``put_many``/``delete_many``.

The stores fan the requests out (a thread pool, or tasks under a semaphore); what goes in and
what comes back is handled here, once. An outcome is a request's result or the ``StoreError``
it raised.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence, Tuple, TypeVar, Union

from storage.errors import InvalidKey, ObjectNotFound, PartialFailure, StoreError
from storage.s3._protocol import BucketProtocol
from storage.validation import check_bytes

__all__ = ["Items", "Outcome", "checked_items", "checked_keys", "deleted", "found", "stored"]

T = TypeVar("T")

#: What ``put_many`` takes: a mapping, or an iterable of ``(key, value)`` pairs.
Items = Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]
#: A request's result, or the error it raised.
Outcome = Union[T, StoreError]


def checked_keys(protocol: BucketProtocol, keys: Iterable[Any], operation: str) -> list[str]:
    """Return ``keys`` without repeats, after checking every one (``InvalidKey`` before any I/O)."""
    if isinstance(keys, (str, bytes)):
        raise InvalidKey(
            "expected an iterable of keys, not a single key", store=protocol.store_name, operation=operation
        )
    return list(dict.fromkeys(protocol.check_key(key, operation) for key in keys))


def checked_items(protocol: BucketProtocol, items: Items) -> list[tuple[str, Any]]:
    """Return the ``(key, value)`` pairs to store, the last value of a repeated key winning.

    Every key and value is checked before anything is written.
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    latest: dict[str, Any] = {}
    for key, value in pairs:
        checked = protocol.check_key(key, "put_many")
        check_bytes(value, protocol.store_name, checked)
        latest[checked] = value
    return list(latest.items())


def _raise_if_failed(
    store: str, operation: str, keys: Sequence[str], failed: Mapping[str, StoreError]
) -> None:
    if not failed:
        return
    shown = ", ".join(sorted(failed)[:10])
    first = next(iter(failed.values()))
    raise PartialFailure(
        f"{len(failed)} of {len(keys)} keys failed ({shown}): {first}",
        failed=failed, succeeded=[key for key in keys if key not in failed], store=store, operation=operation,
    ) from first


def found(store: str, keys: Sequence[str], outcomes: Sequence[Outcome[Any]]) -> dict[str, Any]:
    """Return ``{key: object}`` for the keys that were found; ``PartialFailure`` if any failed."""
    result: dict[str, Any] = {}
    failed: dict[str, StoreError] = {}
    for key, outcome in zip(keys, outcomes):
        if isinstance(outcome, ObjectNotFound):
            continue
        if isinstance(outcome, StoreError):
            failed[key] = outcome
        else:
            result[key] = outcome
    _raise_if_failed(store, "get_many", keys, failed)
    return result


def stored(store: str, keys: Sequence[str], outcomes: Sequence[Outcome[None]]) -> None:
    """Raise ``PartialFailure`` if any of the puts failed."""
    failed = {key: outcome for key, outcome in zip(keys, outcomes) if isinstance(outcome, StoreError)}
    _raise_if_failed(store, "put_many", keys, failed)


def deleted(
    store: str, key_batches: Sequence[Sequence[str]], outcomes: Sequence[Outcome[Mapping[str, StoreError]]]
) -> None:
    """Raise ``PartialFailure`` naming every key whose batch, or whose own deletion, failed."""
    failed: dict[str, StoreError] = {}
    for batch, outcome in zip(key_batches, outcomes):
        if isinstance(outcome, StoreError):
            failed.update(dict.fromkeys(batch, outcome))
        else:
            failed.update(outcome)
    _raise_if_failed(store, "delete_many", [key for batch in key_batches for key in batch], failed)

"""Layers that do work per call: what each adds over the same work written by hand on DictStore.

A key-mapping layer hashes, quotes, validates or routes each key; a value layer encodes each
value; a composite layer calls two stores. Each is measured over a DictStore beside a loop that
does the same work by hand (the standard-library call a user would write, then the DictStore
call), so the figure is what the layer itself adds: at most 150 ns per operation.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
from typing import Any, Callable, List, NamedTuple, Optional
from urllib.parse import quote, urlparse

from benchmarks.context import Context
from benchmarks.harness import Comparison, Target, compare, over_keys

GROUP = "layers"
DISTINCT_KEYS = 1000
LIMIT_NS = 150
VALUE = b"x" * 100


class Layer(NamedTuple):
    """One layer to measure: how to build it over a store, and the same work by hand for get and put."""

    label: str
    work: str
    wrap: Callable[[Any], Any]
    get_by_hand: Callable[[Any], Callable[[str], Any]]
    put_by_hand: Callable[[Any], Callable[[str, Any], Any]]
    key: Callable[[int], str] = "key-{:06d}".format
    value: Any = VALUE


class _Readable:
    """A readable buffer whose ``read()`` always returns the same bytes (BufferStore's value)."""

    def read(self) -> bytes:
        return VALUE


def _layers(context: Context) -> List[Layer]:
    from storage import utils

    def accept(key: str) -> None:
        if key.startswith("_"):
            raise KeyError("private keys refused")

    pattern = re.compile(r"key-\d+")
    routed = re.compile(r"^key")
    glob = re.compile(r"key\-[^/]*\Z", re.S)
    aes = _aes(context)

    def sha_prefixed(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8] + "/" + key

    def checked(check: Callable[[str], Any], call: Callable[..., Any]) -> Callable[..., Any]:
        def by_hand(key: str, *value: Any) -> Any:
            if not check(key):
                raise KeyError(key)
            return call(key, *value)

        return by_hand

    layers = [
        Layer(
            "KeyValidatingStore", "validator(key)", lambda s: utils.KeyValidatingStore(s, accept),
            lambda s: lambda key: (accept(key), s.get(key)),
            lambda s: lambda key, value: (accept(key), s.put(key, value)),
        ),
        Layer(
            "RegexValidatingStore", "re.match", lambda s: utils.RegexValidatingStore(s, r"key-\d+"),
            lambda s: checked(pattern.match, s.get), lambda s: checked(pattern.match, s.put),
        ),
        Layer(
            "UrlValidatingStore", "urlparse(key).scheme", utils.UrlValidatingStore,
            lambda s: checked(lambda key: urlparse(key).scheme in ("http", "https"), s.get),
            lambda s: checked(lambda key: urlparse(key).scheme in ("http", "https"), s.put),
            key="https://example.org/key-{:06d}".format,
        ),
        Layer(
            "HashPrefixStore", "sha256 prefix", utils.HashPrefixStore,
            lambda s: lambda key: s.get(sha_prefixed(key)),
            lambda s: lambda key, value: s.put(sha_prefixed(key), value),
        ),
        Layer(
            "UrlEncodingStore (keys with a space)", "quote(key, safe='/')", utils.UrlEncodingStore,
            lambda s: lambda key: s.get(quote(key, safe="/")),
            lambda s: lambda key, value: s.put(quote(key, safe="/"), value),
            key="photos 2026/key-{:06d}".format,
        ),
        Layer(
            "RegexRoutingStore", "re.search, then a prefix",
            lambda s: utils.RegexRoutingStore(s, [(r"^key", "p/")]),
            lambda s: checked(routed.search, lambda key: s.get("p/" + key)),
            lambda s: checked(routed.search, lambda key, value: s.put("p/" + key, value)),
        ),
        Layer(
            "RoutingStore (one glob, a default)", "the glob's re.match picks the store",
            lambda s: utils.RoutingStore({"key-*": s}, default=_dict_store()),
            lambda s: lambda key: (s if glob.match(key) else None).get(key),
            lambda s: lambda key, value: (s if glob.match(key) else None).put(key, value),
        ),
        Layer(
            "Base64Store", "base64 encode / decode", utils.Base64Store,
            lambda s: lambda key: base64.b64decode(s.get(key), validate=True),
            lambda s: lambda key, value: s.put(key, base64.b64encode(value)),
        ),
        Layer(
            "GzipStore", "gzip.compress / decompress", utils.GzipStore,
            lambda s: lambda key: gzip.decompress(s.get(key)),
            lambda s: lambda key, value: s.put(key, gzip.compress(value, 9, mtime=0)),
        ),
        Layer(
            "TextEncodingStore", "str.encode / bytes.decode", utils.TextEncodingStore,
            lambda s: lambda key: s.get(key).decode("utf-8"),
            lambda s: lambda key, value: s.put(key, value.encode("utf-8")),
            value="x" * 100,
        ),
        Layer(
            "JsonStore", "json.dumps / loads", utils.JsonStore,
            lambda s: lambda key: json.loads(s.get(key).decode("utf-8")),
            lambda s: lambda key, value: s.put(key, json.dumps(value, ensure_ascii=False).encode("utf-8")),
            value={"name": "x" * 60, "size": 100},
        ),
        Layer(
            "BufferStore", "read() / BytesIO", utils.BufferStore,
            lambda s: lambda key: io.BytesIO(s.get(key)),
            lambda s: lambda key, value: s.put(key, value.read()),
            value=_Readable(),
        ),
        Layer(
            "CachingStore (cached)", "the cache store's get; put to both",
            lambda s: utils.CachingStore(_dict_store(), s),
            lambda s: s.get,
            lambda s: lambda key, value: (s.put(key, value), s.put(key, value)),
        ),
        Layer(
            "MirroringStore (two children)", "the first child's get; put to both",
            lambda s: utils.MirroringStore([s, _dict_store()]),
            lambda s: s.get,
            lambda s: lambda key, value: (s.put(key, value), s.put(key, value)),
        ),
    ]
    if aes is not None:
        cipher, seal, unseal = aes
        layers.append(
            Layer(
                "EncryptingStore", "AES-256-GCM with a fresh nonce",
                lambda s: utils.EncryptingStore(s, key=cipher),
                lambda s: lambda key: unseal(key, s.get(key)),
                lambda s: lambda key, value: s.put(key, seal(key, value)),
            )
        )
    return layers


def _aes(context: Context) -> Optional[tuple[bytes, Callable[[str, bytes], bytes], Callable[[str, bytes], bytes]]]:
    """A key, and AES-256-GCM by hand in EncryptingStore's format (header, nonce; header and key bound)."""
    aead = context.peer(GROUP, "cryptography.hazmat.primitives.ciphers.aead", "EncryptingStore")
    if aead is None:
        return None
    import os

    secret = os.urandom(32)
    cipher = aead.AESGCM(secret)
    header = b"SENC\x01"

    def seal(key: str, value: bytes) -> bytes:
        nonce = os.urandom(12)
        return header + nonce + cipher.encrypt(nonce, value, header + key.encode("utf-8"))

    def unseal(key: str, blob: bytes) -> bytes:
        return bytes(cipher.decrypt(blob[5:17], blob[17:], header + key.encode("utf-8")))

    return secret, seal, unseal


def _dict_store() -> Any:
    from storage.object import DictStore

    store = DictStore()
    store.open()
    return store


def _build(layer: Layer) -> tuple[Any, Any, List[str]]:
    """The layer over a fresh DictStore, every key put through it (so gets find them); and its keys."""
    store = _dict_store()
    wrapped = layer.wrap(store)
    wrapped.open()
    keys = [layer.key(index) for index in range(DISTINCT_KEYS)]
    for key in keys:
        wrapped.put(key, layer.value)
    return wrapped, store, keys


def run(context: Context) -> List[Comparison]:
    """Measure every layer that does work per call, get and put, beside that work by hand."""
    operations = context.settings.size(100_000, 10_000)
    results = []
    for layer in _layers(context):
        wrapped, store, distinct = _build(layer)
        keys = (distinct * (operations // DISTINCT_KEYS + 1))[:operations]
        stored = list(store.objects)
        stored_keys = (stored * (operations // len(stored) + 1))[:operations]
        for operation, by_hand, value in (("get", layer.get_by_hand, None), ("put", layer.put_by_hand, layer.value)):
            hand = f"by hand: {layer.work}"
            results.append(
                compare(
                    GROUP,
                    f"{layer.label}: {operation}",
                    (f"DictStore.{operation}", over_keys(getattr(store, operation), stored_keys, value)),
                    [
                        (hand, over_keys(by_hand(store), keys, value), False, None),
                        (
                            layer.label,
                            over_keys(getattr(wrapped, operation), keys, value),
                            True,
                            Target("added_ns", LIMIT_NS, against=hand),
                        ),
                    ],
                    context.repeats,
                    note="ns the layer adds over the same work done by hand",
                )
            )
    return results

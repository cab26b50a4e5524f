"""EncryptingStore and AsyncEncryptingStore: the format, integrity, key sources and secrecy."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tests.layers._support import HEX_KEY

from storage.aioutils import AsyncEncryptingStore
from storage.errors import ConfigError, IntegrityError, InvalidValue
from storage.object import AsyncDictStore, DictStore
from storage.utils import EncryptingStore

KEY = bytes.fromhex(HEX_KEY)


def _pair() -> tuple[EncryptingStore, DictStore]:
    inner = DictStore()
    return EncryptingStore(inner, key=HEX_KEY), inner


def test_stored_format_is_header_nonce_ciphertext_tag() -> None:
    store, inner = _pair()
    store.put("k", b"secret data")
    blob = inner.get("k")
    assert blob[:5] == b"SENC\x01" and len(blob) == 5 + 12 + len(b"secret data") + 16
    assert b"secret data" not in blob
    store.put("k", b"secret data")
    assert inner.get("k")[5:17] != blob[5:17]
    assert store.get("k") == b"secret data"


def test_version_1_objects_stay_readable() -> None:
    nonce = bytes(range(12))
    header = b"SENC\x01"
    blob = header + nonce + AESGCM(KEY).encrypt(nonce, b"written by v1", header + b"doc/1")
    store, inner = _pair()
    inner.put("doc/1", blob)
    assert store.get("doc/1") == b"written by v1"


def _mutations(blob: bytes) -> dict[str, bytes]:
    flipped = bytearray(blob)
    flipped[-20] ^= 1
    return {
        "tampered": bytes(flipped),
        "truncated": blob[:-1],
        "too short": blob[:20],
        "bad magic": b"XENC" + blob[4:],
        "future version": blob[:4] + b"\x09" + blob[5:],
        "plaintext": b"just some bytes that were never encrypted",
    }


@pytest.mark.parametrize("case", ["tampered", "truncated", "too short", "bad magic", "future version", "plaintext"])
def test_damaged_data_is_an_integrity_error(case: str) -> None:
    store, inner = _pair()
    store.put("k", b"value")
    inner.put("k", _mutations(inner.get("k"))[case])
    with pytest.raises(IntegrityError) as caught:
        store.get("k")
    assert "EncryptingStore" in str(caught.value) and "'k'" in str(caught.value)


def test_wrong_key_and_moved_objects_fail() -> None:
    store, inner = _pair()
    store.put("a", b"value")
    other = EncryptingStore(inner, key=os.urandom(32))
    with pytest.raises(IntegrityError):
        other.get("a")
    inner.put("b", inner.get("a"))
    with pytest.raises(IntegrityError):
        store.get("b")


def test_key_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_STORAGE_KEY", base64.b64encode(KEY).decode())
    raw, text = tmp_path / "raw.key", tmp_path / "text.key"
    raw.write_bytes(KEY)
    text.write_text(base64.urlsafe_b64encode(KEY).decode() + "\n")
    inner = DictStore()
    EncryptingStore(inner, key=KEY).put("k", b"v")
    for store in (
        EncryptingStore(inner, key_env="TEST_STORAGE_KEY"),
        EncryptingStore(inner, key_file=str(raw)),
        EncryptingStore(inner, key_file=str(text)),
        EncryptingStore(inner, key=HEX_KEY.upper()),
    ):
        assert store.get("k") == b"v"
    described = repr(EncryptingStore(inner, key_env="TEST_STORAGE_KEY"))
    assert described.startswith("EncryptingStore(key_env='TEST_STORAGE_KEY')")


@pytest.mark.parametrize(
    "options",
    [{}, {"key": HEX_KEY, "key_env": "X"}, {"key": "00" * 16}, {"key": "not a key at all"}, {"key": 12345},
     {"key_env": "TEST_STORAGE_UNSET_KEY"}, {"key_file": "/nonexistent/storage.key"}],
)
def test_bad_keys_are_config_errors_that_never_show_the_key(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        EncryptingStore(DictStore(), **options)
    assert HEX_KEY not in str(caught.value) and "not a key at all" not in str(caught.value)


def test_the_key_never_appears_in_repr_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    store, inner = _pair()
    with caplog.at_level(logging.DEBUG):
        store.put("k", b"v")
        inner.put("k", b"garbage")
        with pytest.raises(IntegrityError) as caught:
            store.get("k")
    for text in (repr(store), str(caught.value), caplog.text, repr(caught.value.__cause__)):
        assert HEX_KEY not in text.lower() and base64.b64encode(KEY).decode() not in text
    assert repr(store).startswith("EncryptingStore(key=<redacted>) -> ")


def test_non_bytes_values_are_refused_and_change_nothing() -> None:
    store, inner = _pair()
    for value in ("text", 5, None):
        with pytest.raises(InvalidValue):
            store.put("k", value)
    assert not inner.exists("k")


@pytest.mark.parametrize("stored", ["a str value", 42, None, [1, 2]])
def test_a_stored_value_that_is_not_bytes_is_an_integrity_error(stored: Any) -> None:
    store, inner = _pair()
    inner.objects["k"] = stored
    with pytest.raises(IntegrityError, match="not an encrypted object"):
        store.get("k")
    async_store = AsyncEncryptingStore(AsyncDictStore({"k": stored}), key=HEX_KEY)
    with pytest.raises(IntegrityError, match="not an encrypted object"):
        asyncio.run(async_store.get("k"))


def test_missing_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.ciphers.aead", None)
    with pytest.raises(ConfigError) as caught:
        EncryptingStore(DictStore(), key=HEX_KEY)
    assert "storage-utils[crypto]" in str(caught.value)


def test_async_twin_reads_what_the_sync_store_wrote() -> None:
    shared = DictStore()
    EncryptingStore(shared, key=HEX_KEY).put("big", os.urandom(10) + b"x" * 100_000)
    inner = AsyncDictStore()
    store = AsyncEncryptingStore(inner, key=HEX_KEY)

    async def scenario() -> None:
        await inner.put("big", shared.get("big"))
        assert (await store.get("big")).endswith(b"x" * 100_000)
        await store.put("small", b"s")
        assert await store.get("small") == b"s"
        await inner.put("small", (await inner.get("small"))[:-1])
        with pytest.raises(IntegrityError):
            await store.get("small")

    asyncio.run(scenario())

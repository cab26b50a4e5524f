"""What both encrypting twins share: the key, the object format, sealing and opening; no I/O.

Each stored object is ``MAGIC (4 bytes "SENC") | VERSION (1 byte, 1) | NONCE (12 bytes) |
CIPHERTEXT | TAG (16 bytes)``: AES-256-GCM under a fresh random 96-bit nonce, with the header
(magic and version) and the object's key (UTF-8) as associated data, so an object copied to
another key, or a header edited, fails authentication. A reader dispatches on the version
byte, so objects written now stay readable by later versions.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any, ClassVar, Iterator, Mapping, Optional

from storage.errors import ConfigError, IntegrityError, InvalidValue
from storage.validation import check_key

__all__ = ["FORMAT_VERSION", "MAGIC", "EncryptionRules", "read_key"]

MAGIC = b"SENC"
FORMAT_VERSION = 1
NONCE_SIZE = 12
TAG_SIZE = 16
KEY_SIZE = 32
_HEADER = MAGIC + bytes([FORMAT_VERSION])
_INSTALL = "EncryptingStore needs the 'cryptography' package: pip install 'storage-utils[crypto]'"


#: Bytes a sealed object has beyond its value: header, nonce and tag.
_SEALED_OVERHEAD = len(_HEADER) + NONCE_SIZE + TAG_SIZE
_CIPHERTEXT_START = len(_HEADER) + NONCE_SIZE
#: Up to this size the ciphertext is sliced as bytes (cheaper than a view); larger, it is viewed, not copied.
_COPIED_CIPHERTEXT = 64 * 1024
#: ``cryptography``'s failed-authentication error, once a cipher was made (nothing before).
_INVALID_TAG: tuple[type[Exception], ...] = ()


def _aesgcm(secret: bytes) -> Any:
    """An AESGCM cipher for ``secret``; ``ConfigError`` naming the extra without ``cryptography``."""
    global _INVALID_TAG
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as err:
        raise ConfigError(_INSTALL) from err
    _INVALID_TAG = (InvalidTag,)
    return AESGCM(secret)


def _candidates(text: str) -> Iterator[bytes]:
    """What ``text`` decodes to as hex, base64 and URL-safe base64."""
    try:
        yield bytes.fromhex(text)
    except ValueError:
        pass
    for altchars in (None, b"-_"):
        try:
            yield base64.b64decode(text.encode("ascii", "replace"), altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            pass


def _decode_key(value: Any, source: str) -> bytes:
    """32 raw bytes, or text holding 64 hex digits or the base64 of 32 bytes."""
    if isinstance(value, (bytes, bytearray)) and len(value) == KEY_SIZE:
        return bytes(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            value = ""
    if not isinstance(value, str):
        raise ConfigError(f"the key from {source} must be str or bytes, not {type(value).__name__}")
    for candidate in _candidates(value.strip()):
        if len(candidate) == KEY_SIZE:
            return candidate
    raise ConfigError(f"the key from {source} is not a 256-bit key (64 hex digits, or base64 of 32 bytes)")


def read_key(
    key: Any, key_env: Optional[str], key_file: Optional[str], environ: Mapping[str, str]
) -> tuple[bytes, str]:
    """The 32-byte key from exactly one source, and a description of the source (never the key)."""
    given = [name for name, value in (("key", key), ("key_env", key_env), ("key_file", key_file)) if value is not None]
    if len(given) != 1:
        raise ConfigError(f"give exactly one of key, key_env, key_file (given: {', '.join(given) or 'none'})")
    if key_env is not None:
        if key_env not in environ:
            raise ConfigError(f"environment variable {key_env} (key_env) is not set")
        return _decode_key(environ[key_env], f"key_env {key_env}"), f"key_env={key_env!r}"
    if key_file is not None:
        path = os.fspath(key_file)
        try:
            with open(path, "rb") as file:
                content = file.read()
        except OSError as err:
            raise ConfigError(f"cannot read key_file {path!r}: {err.strerror or err}") from err
        return _decode_key(content, f"key_file {path!r}"), f"key_file={path!r}"
    return _decode_key(key, "key"), "key=<redacted>"


class EncryptionRules:
    """The encrypting twins' shared half: the key's source and the format (see the module docstring)."""

    store_name: str
    _transient_attrs: ClassVar[tuple[str, ...]] = ("_cipher",)

    def _set_key(self, key: Any, key_env: Optional[str], key_file: Optional[str]) -> None:
        self._secret, self.key_source = read_key(key, key_env, key_file, os.environ)
        self._cipher = _aesgcm(self._secret)

    def _aead(self) -> Any:
        cipher = getattr(self, "_cipher", None)
        if cipher is None:
            cipher = self._cipher = _aesgcm(self._secret)
        return cipher

    def _seal(self, key: str, data: Any) -> bytes:
        """The stored form of ``data`` at ``key``."""
        if key.__class__ is not str or not key:
            check_key(key, self.store_name, "put")
        if data.__class__ is not bytes:
            try:
                data = memoryview(data).tobytes()
            except TypeError as err:
                raise InvalidValue(f"values are bytes-like, not {type(data).__name__}", store=self.store_name,
                                   operation="put", key=key) from err
        nonce = os.urandom(NONCE_SIZE)
        return _HEADER + nonce + self._aead().encrypt(nonce, data, _HEADER + key.encode("utf-8", "surrogatepass"))

    def _unseal(self, key: str, blob: Any) -> bytes:
        """The value of stored ``blob`` at ``key``; ``IntegrityError`` if it does not verify."""
        try:
            data = blob if blob.__class__ is bytes else memoryview(blob).tobytes()
        except TypeError as err:
            raise self._corrupt(key, f"not an encrypted object (a {type(blob).__name__}, not bytes)") from err
        if len(data) < _SEALED_OVERHEAD:
            raise self._corrupt(key, "too short to be an encrypted object (truncated?)")
        if not data.startswith(_HEADER):
            if not data.startswith(MAGIC):
                raise self._corrupt(key, "not an encrypted object (bad magic)")
            raise self._corrupt(key, f"unknown format version {data[len(MAGIC)]}")
        cipher = self._aead()
        try:
            return cipher.decrypt(  # type: ignore[no-any-return]
                data[len(_HEADER) : _CIPHERTEXT_START],
                data[_CIPHERTEXT_START:] if len(data) <= _COPIED_CIPHERTEXT else memoryview(data)[_CIPHERTEXT_START:],
                _HEADER + key.encode("utf-8", "surrogatepass"),
            )
        except _INVALID_TAG as err:
            raise self._corrupt(key, "authentication failed: tampered, truncated, moved or wrong key") from err

    def _corrupt(self, key: str, why: str) -> IntegrityError:
        return IntegrityError(why, store=self.store_name, operation="get", key=key)

    def repr_args(self) -> str:
        """Where the key comes from, never the key."""
        return self.key_source

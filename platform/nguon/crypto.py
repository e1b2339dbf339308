"""Keys derived from NGUON_SECRET_KEY, one per purpose; national ID encryption.

During a key rotation ``NGUON_SECRET_KEY_PREVIOUS`` holds the old key: whatever it
encrypted or signed still opens, while everything new is made with the current key.
Encrypted values carry the id of their key (``key_id``) before a ``$``; values written
before key ids existed carry none and are tried with each key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from nguon.settings import load_settings

KEY_ID_SEPARATOR = "$"


def derive_key(purpose: str, secret: str | None = None) -> bytes:
    material = (secret or load_settings().secret_key).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        material
    )


@functools.cache
def key_id(secret: str) -> str:
    """A short public name of a key: it tells the keys apart and reveals nothing of them."""
    return derive_key("key-id", secret)[:6].hex()


def secret_keys() -> tuple[str, ...]:
    """The current key, then the previous one while a rotation is under way."""
    settings = load_settings()
    previous = settings.previous_secret_key
    if previous and previous != settings.secret_key:
        return (settings.secret_key, previous)
    return (settings.secret_key,)


def current_key_id() -> str:
    return key_id(load_settings().secret_key)


@functools.cache
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key("national-id-encryption", secret)))


@functools.cache
def _lookup_key(secret: str) -> bytes:
    return derive_key("national-id-lookup", secret)


def encrypt_national_id(national_id: str) -> str:
    return NationalIdSealer().encrypt(national_id)


def decrypt_national_id(token: str) -> str:
    """The number; ``InvalidToken`` when no key in use opens it."""
    keys = secret_keys()
    kid, separator, body = token.rpartition(KEY_ID_SEPARATOR)
    if separator:
        for secret in keys:
            if key_id(secret) == kid:
                return _fernet(secret).decrypt(body.encode()).decode()
        raise InvalidToken
    return MultiFernet([_fernet(secret) for secret in keys]).decrypt(token.encode()).decode()


def encrypted_key_id(token: str) -> str | None:
    """The id of the key a stored value was encrypted with (None: written before ids)."""
    kid, separator, _ = token.rpartition(KEY_ID_SEPARATOR)
    return kid if separator else None


def _normalized(national_id: str) -> bytes:
    return "".join(national_id.split()).encode()


def national_id_lookup_hash(national_id: str) -> str:
    """A keyed hash to find a person by ID number without storing it in clear."""
    return NationalIdSealer().lookup_hash(national_id)


def national_id_lookup_hashes(national_id: str) -> list[str]:
    """The number's hash under each key in use: rows not yet re-keyed are found too."""
    return NationalIdSealer().lookup_hashes(national_id)


class NationalIdSealer:
    """Encrypts a number under the current key and hashes it under each key in use, the
    keys read once: make one for many numbers (an import's rows)."""

    def __init__(self) -> None:
        keys = secret_keys()
        self.key_id = key_id(keys[0])
        self._fernet = _fernet(keys[0])
        self._lookups = [_lookup_key(secret) for secret in keys]

    def encrypt(self, national_id: str) -> str:
        token = self._fernet.encrypt(national_id.encode()).decode()
        return f"{self.key_id}{KEY_ID_SEPARATOR}{token}"

    def lookup_hash(self, national_id: str) -> str:
        return hmac.new(self._lookups[0], _normalized(national_id), hashlib.sha256).hexdigest()

    def lookup_hashes(self, national_id: str) -> list[str]:
        number = _normalized(national_id)
        return [hmac.new(key, number, hashlib.sha256).hexdigest() for key in self._lookups]


@functools.cache
def _settings_fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key("plugin-settings-secrets", secret)))


SEALED_PREFIX = "sealed:"


def seal_setting(value: str) -> str:
    """Encrypt a secret kept in a plugin's settings (a webhook signing secret, a token)."""
    token = _settings_fernet(load_settings().secret_key).encrypt(value.encode()).decode()
    return SEALED_PREFIX + token


def unseal_setting(value: str) -> str:
    if not value.startswith(SEALED_PREFIX):
        return value
    token = value.removeprefix(SEALED_PREFIX).encode()
    fernets = [_settings_fernet(secret) for secret in secret_keys()]
    return MultiFernet(fernets).decrypt(token).decode()


def sealed_under_current_key(value: str) -> bool:
    """Whether a sealed setting opens with the current key alone."""
    if not value.startswith(SEALED_PREFIX):
        return True
    try:
        _settings_fernet(load_settings().secret_key).decrypt(value.removeprefix(SEALED_PREFIX))
    except InvalidToken:
        return False
    return True

"""Keys derived from NGUON_SECRET_KEY, one per purpose; national ID encryption."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from nguon.settings import load_settings


def derive_key(purpose: str, secret: str | None = None) -> bytes:
    material = (secret or load_settings().secret_key).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        material
    )


@functools.cache
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key("national-id-encryption", secret)))


@functools.cache
def _lookup_key(secret: str) -> bytes:
    return derive_key("national-id-lookup", secret)


def encrypt_national_id(national_id: str) -> str:
    return _fernet(load_settings().secret_key).encrypt(national_id.encode()).decode()


def decrypt_national_id(token: str) -> str:
    return _fernet(load_settings().secret_key).decrypt(token.encode()).decode()


def national_id_lookup_hash(national_id: str) -> str:
    """A keyed hash to find a person by ID number without storing it in clear."""
    normalized = "".join(national_id.split())
    return hmac.new(
        _lookup_key(load_settings().secret_key), normalized.encode(), hashlib.sha256
    ).hexdigest()


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
    return _settings_fernet(load_settings().secret_key).decrypt(token).decode()

"""Bearer tokens for the JSON API: a payload naming user, tenant and expiry, HMAC-signed.

Format: ``base64url(json payload) "." base64url(HMAC-SHA256(key, payload))`` with the
key derived from NGUON_SECRET_KEY for the purpose ``api-token`` (or, during a key
rotation, from NGUON_SECRET_KEY_PREVIOUS).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

import msgspec

from nguon.clock import now_ms
from nguon.crypto import derive_key

DEFAULT_LIFETIME = dt.timedelta(hours=8)


class TokenClaims(msgspec.Struct, frozen=True):
    user_id: int = msgspec.field(name="u")
    tenant_id: int = msgspec.field(name="t")
    expires_at: int = msgspec.field(name="exp")
    issued_at_ms: int = msgspec.field(name="iat", default=0)


class InvalidToken(Exception):
    pass


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs with ``secret_key``; also accepts tokens signed with ``previous_key`` (the key
    being rotated out, ``NGUON_SECRET_KEY_PREVIOUS``) until they expire."""

    def __init__(self, secret_key: str, previous_key: str | None = None) -> None:
        self._key = derive_key("api-token", secret_key)
        self._accepted = [self._key]
        if previous_key and previous_key != secret_key:
            self._accepted.append(derive_key("api-token", previous_key))

    def _signature(self, payload: bytes, key: bytes | None = None) -> bytes:
        return hmac.new(key or self._key, payload, hashlib.sha256).digest()

    def issue(
        self, user_id: int, tenant_id: int, lifetime: dt.timedelta = DEFAULT_LIFETIME
    ) -> tuple[str, dt.datetime]:
        expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + lifetime
        claims = TokenClaims(
            user_id=user_id,
            tenant_id=tenant_id,
            expires_at=int(expires.timestamp()),
            issued_at_ms=now_ms(),
        )
        payload = msgspec.json.encode(claims)
        return f"{_b64encode(payload)}.{_b64encode(self._signature(payload))}", expires

    def verify(self, token: str) -> TokenClaims:
        """The claims of a well-signed, unexpired token; InvalidToken otherwise."""
        try:
            encoded_payload, encoded_signature = token.split(".")
            payload = _b64decode(encoded_payload)
            signature = _b64decode(encoded_signature)
        except ValueError as error:
            raise InvalidToken("malformed token") from error
        if not any(
            hmac.compare_digest(signature, self._signature(payload, key)) for key in self._accepted
        ):
            raise InvalidToken("bad signature")
        try:
            claims = msgspec.json.decode(payload, type=TokenClaims)
        except msgspec.DecodeError as error:
            raise InvalidToken("malformed claims") from error
        if claims.expires_at <= dt.datetime.now(dt.UTC).timestamp():
            raise InvalidToken("expired")
        return claims
